"""MAEPretrainer: HEPA's encoder pretrained by masked patch reconstruction."""

from __future__ import annotations

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from .._training import TRAINING_CONSTRAINTS
from ..callbacks import PartRatio
from ..nn.encoder import NORMALIZATIONS
from ..nn.mae import MAEModule, MaskedReconstructionLoss
from ._base import (
    MISSING_CONSTRAINTS,
    SIZE_CONSTRAINTS,
    SelfSupervisedEncoder,
    causal_patch_encoder,
)

__all__ = ["MAEPretrainer"]


class MAEPretrainer(SelfSupervisedEncoder):
    """HEPA's encoder pretrained by masked patch reconstruction (the MAE baseline).

    Same causal patch Transformer, context, normalisation and optimiser as
    :class:`~sktime_hepa.HEPAPretrainer`; only the objective differs: a random
    ``mask_ratio`` of each context's patches is replaced by a learned mask
    token and a linear decoder reconstructs their normalised values (mean
    squared error on the masked patches). The decoder is discarded:
    ``transform`` returns ``h_t`` exactly as HEPA's encoder would.

    Parameters
    ----------
    d_model, n_layers, n_heads, patch_size, dropout : int, int, int, int, float
        Encoder size; defaults as HEPA (256, 2, 4, 16, 0.1).
    context_length : int or None, default=512
    normalization : {"instance", "instance_stats", "none"}, default="instance"
    mask_ratio : float, default=0.4
        Share of real patches masked per context (PatchTST's self-supervised
        setting; the paper does not give one).
    lr, weight_decay, batch_size, max_epochs, patience, validation_fraction, stride :
        As :class:`~sktime_hepa.HEPAPretrainer` (3e-4, 1e-2, 64, 100, 10, 0.2, 4).
    device : {"auto", "cpu", "cuda"} or str, default="auto"
    random_state : int, RandomState or None
    verbose : int, default=0
        1 prints one line per epoch with train/valid losses; 2 also shows
        progress bars over each epoch's batches and over long inference calls.
    missing : {"error", "mask"}, default="error"
        What NaN in X means. "error": X with a NaN is refused. "mask": NaN is a
        missing value: the scaling ignores it and a step whose sensors are all
        NaN is masked out of every context, like padding (a NaN sensor of a
        partly observed step reads as its training mean). A series, or in
        ``fit`` a sensor, with no observed value is refused; inf always is.
        Without NaN both give the same numbers. A missing step inside a masked
        patch is reconstructed as 0 (the context's mean), as the left padding
        of a context's oldest patch already is.
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
        ``net_.module_`` is an ``MAEModule``; its ``encoder`` gives ``h_t``.
    history_ : skorch.History
    mean_, scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int
    """

    _parameter_constraints: dict = {
        **SIZE_CONSTRAINTS,
        "patch_size": [Interval(Integral, 1, None, closed="left")],
        "context_length": [Interval(Integral, 1, None, closed="left"), None],
        "normalization": [StrOptions(set(NORMALIZATIONS))],
        "mask_ratio": [Interval(Real, 0, 1, closed="neither")],
        **TRAINING_CONSTRAINTS,
        **MISSING_CONSTRAINTS,
    }
    _part_names = ("mse", "mse_mean_ref")
    _max_horizon = 1  # no future window: the targets are the context's own patches

    def __init__(
        self,
        *,
        d_model=256,
        n_layers=2,
        n_heads=4,
        patch_size=16,
        dropout=0.1,
        context_length=512,
        normalization="instance",
        mask_ratio=0.4,
        lr=3e-4,
        weight_decay=1e-2,
        batch_size=64,
        max_epochs=100,
        patience=10,
        validation_fraction=0.2,
        stride=4,
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
        self.context_length = context_length
        self.normalization = normalization
        self.mask_ratio = mask_ratio
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

    def _criterion(self):
        return MaskedReconstructionLoss()

    def _stage_callbacks(self) -> list:
        return [("reference", PartRatio("mse", "mse_mean_ref", name="mse_ratio"))]

    def _build_module(self, n_channels: int) -> MAEModule:
        return MAEModule(
            encoder=causal_patch_encoder(self, n_channels),
            n_channels=n_channels,
            mask_ratio=self.mask_ratio,
        )
