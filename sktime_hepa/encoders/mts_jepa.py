"""MTSJEPAPretrainer: MTS-JEPA (multi-resolution JEPA with a soft codebook), causal."""

from __future__ import annotations

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from ..callbacks import EMATargetUpdate
from ..nn.mts_jepa import (
    CoarsePredictor,
    CodePredictor,
    MTSJEPAEncoder,
    MTSJEPALoss,
    MTSJEPAModule,
    PatchDecoder,
    SoftCodebook,
)
from ._base import SIZE_CONSTRAINTS, count_parameters
from ._detector import DETECTOR_CONSTRAINTS, SelfSupervisedDetector

__all__ = ["MTSJEPAPretrainer", "ReconWeightSchedule"]

_WEIGHT = [Interval(Real, 0, None, closed="left")]


class ReconWeightSchedule(Callback):
    """Anneal the reconstruction weight of an ``MTSJEPALoss`` linearly over the epochs.

    Training batches of epoch ``e`` (0-based) use ``start + (end - start) *
    e / (max_epochs - 1)``; validation batches are marked ``validating``, so
    their loss is the original's model-selection loss (no annealed term) and
    the validation loss that early stopping watches is comparable across
    epochs. The weight of each epoch is recorded in the history as
    ``recon_weight``.

    Parameters
    ----------
    start, end : float
        The original's 0.5 and 0.1.
    """

    def __init__(self, start: float = 0.5, end: float = 0.1):
        self.start = start
        self.end = end

    def on_epoch_begin(self, net, **kwargs):
        epoch = len(net.history) - 1  # the net opened this epoch's history row first
        progress = min(1.0, epoch / max(1, net.max_epochs - 1))
        self.weight_ = self.start + (self.end - self.start) * progress
        net.history.record("recon_weight", self.weight_)

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        net.criterion_.recon_weight = self.weight_
        net.criterion_.validating = not training


