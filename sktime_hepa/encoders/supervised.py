"""Encoders trained end to end on the event task, then frozen (the paper's baselines).

* :class:`PatchTSTEncoder`: channel-independent patches with bidirectional
  attention;
* :class:`ITransformerEncoder`: one token per sensor with attention across
  sensors.
"""

from __future__ import annotations

from numbers import Integral

from sklearn.utils._param_validation import Interval

from ..nn.itransformer import ITransformerBackbone
from ..nn.patchtst import PatchTSTBackbone
from ._base import SIZE_CONSTRAINTS, SupervisedEncoder

__all__ = ["PatchTSTEncoder", "ITransformerEncoder"]

_SUPERVISED_CONSTRAINTS = {
    **SIZE_CONSTRAINTS,
    "horizons": [Interval(Integral, 1, None, closed="left")],
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
    <training settings>

    Attributes
    ----------
    net_ : skorch.NeuralNet
        ``net_.module_.encoder`` is the ``PatchTSTBackbone``.
    history_ : skorch.History
    mean_, scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int

    Examples
    --------
    >>> from sktime_hepa import HEPAEventPredictor, PatchTSTEncoder, make_pipeline
    >>> head = HEPAEventPredictor(head="dt_mlp", horizons=50)
    >>> model = make_pipeline(PatchTSTEncoder(horizons=50), head)
    >>> model.fit(X, y).predict_surface(X_test)  # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        **_SUPERVISED_CONSTRAINTS,
        "patch_size": [Interval(Integral, 1, None, closed="left")],
        "d_out": [Interval(Integral, 1, None, closed="left")],
        "context_length": [Interval(Integral, 1, None, closed="left"), None],
    }

    _training_defaults = {
        "max_epochs": 50,
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
        **training,
    ):
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.patch_size = patch_size
        self.dropout = dropout
        self.d_out = d_out
        self.context_length = context_length
        self.horizons = horizons
        super().__init__(**training)

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
    horizons : int, default=200
        K of the training task.
    <training settings>

    Attributes
    ----------
    net_ : skorch.NeuralNet
        ``net_.module_.encoder`` is the ``ITransformerBackbone``.
    history_ : skorch.History
    mean_, scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int

    Examples
    --------
    >>> from sktime_hepa import HEPAEventPredictor, ITransformerEncoder, make_pipeline
    >>> head = HEPAEventPredictor(head="dt_mlp", horizons=50)
    >>> model = make_pipeline(ITransformerEncoder(horizons=50), head)
    >>> model.fit(X, y).predict_surface(X_test)  # doctest: +SKIP
    """

    _training_notes = {
        "missing": (
            "A missing step enters its sensor's token as 0 (the context's mean "
            "after instance normalisation)."
        ),
    }

    _parameter_constraints: dict = {
        **_SUPERVISED_CONSTRAINTS,
        "d_out": [Interval(Integral, 1, None, closed="left")],
        "context_length": [Interval(Integral, 1, None, closed="left")],
    }
    patch_size = 1  # contexts are not cut into patches

    _training_defaults = {
        "max_epochs": 50,
    }

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
        **training,
    ):
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.dropout = dropout
        self.d_out = d_out
        self.context_length = context_length
        self.horizons = horizons
        super().__init__(**training)

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
