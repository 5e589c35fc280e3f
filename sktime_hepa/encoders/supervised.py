"""Encoders trained end to end on the event task, then frozen (the paper's baselines).

* :class:`PatchTSTEncoder`: channel-independent patches with bidirectional
  attention;
* :class:`ITransformerEncoder`: one token per sensor with attention across
  sensors.
"""

from __future__ import annotations

from numbers import Integral

from sklearn.utils._param_validation import Interval

from .._training import TRAINING_CONSTRAINTS
from ..nn.itransformer import ITransformerBackbone
from ..nn.patchtst import PatchTSTBackbone
from ._base import MISSING_CONSTRAINTS, SIZE_CONSTRAINTS, SupervisedEncoder

__all__ = ["PatchTSTEncoder", "ITransformerEncoder"]

_SUPERVISED_CONSTRAINTS = {
    **SIZE_CONSTRAINTS,
    "horizons": [Interval(Integral, 1, None, closed="left")],
    **TRAINING_CONSTRAINTS,
    **MISSING_CONSTRAINTS,
}


class PatchTSTEncoder(SupervisedEncoder):
    """PatchTST-style encoder trained end to end on the event task, then frozen.

    Channel-independent patches (each sensor patched and encoded on its own by
    shared weights), bidirectional attention over one sensor's patches,
    per-sensor pooling and a flatten projection to ``d_out`` (see
    ``sktime_hepa.nn.patchtst``). ``fit(X, y)`` trains it with a dt-MLP head
    on the horizons ``1..horizons``; ``transform`` returns ``h_t``.

    Parameters
    ----------
    d_model, n_layers, n_heads, patch_size, dropout : int, int, int, int, float
        PatchTST's defaults 128, 3, 16, 16, 0.1.
    d_out : int, default=256
        Width of ``h_t``.
    context_length : int or None, default=512
        Steps of history per row (None: the whole history).
    horizons : int, default=200
        K of the training task.
    lr, weight_decay, batch_size, max_epochs, patience, validation_fraction, stride :
        Defaults 3e-4, 1e-2, 64, 50, 10, 0.2, 1 (``stride`` as in
        :class:`~sktime_hepa.HEPAEventPredictor`).
    device, random_state, verbose :
        As the other estimators.
    missing : {"error", "mask"}, default="error"
        What NaN in X means. "error": X with a NaN is refused. "mask": NaN is a
        missing value: the scaling ignores it and a step whose sensors are all
        NaN is masked out of every context, like padding (a NaN sensor of a
        partly observed step reads as its training mean). A series, or in
        ``fit`` a sensor, with no observed value is refused; inf always is.
        Without NaN both give the same numbers.
    precision : {"float32", "bfloat16", "float16"}, default="float32"
        Training precision: "bfloat16" and "float16" run the forward pass and
        the loss under ``torch.autocast`` (mixed precision; "float16" also
        scales the loss against underflow). Weights, optimizer state and
        inference stay float32, so predictions do not depend on it.
    accelerator : accelerate.Accelerator or None, default=None
        Train through Hugging Face accelerate (skorch's ``AccelerateMixin``):
        the accelerator places the network, and under ``accelerate launch``
        shards the batches over several GPUs (data parallel). Its
        ``mixed_precision`` replaces ``precision``, which must stay "float32";
        ``device`` must be "auto" or the accelerator's device. The network is
        unwrapped after training, so the fitted estimator pickles and predicts
        as usual. Needs the ``accelerate`` extra.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        ``net_.module_.encoder`` is the ``PatchTSTBackbone``.
    history_ : skorch.History
    mean_, scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int
    """

    _parameter_constraints: dict = {
        **_SUPERVISED_CONSTRAINTS,
        "patch_size": [Interval(Integral, 1, None, closed="left")],
        "d_out": [Interval(Integral, 1, None, closed="left")],
        "context_length": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        d_model=128,
        n_layers=3,
        n_heads=16,
        patch_size=16,
        dropout=0.1,
        d_out=256,
        context_length=512,
        horizons=200,
        lr=3e-4,
        weight_decay=1e-2,
        batch_size=64,
        max_epochs=50,
        patience=10,
        validation_fraction=0.2,
        stride=1,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        missing="error",
        precision="float32",
        accelerator=None,
    ):
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.patch_size = patch_size
        self.dropout = dropout
        self.d_out = d_out
        self.context_length = context_length
        self.horizons = horizons
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.stride = stride
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.missing = missing
        self.precision = precision
        self.accelerator = accelerator

    def _backbone(self, n_channels: int) -> PatchTSTBackbone:
        return PatchTSTBackbone(
            n_channels=n_channels,
            d_model=self.d_model,
            n_layers=self.n_layers,
            n_heads=self.n_heads,
            patch_size=self.patch_size,
            dropout=self.dropout,
            d_out=self.d_out,
        )