class MTSJEPAPretrainer(SelfSupervisedDetector):
    """MTS-JEPA as an encoder and a detector, reading only the past of each row.

    Channel-independent: each variable's ``window``-step window is cut into
    patches, embedded by a per-patch MLP and encoded with a CLS token by a
    Transformer whose attention is causal over patches. A soft cosine codebook
    turns every patch latent into a distribution over ``n_codes`` codes. The
    objective is the original's: a fine predictor maps one window's code
    distributions to the next window's, per patch (KL at ``temperature``,
    plus a latent MSE), a coarse predictor to the code distribution of the
    next window downsampled to one patch; targets come from EMA copies of
    encoder and codebook; codebook, commitment and two entropy terms keep the
    codes in use, and a decoder reconstructs the window from its quantised
    latents with an annealed weight.

    Causality: each row's context is its last ``2 * window`` steps, ending
    at ``t``. The first window is the input and the second, which ends at
    ``t``, is the "next window" target, so training never reads beyond a row.

    * ``transform`` gives ``h_t``: the online latent of the last patch of
      the window ending at ``t`` (causal attention makes it read the whole
      window), max-pooled over the variables; width ``d_model``.
    * ``score_samples`` gives prediction surprise: the KL divergence from the
      code distributions the fine predictor expected for the window ending
      at ``t`` (from the window before it) to the EMA target's actual code
      distributions of that window, averaged over its patches, max over the
      variables. ``threshold_`` is its ``1 - contamination`` quantile on the
      rows held out from pretraining.

    Parameters
    ----------
    window : int, default=100
        Steps per window (original 100); a multiple of ``patch_size``.
    patch_size : int, default=20
        Steps per patch (original 20: 5 patches per window). Contexts are
        left-padded to a multiple of it.
    d_model, n_layers, n_heads, dropout : int, int, int, float
        Encoder size; original 256, 2, 4, 0.1.
    n_codes : int, default=128
        Codebook size.
    predictor_hidden : int, default=128
        Width of both predictors' Transformers (2 layers, ``n_heads`` heads).
    temperature : float, default=0.8
        Temperature of the predicted code distributions.
    coarse_weight, mse_weight, commitment_weight : float, default=0.5, 0.1, 0.25
        Weights of the coarse KL, the latent MSE and the commitment loss (the
        fine KL and the codebook loss have weight 1).
    entropy_sample_weight, entropy_batch_weight : float, default=0.005, 0.01
        Per-patch entropy (minimised: confident codes) and entropy of the
        batch's mean code distribution (maximised: many codes in use).
    recon_weight_start, recon_weight_end : float, default=0.5, 0.1
        Reconstruction weight at the first and at the last epoch (linear in
        between; validation losses use ``recon_weight_end``).
    ema_momentum : float, default=0.996
        tau of the EMA targets, updated after every optimiser step.
    contamination : float, default=0.01
        Share of held-out rows above ``threshold_``.
    <training settings>

    Attributes
    ----------
    net_ : skorch.NeuralNet
        ``net_.module_`` is an ``MTSJEPAModule``; its ``encoder`` gives ``h_t``.
    history_ : skorch.History
        Per epoch: every loss part (``train_kl_fine``, ``valid_kl_fine``, ...,
        ``code_perplexity``: exp of the batch code entropy, 1..n_codes) and
        ``recon_weight``.
    threshold_ : float
    threshold_scores_ : ndarray of float64
    collapse_stats_ : dict
    mean_, scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int

    Examples
    --------
    >>> from sktime_hepa import MTSJEPAPretrainer
    >>> enc = MTSJEPAPretrainer(max_epochs=20, random_state=0).fit(X_train)  # doctest: +SKIP
    >>> scores = enc.score_samples(X_test)  # doctest: +SKIP
    """

    _training_notes = {
        "lr": "With ``weight_decay=0`` and ``batch_size=128``, the original's Adam.",
        "validation_fraction": "The held-out rows also fit ``threshold_``.",
    }

    _parameter_constraints: dict = {
        "window": [Interval(Integral, 1, None, closed="left")],
        "patch_size": [Interval(Integral, 1, None, closed="left")],
        **SIZE_CONSTRAINTS,
        "n_codes": [Interval(Integral, 2, None, closed="left")],
        "predictor_hidden": [Interval(Integral, 1, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "coarse_weight": _WEIGHT,
        "mse_weight": _WEIGHT,
        "commitment_weight": _WEIGHT,
        "entropy_sample_weight": _WEIGHT,
        "entropy_batch_weight": _WEIGHT,
        "recon_weight_start": _WEIGHT,
        "recon_weight_end": _WEIGHT,
        "ema_momentum": [Interval(Real, 0, 1, closed="both")],
        **DETECTOR_CONSTRAINTS,
    }
    _part_names = (
        "kl_fine",
        "kl_coarse",
        "mse",
        "codebook",
        "commitment",
        "entropy_sample",
        "entropy_batch",
        "recon",
        "code_perplexity",
    )
    _max_horizon = 1  # no future window: the "next window" lies inside the context

    _training_defaults = {
        "lr": 5e-4,
        "weight_decay": 0.0,
        "batch_size": 128,
        "stride": 4,
    }

    def __init__(
        self,
        *,
        window=100,
        patch_size=20,
        d_model=256,
        n_layers=2,
        n_heads=4,
        dropout=0.1,
        n_codes=128,
        predictor_hidden=128,
        temperature=0.8,
        coarse_weight=0.5,
        mse_weight=0.1,
        commitment_weight=0.25,
        entropy_sample_weight=0.005,
        entropy_batch_weight=0.01,
        recon_weight_start=0.5,
        recon_weight_end=0.1,
        ema_momentum=0.996,
        contamination=0.01,
        **training,
    ):
        self.window = window
        self.patch_size = patch_size
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.dropout = dropout
        self.n_codes = n_codes
        self.predictor_hidden = predictor_hidden
        self.temperature = temperature
        self.coarse_weight = coarse_weight
        self.mse_weight = mse_weight
        self.commitment_weight = commitment_weight
        self.entropy_sample_weight = entropy_sample_weight
        self.entropy_batch_weight = entropy_batch_weight
        self.recon_weight_start = recon_weight_start
        self.recon_weight_end = recon_weight_end
        self.ema_momentum = ema_momentum
        self.contamination = contamination
        super().__init__(**training)

    @property
    def context_length(self) -> int:
        """Steps per row's context: two windows, the input and the one ending at t."""
        return 2 * self.window

    def _validate_params(self):
        super()._validate_params()
        # relations between parameters, which the constraints cannot express
        if self.window % self.patch_size:
            raise ValueError(
                f"window={self.window} must be a multiple of patch_size={self.patch_size} "
                "(each window is cut into whole patches)."
            )
        if self.predictor_hidden % self.n_heads:
            raise ValueError(
                f"predictor_hidden={self.predictor_hidden} must be divisible by "
                f"n_heads={self.n_heads} (the predictors use n_heads attention heads)."
            )

    def _criterion(self):
        return MTSJEPALoss(
            coarse_weight=self.coarse_weight,
            mse_weight=self.mse_weight,
            commitment_weight=self.commitment_weight,
            entropy_sample_weight=self.entropy_sample_weight,
            entropy_batch_weight=self.entropy_batch_weight,
            recon_weight=self.recon_weight_start,
        )

    def _stage_callbacks(self) -> list:
        return [
            ("ema_target", EMATargetUpdate(self.ema_momentum)),
            ("recon_weight", ReconWeightSchedule(self.recon_weight_start, self.recon_weight_end)),
        ]

    def _build_module(self, n_channels: int) -> MTSJEPAModule:
        # channel-independent: no weight depends on n_channels
        n_patches = self.window // self.patch_size
        d, hidden = self.d_model, self.predictor_hidden
        codes = dict(n_codes=self.n_codes, n_patches=n_patches, hidden=hidden)
        shape = dict(n_layers=self.n_layers, n_heads=self.n_heads, dropout=self.dropout)
        return MTSJEPAModule(
            encoder=MTSJEPAEncoder(
                window=self.window, patch_size=self.patch_size, d_model=d, **shape
            ),
            codebook=SoftCodebook(n_codes=self.n_codes, d_model=d),
            predictor=CodePredictor(d_model=d, **codes, **shape),
            coarse_predictor=CoarsePredictor(**codes, **shape),
            # the original's (512, 256, 128) at d_model=256
            decoder=PatchDecoder(
                d_model=d,
                patch_size=self.patch_size,
                hidden=(2 * d, d, max(1, d // 2)),
                dropout=self.dropout,
            ),
            temperature=self.temperature,
        )

    @property
    def n_parameters_(self) -> dict:
        """Trainable parameter counts of the parts (the EMA copies are not trained)."""
        check_is_fitted(self)
        m = self.net_.module_
        parts = ("encoder", "codebook", "predictor", "coarse_predictor", "decoder")
        counts = {name: count_parameters(getattr(m, name)) for name in parts}
        counts["trainable"] = sum(counts.values())
        counts["ema_targets"] = count_parameters(m.target_patches) + count_parameters(
            m.target_codebook
        )
        return counts
