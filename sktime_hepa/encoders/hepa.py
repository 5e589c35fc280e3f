"""HEPAPretrainer: self-supervised JEPA pretraining of the causal encoder."""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .._inference import module_device
from .._rows import PanelRows, PretrainWindows, pretrain_collate
from ..callbacks import CollapseMonitor, EMATargetUpdate, PartRatio, PredictionReference
from ..diagnostics import (
    DT_BANDS,
    PREDICTION_RATIO_BOUND,
    PredictionWarning,
    band_name,
    prediction_reference,
)
from ..nn.encoder import NORMALIZATIONS
from ..nn.hepa import TARGET_WINDOWS, JEPAModule
from ..nn.losses import L1_REDUCTIONS, SIGREG_ON, JEPALoss
from ..nn.predictor import HorizonPredictor
from ..nn.sigreg import SIGREG_SCALES
from ._base import (
    SIZE_CONSTRAINTS,
    SelfSupervisedEncoder,
    causal_patch_encoder,
    count_parameters,
)

__all__ = ["HEPAPretrainer"]


class HEPAPretrainer(SelfSupervisedEncoder):
    """Pretrain a causal Transformer encoder with the HEPA JEPA objective.

    ``fit(X)`` needs no labels: a horizon-conditioned predictor learns to
    predict the embedding of the future interval ``x_(t, t+dt]`` from
    ``h_t = encoder(x_<=t)``, with ``dt ~ LogUniform[1, max_horizon]``.
    ``transform(X)`` returns ``h_t`` for every row of X.

    Parameters
    ----------
    d_model, n_layers, n_heads, patch_size, dropout : int, int, int, int, float
        Encoder size; paper defaults 256, 2, 4, 16, 0.1.
    predictor_hidden : int, default=384
        Hidden width of the predictor MLP (197.6K parameters at d_model=256).
    context_length : int or None, default=512
        Steps of history in each row's context; None uses the whole history
        (the paper's C-MAPSS setting).
    normalization : {"instance", "instance_stats", "none"}, default="instance"
        "instance" is the paper's per-context instance normalisation.
        "instance_stats" adds a token with the context's mean and log-std, so
        absolute sensor levels survive. "none" keeps only the per-channel
        z-score fitted on the training data (applied in every mode).
    max_horizon : int, default=200
        Largest pretraining horizon.
    alpha : float, default=0.1
        SIGReg weight in ``(1 - alpha) * L1 + alpha * SIGReg`` (the paper's).
    sigreg_scale : {"none", "batch"}, default="none"
        "none": SIGReg is the Epps-Pulley distance itself, so ``alpha`` means
        the same at every batch size. "batch": the distance times the batch
        size (LeJEPA's test statistic; the package's former default), which at
        batch 64 weighs SIGReg 64 times more: the predictor then stops
        predicting (held-out ratio ~0.98 on FD001, docs/design.md).
    l1_reduction : {"mean", "sum"}, default="mean"
        Reduction of the L1 term over embedding dimensions. "mean" gives the
        paper's loss scale (converged epsilon ~0.015-0.06); "sum" makes the L1
        term ~d times larger, SIGReg negligible beside it, and the encoder
        collapses (docs/design.md).
    sigreg_on : {"all", "predictor"}, default="all"
        SIGReg also on ``h_t`` and the target ``h*`` (as LeJEPA does on every
        embedding), averaged with the predictor output's; or on the predictor
        output only (the paper's section 3.1). With "predictor" alone ``h_t``
        keeps an effective rank of ~5-7 of 256 and BATADAL's encoder scores
        at chance; "all" keeps it spread (docs/design.md, objective comparison).
    target_window : {"interval", "patch", "context"}, default="interval"
        The future the predictor predicts at horizon dt. "interval": the
        interval ``x_(t, t+dt]`` encoded bidirectionally and pooled (the
        paper), whose embedding can tell dt by its length alone. "patch": the
        ``patch_size`` steps ending at ``t+dt``, the same length at every dt.
        "context": the encoder's own summary ``h_(t+dt)`` of the history up
        to ``t+dt`` (cut like every context): the predictor learns how the
        state moves, and a target no longer hinges on a short window's noise.
    target_encoder : {"shared", "ema"}, default="shared"
        "shared": the target branch is the encoder itself, trained jointly
        (the paper). "ema": a frozen copy updated as an exponential moving
        average of the encoder after every step (the paper's I.3 ablation).
    ema_momentum : float, default=0.99
        tau of the EMA target.
    reconstruction_weight : float, default=0.0
        Weight ``beta`` of a reconstruction term added to the JEPA loss: a
        linear decoder maps ``h_t`` to the context's last patch (and, under
        ``normalization="instance_stats"``, to the context's mean and
        log-std), scored by the mean squared error. 0 is the paper's objective;
        a positive weight asks ``h_t`` to keep what the current state looks
        like, which the prediction loss alone may discard. At 0.1 it raises
        the rank of ``h_t`` and, within one seed std, the few-label h-AUROC
        on five of six datasets, and loosens prediction (docs/design.md, "A
        reconstruction term"), so the default stays 0. The decoder is dropped
        after pretraining.
    <training settings>

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained network; ``net_.module_`` is a ``JEPAModule``.
    history_ : skorch.History
        Per-epoch losses, including the L1 part (``valid_l1`` is the paper's
        epsilon) and the SIGReg part, and the collapse statistics of the
        epoch's validation batches: ``h_std``, ``h_rank``, ``h_cos`` (spread
        of ``h_t``), ``pred_std``, ``pred_rank`` (of the predictor output) and
        ``sigreg_gauss_ref`` / ``sigreg_const_ref`` (SIGReg of an N(0, I) and
        of a constant batch of the same size; see ``sktime_hepa.diagnostics``),
        and the prediction reference: ``l1_shuffled`` (the error against the
        target of another row of nearly the same dt), ``pred_ratio`` (real /
        shuffled; ~1 for a predictor that ignores its context) and
        ``pred_ratio_dt1_3`` ... ``pred_ratio_dt64_`` per dt band. With
        ``reconstruction_weight > 0`` also ``recon``, its reference
        ``recon_mean_ref`` and ``recon_ratio`` (their quotient; ~1 for a
        decoder that learned nothing).
    prediction_reference_ : dict
        ``prediction_error`` of the fitted encoder and predictor on the held-out
        validation windows (the training windows without validation): ``l1``,
        ``l1_shuffled``, ``ratio`` and the per-band ratios. A
        ``PredictionWarning`` is raised when ``ratio`` is above
        ``diagnostics.PREDICTION_RATIO_BOUND`` (0.8).
    collapse_stats_ : dict
        ``std``, ``rank`` and ``cos`` of the fitted encoder's ``h_t`` on up to
        1024 training rows; a ``CollapseWarning`` is raised when they show
        collapse.
    mean_, scale_ : ndarray of shape (n_features_in_,)
        Per-channel z-score fitted on the training rows.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X has string column names.

    Examples
    --------
    >>> from sktime_hepa import HEPAPretrainer
    >>> from sktime_hepa.datasets import make_run_to_failure
    >>> X, _ = make_run_to_failure(30, random_state=0)  # labels are not needed
    >>> pre = HEPAPretrainer(d_model=64, context_length=None, max_epochs=5).fit(X)  # doctest: +SKIP
    >>> H = pre.transform(X)  # (n_rows, 64) embeddings h_t  # doctest: +SKIP
    >>> pre.prediction_reference_["ratio"] < 0.8  # the predictor predicts  # doctest: +SKIP
    """

    _training_notes = {
        "lr": "Paper: 3e-4, with ``weight_decay`` 1e-2 and ``batch_size`` 64.",
        "max_epochs": "Paper: 100, with ``patience`` 10.",
        "stride": "An epoch visits one random anchor per ``stride`` rows.",
    }

    _collapse_advice = (
        "Try l1_reduction='mean', sigreg_on='all', a larger alpha, or a lower lr; "
        "history_ shows per epoch where the spread was lost (h_cos, h_rank)."
    )
    _parameter_constraints: dict = {
        **SIZE_CONSTRAINTS,
        "patch_size": [Interval(Integral, 1, None, closed="left")],
        "predictor_hidden": [Interval(Integral, 1, None, closed="left")],
        "context_length": [Interval(Integral, 1, None, closed="left"), None],
        "normalization": [StrOptions(set(NORMALIZATIONS))],
        "max_horizon": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "sigreg_scale": [StrOptions(set(SIGREG_SCALES))],
        "l1_reduction": [StrOptions(set(L1_REDUCTIONS))],
        "sigreg_on": [StrOptions(set(SIGREG_ON))],
        "target_window": [StrOptions(set(TARGET_WINDOWS))],
        "target_encoder": [StrOptions({"shared", "ema"})],
        "ema_momentum": [Interval(Real, 0, 1, closed="both")],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
    }

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
        predictor_hidden=384,
        context_length=512,
        normalization="instance",
        max_horizon=200,
        alpha=0.1,
        sigreg_scale="none",
        l1_reduction="mean",
        sigreg_on="all",
        target_window="interval",
        target_encoder="shared",
        ema_momentum=0.99,
        reconstruction_weight=0.0,
        **training,
    ):
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.patch_size = patch_size
        self.dropout = dropout
        self.predictor_hidden = predictor_hidden
        self.context_length = context_length
        self.normalization = normalization
        self.max_horizon = max_horizon
        self.alpha = alpha
        self.sigreg_scale = sigreg_scale
        self.l1_reduction = l1_reduction
        self.sigreg_on = sigreg_on
        self.target_window = target_window
        self.target_encoder = target_encoder
        self.ema_momentum = ema_momentum
        self.reconstruction_weight = reconstruction_weight
        super().__init__(**training)

    @property
    def _part_names(self) -> tuple:
        if self.reconstruction_weight > 0:
            return ("l1", "sigreg", "recon", "recon_mean_ref")
        return ("l1", "sigreg")

    @property
    def _max_horizon(self) -> int:
        return self.max_horizon

    @property
    def _target(self) -> str:
        return self.target_window

    def _criterion(self):
        return JEPALoss(
            alpha=self.alpha,
            l1_reduction=self.l1_reduction,
            sigreg_on=self.sigreg_on,
            sigreg_scale=self.sigreg_scale,
            reconstruction_weight=self.reconstruction_weight,
        )

    def _stage_callbacks(self) -> list:
        named = [("collapse", CollapseMonitor()), ("prediction", PredictionReference())]
        if self.target_encoder == "ema":
            named.append(("ema_target", EMATargetUpdate(self.ema_momentum)))
        if self.reconstruction_weight > 0:
            named.append(("recon_ratio", PartRatio("recon", "recon_mean_ref", name="recon_ratio")))
        return named

    def _build_module(self, n_channels: int) -> JEPAModule:
        predictor = HorizonPredictor(
            d_model=self.d_model, hidden=self.predictor_hidden, horizon_scale=self.max_horizon
        )
        encoder = causal_patch_encoder(self, n_channels)
        target = "context" if self.target_window == "context" else "window"
        decoder = None
        if self.reconstruction_weight > 0:
            decoder = nn.Linear(self.d_model, JEPAModule.decoder_width(encoder, n_channels))
        build = JEPAModule.with_ema_target if self.target_encoder == "ema" else JEPAModule
        return build(encoder=encoder, predictor=predictor, target=target, decoder=decoder)

    @property
    def predictor_module_(self):
        """The fitted horizon-conditioned predictor (pred-FT starts from it)."""
        check_is_fitted(self)
        return self.net_.module_.predictor

    @property
    def n_parameters_(self) -> dict:
        """Parameter counts of the encoder and predictor."""
        check_is_fitted(self)
        module = self.net_.module_
        return {
            "encoder": count_parameters(module.encoder),
            "predictor": count_parameters(module.predictor),
        }

    def prediction_error(self, X, *, max_windows=4096, random_state=0):
        """The predictor's error on the future windows of X, beside a shuffled reference.

        Windows ``(t, dt)`` are drawn over every series of X as in
        pretraining (one anchor per stride cell, ``dt`` log-uniform in
        ``[1, max_horizon]`` and inside the series), each context encoded,
        its future predicted and compared with the encoded future. Read
        ``ratio``: about 1 when the predictor ignores its context, well below
        1 when it predicts (``diagnostics.prediction_reference``).

        Parameters
        ----------
        X : same formats as in ``fit``, with the same sensors
            Held-out series (a series needs 2 or more steps to give a window).
        max_windows : int, default=4096
            At most this many windows (the anchor stride grows with X).
        random_state : int, default=0
            Seeds the windows' horizons and the shuffled partners.

        Returns
        -------
        ref : dict
            ``l1`` (the paper's epsilon), ``l1_shuffled``, ``ratio``,
            ``ratio_dt1_3`` ... ``ratio_dt64_`` (NaN for a band without rows)
            and ``n_windows``.
        """
        check_is_fitted(self)
        if (
            isinstance(max_windows, bool)
            or not isinstance(max_windows, Integral)
            or max_windows < 2
        ):
            raise ValueError(f"max_windows must be an integer >= 2, got {max_windows!r}.")
        if isinstance(random_state, bool) or not isinstance(random_state, Integral):
            raise ValueError(f"random_state must be an int, got {random_state!r}.")
        source = self.to_rows(X)
        segments = [(i, 0, int(n)) for i, n in enumerate(source.panel.lengths)]
        return self._held_out_reference(source, segments, int(random_state), max_windows)

    def _held_out_reference(self, source: PanelRows, segments, seed: int, max_windows: int):
        n_anchors = _n_anchors(segments)
        if n_anchors < 2:
            raise ValueError(
                "X gives fewer than 2 windows with a future step; the prediction error "
                "needs at least 2 (series of 2 or more steps)."
            )
        panel = source.panel
        windows = PretrainWindows(
            segments,
            stride=max(1, math.ceil(n_anchors / max_windows)),
            max_horizon=self.max_horizon,
            random=False,
            seed=seed,
            observed=panel.observed_steps() if panel.has_missing else None,
        )
        collate = pretrain_collate(
            panel.series,
            context_length=source.context_length,
            patch_size=self.patch_size,
            target=self._target,
        )
        module = self.net_.module_
        device = module_device(module)
        module.eval()
        parts = []
        with torch.inference_mode():
            for start in range(0, len(windows), 256):
                batch, _ = collate(
                    [windows[i] for i in range(start, min(start + 256, len(windows)))]
                )
                batch = {k: v.to(device) for k, v in batch.items()}
                h_hat, h_star = module(**batch)[:2]  # (b, D), (b, D)
                parts.append((h_hat.float().cpu(), h_star.float().cpu(), batch["dt"].cpu()))
        h_hat, h_star, dt = (torch.cat(v) for v in zip(*parts, strict=True))
        return {**prediction_reference(h_hat, h_star, dt, seed=seed), "n_windows": len(dt)}

    def _after_pretraining(self, source: PanelRows, segments, seed: int) -> None:
        if _n_anchors(segments) < 2:
            # too short to hold out 2 windows: no reference, and nothing to warn about
            nan = float("nan")
            keys = ["l1", "l1_shuffled", "ratio"] + [f"ratio_{band_name(*b)}" for b in DT_BANDS]
            self.prediction_reference_ = {**dict.fromkeys(keys, nan), "n_windows": 0}
            return
        ref = self._held_out_reference(source, segments, seed, 4096)
        if self.max_epochs and ref["ratio"] > PREDICTION_RATIO_BOUND:
            warnings.warn(
                f"HEPAPretrainer's predictor did not learn to predict: on the held-out "
                f"windows its error against the real future target is {ref['ratio']:.3f} "
                f"of its error against another row's target (bound {PREDICTION_RATIO_BOUND}; "
                "a predictor that ignores its context scores ~1). With sigreg_scale='batch' "
                "try 'none'; when the future windows themselves are unpredictable noise "
                "(operating regimes that switch at random, as in C-MAPSS FD002) try "
                "target_window='context', which predicts the encoder's own state at t+dt; "
                "more epochs or another lr may help too. history_ shows pred_ratio per epoch.",
                PredictionWarning,
                stacklevel=4,  # _after_pretraining <- fit <- fit_atomically <- the caller
            )
        self.prediction_reference_ = ref


def _n_anchors(segments) -> int:
    """Rows of the segments ``(series, lo, hi)`` that have a future step (JEPA anchors)."""
    return sum(max(hi - lo - 1, 0) for _, lo, hi in segments)
