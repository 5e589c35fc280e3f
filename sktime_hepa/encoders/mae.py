"""MAEPretrainer: HEPA's encoder pretrained by masked patch reconstruction."""

from __future__ import annotations

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from ..callbacks import PartRatio
from ..nn.encoder import NORMALIZATIONS
from ..nn.mae import MAEModule, MaskedReconstructionLoss
from ._base import (
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
    <training settings>

    Attributes
    ----------
    net_ : skorch.NeuralNet
        ``net_.module_`` is an ``MAEModule``; its ``encoder`` gives ``h_t``.
    history_ : skorch.History
    mean_, scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int

    Examples
    --------
    >>> from sktime_hepa import HEPAEventPredictor, MAEPretrainer, make_pipeline
    >>> model = make_pipeline(MAEPretrainer(), HEPAEventPredictor(head="dt_mlp"))
    >>> model.fit(X, y).predict_surface(X_test)  # doctest: +SKIP
    """

    _training_notes = {
        "missing": (
            "A missing step inside a masked patch is reconstructed as 0 (the "
            "context's mean), as the left padding of a context's oldest patch "
            "already is."
        ),
    }

    _parameter_constraints: dict = {
        **SIZE_CONSTRAINTS,
        "patch_size": [Interval(Integral, 1, None, closed="left")],
        "context_length": [Interval(Integral, 1, None, closed="left"), None],
        "normalization": [StrOptions(set(NORMALIZATIONS))],
        "mask_ratio": [Interval(Real, 0, 1, closed="neither")],
    }
    _part_names = ("mse", "mse_mean_ref")
    _max_horizon = 1  # no future window: the targets are the context's own patches

    _training_defaults = {
        "stride": 4,
    }

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
        **training,
    ):
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.patch_size = patch_size
        self.dropout = dropout
        self.context_length = context_length
        self.normalization = normalization
        self.mask_ratio = mask_ratio
        super().__init__(**training)

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