class ITransformerEncoder(SupervisedEncoder):
    """iTransformer-style encoder trained end to end on the event task, then frozen.

    Each sensor's whole context window becomes one token; attention runs
    across sensors (see ``sktime_hepa.nn.itransformer``). ``fit(X, y)``
    trains it with a dt-MLP head on the horizons ``1..horizons``;
    ``transform`` returns ``h_t``.

    Parameters
    ----------
    d_model, n_layers, n_heads, dropout : int, int, int, float
        Defaults 256, 2, 4, 0.1.
    d_out : int, default=256
    context_length : int, default=512
        The fixed window each token embeds; shorter histories are zero-padded
        (a whole C-MAPSS engine history fits in 512 cycles).
    horizons, lr, weight_decay, batch_size, max_epochs, patience,
    validation_fraction, stride, device, random_state, verbose :
        As :class:`PatchTSTEncoder`.
    missing : {"error", "mask"}, default="error"
        As :class:`PatchTSTEncoder`; a missing step enters its sensor's token
        as 0 (the context's mean after instance normalisation).
    precision : {"float32", "bfloat16", "float16"}, default="float32"
        Training precision: "bfloat16" and "float16" run the forward pass and
        the loss under ``torch.autocast`` (mixed precision; "float16" also
        scales the loss against underflow). Weights, optimizer state and
        inference stay float32, so predictions do not depend on it.
    accelerator : accelerate.Accelerator or None, default=None
        Train through Hugging Face accelerate (skorch's ``AccelerateMixin``):
        the accelerator places the network, and under ``accelerate launch``
        shards the batches over several GPUs (data parallel). Its
        ``mixed_precision`` replaces ``precision``, which must stay "float32";
        ``device`` must be "auto" or the accelerator's device. The network is
        unwrapped after training, so the fitted estimator pickles and predicts
        as usual. Needs the ``accelerate`` extra.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        ``net_.module_.encoder`` is the ``ITransformerBackbone``.
    history_ : skorch.History
    mean_, scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int
    """

    _parameter_constraints: dict = {
        **_SUPERVISED_CONSTRAINTS,
        "d_out": [Interval(Integral, 1, None, closed="left")],
        "context_length": [Interval(Integral, 1, None, closed="left")],
    }
    patch_size = 1  # contexts are not cut into patches

    def __init__(
        self,
        *,
        d_model=256,
        n_layers=2,
        n_heads=4,
        dropout=0.1,
        d_out=256,
        context_length=512,
        horizons=200,
        lr=3e-4,
        weight_decay=1e-2,
        batch_size=64,
        max_epochs=50,
        patience=10,
        validation_fraction=0.2,
        stride=1,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
        missing="error",
        precision="float32",
        accelerator=None,
    ):
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.dropout = dropout
        self.d_out = d_out
        self.context_length = context_length
        self.horizons = horizons
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.stride = stride
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.missing = missing
        self.precision = precision
        self.accelerator = accelerator

    def _backbone(self, n_channels: int) -> ITransformerBackbone:
        return ITransformerBackbone(
            n_channels=n_channels,
            context_length=self.context_length,
            d_model=self.d_model,
            n_layers=self.n_layers,
            n_heads=self.n_heads,
            dropout=self.dropout,
            d_out=self.d_out,
        )
