"""SensitiveMambaDetector: selective state-space reconstruction with uncertainty (S6)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from skorch.callbacks import LRScheduler, PassthroughScoring

from .._inference import module_device
from .._rows import PanelRows
from ..encoders._base import check_batch_size
from ..encoders._detector import (
    DETECTOR_CONSTRAINTS,
    MAX_THRESHOLD_ROWS,
    SelfSupervisedDetector,
    window_scores,
)
from ..nn.sensitive_mamba import SensitiveMambaEncoder, SensitiveMambaLoss, SensitiveMambaModule

__all__ = ["SensitiveMambaDetector"]

_POSITIVE_INT = [Interval(Integral, 1, None, closed="left")]


@torch.inference_mode()
def channel_nll_rows(module, source: PanelRows, rows, *, batch_size: int = 512) -> np.ndarray:
    """Per-channel NLL (n, C) float64 of the given rows: ``module.channel_nll`` per context."""
    module.eval()
    out = None
    for sel, ctx, mask in source.iter_contexts(rows, batch_size, module_device(module)):
        nll = module.channel_nll(ctx, mask).double().cpu().numpy()  # (b, C)
        if out is None:
            out = np.empty((len(rows), nll.shape[1]), dtype=np.float64)
        out[sel] = nll
    return out


class SensitiveMambaDetector(SelfSupervisedDetector):
    """SensitiveMamba as a detector and an encoder, with a causal plain-torch S6 scan.

    RevIN, an input projection and ``n_layers`` Mamba encoder layers
    (selective state space, state 16, causal depthwise convolution of width 2,
    expand 1; each followed by LayerNorm, a LeakyReLU FFN and a linear layer)
    encode the window; a residual decoder reconstructs it and a head predicts
    each step's log-precision ``s``. Training minimises the variance-weighted
    heteroscedastic NLL ``mse * e^s - s`` plus ``gamma`` times the hierarchical
    contrastive term between two cropped-and-masked views. A row's score is
    its per-channel NLL at its own step, normalised per channel by the median
    and IQR of the training rows' NLL, max over channels. ``transform``
    returns the last layer's state at the row's step.

    Faithful to ``gr8alex35/SensitiveMamba`` (``config/star.yaml``, SMAP
    setting) except where it reads the future: the window is the context
    ending at t, RevIN uses that context's statistics, and the row is scored
    at the window's last position (the original scores the middle position,
    which sees 50 future steps). The scan is plain torch instead of
    ``mamba_ssm`` (CUDA only). See docs/design.md.

    Parameters
    ----------
    d_model, d_hidden, n_layers : int, default=64, 128, 6
        SMAP setting (MSL: ``n_layers=4``; SWaT/SMD: 128, 512, 6).
    d_state, d_conv, expand : int, default=16, 2, 1
    dropout : float, default=0.2
    context_length : int, default=100
    alpha : float or None, default=1.0
        Exponent of the batch-mean variance in the NLL weights; None trains on
        the unweighted NLL.
    gamma, beta, tau : float, default=1.0, 0.5, 0.1
        Weight of the contrastive term, its instance/temporal balance, its
        temperature.
    crop_ratio, mask_ratio : float, default=0.9, 0.3
        The contrastive views: crop length and zeroed segment, as shares.
    contamination : float in (0, 0.5], default=0.01
    <training settings>

    Attributes
    ----------
    net_ : skorch.NeuralNet
        ``net_.module_`` is a ``SensitiveMambaModule``; its ``encoder`` gives
        ``h_t``; its buffers ``nll_median`` and ``nll_iqr`` hold the per-channel
        normalisation fitted on training rows.
    threshold_ : float
    threshold_scores_ : ndarray
    history_ : skorch.History
    mean_, scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int

    Examples
    --------
    >>> from sktime_hepa import SensitiveMambaDetector
    >>> det = SensitiveMambaDetector(random_state=0).fit(X_train)  # doctest: +SKIP
    >>> flags = det.predict(X_test)  # doctest: +SKIP
    """

    _training_notes = {
        "lr": "Halved every 5 epochs (the original's StepLR).",
        "weight_decay": "AdamW's default, as the original.",
        "validation_fraction": "The held-out rows also fit ``threshold_``.",
    }

    _parameter_constraints: dict = {
        "d_model": _POSITIVE_INT,
        "d_hidden": _POSITIVE_INT,
        "n_layers": _POSITIVE_INT,
        "d_state": _POSITIVE_INT,
        "d_conv": _POSITIVE_INT,
        "expand": _POSITIVE_INT,
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "context_length": _POSITIVE_INT,
        "alpha": [Interval(Real, 0, None, closed="left"), None],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, 1, closed="both")],
        "tau": [Interval(Real, 0, None, closed="neither")],
        "crop_ratio": [Interval(Real, 0, 1, closed="right")],
        "mask_ratio": [Interval(Real, 0, 1, closed="left")],
        **DETECTOR_CONSTRAINTS,
    }
    _part_names = ("mse", "nll")
    _max_horizon = 1  # no future window: the targets are the window's own steps
    patch_size = 1

    _training_defaults = {
        "lr": 1e-3,
        "max_epochs": 25,
    }

    def __init__(
        self,
        *,
        d_model=64,
        d_hidden=128,
        n_layers=6,
        d_state=16,
        d_conv=2,
        expand=1,
        dropout=0.2,
        context_length=100,
        alpha=1.0,
        gamma=1.0,
        beta=0.5,
        tau=0.1,
        crop_ratio=0.9,
        mask_ratio=0.3,
        contamination=0.01,
        **training,
    ):
        self.d_model = d_model
        self.d_hidden = d_hidden
        self.n_layers = n_layers
        self.d_state = d_state
        self.d_conv = d_conv
        self.expand = expand
        self.dropout = dropout
        self.context_length = context_length
        self.alpha = alpha
        self.gamma = gamma
        self.beta = beta
        self.tau = tau
        self.crop_ratio = crop_ratio
        self.mask_ratio = mask_ratio
        self.contamination = contamination
        super().__init__(**training)

    def _criterion(self):
        return SensitiveMambaLoss(
            alpha=self.alpha, gamma=self.gamma, beta=self.beta, temperature=self.tau
        )

    def _stage_callbacks(self) -> list:
        return [
            # training-only parts (validation is the plain NLL, as the original)
            ("train_weighted_nll", PassthroughScoring("train_weighted_nll", on_train=True)),
            ("train_contrastive", PassthroughScoring("train_contrastive", on_train=True)),
            # the original's StepLR(5, 0.5)
            ("lr_step", LRScheduler(policy="StepLR", step_size=5, gamma=0.5)),
        ]

    def _build_module(self, n_channels: int) -> SensitiveMambaModule:
        encoder = SensitiveMambaEncoder(
            n_channels=n_channels,
            d_model=self.d_model,
            d_hidden=self.d_hidden,
            n_layers=self.n_layers,
            dropout=self.dropout,
            d_state=self.d_state,
            d_conv=self.d_conv,
            expand=self.expand,
        )
        return SensitiveMambaModule(
            encoder=encoder,
            n_channels=n_channels,
            crop_ratio=self.crop_ratio,
            mask_ratio=self.mask_ratio,
        )

    def score_windows(self, X, *, stride=None, normalise="train", batch_size=64):
        """Scores under the published protocol: each row near the middle of a window.

        The reference code's scoring (``gr8alex35/SensitiveMamba``): windows of
        ``context_length`` steps with RevIN on each whole window, every row
        scored by its heteroscedastic NLL per channel, normalised per channel
        by a median and IQR, max over channels; the code slides the window one
        step at a time and keeps the middle position (``select_pos='mid'``),
        so a row's score reads about ``context_length // 2`` later steps. For
        reproducing and comparing with published figures, not for a forecast
        (use ``score_samples``, causal, for that).

        Parameters
        ----------
        X : same formats as in ``fit``, with the same sensors
        stride : int or None, default=None
            Rows between consecutive windows, each window scoring the rows
            nearest its middle. 1 is the code's scoring (a window per row);
            None means ``context_length // 4``: every row within an eighth of
            a window of that window's middle, at ``4 / context_length`` of the
            code's cost. ``context_length`` gives non-overlapping windows, in
            which a row at a window's start has no history (measured worse
            on MSL than rows scored near a middle: docs/design.md). At most
            ``context_length``. Rows near a series' start or end are scored
            in its first or last window.
        normalise : {"train", "scored"}, default="train"
            Where the per-channel median and IQR come from: the training rows
            (fitted in ``fit``, ``nll_median`` and ``nll_iqr``), or the rows of
            X being scored, as the code does with its test errors (reads the
            scored data; for reproducing only).
        batch_size : int, default=64
            Windows per chunk.

        Returns
        -------
        scores : ndarray of float64, shape (n_rows,)

        Raises
        ------
        NotFittedError, ValueError, TypeError
            As :meth:`score_samples`; ``stride`` not an integer in
            ``[1, context_length]``; ``normalise`` not one of its options.
        """
        batch_size = check_batch_size(batch_size)
        stride = self.context_length // 4 if stride is None else stride
        if (
            isinstance(stride, bool)
            or not isinstance(stride, Integral)
            or not 1 <= stride <= self.context_length
        ):
            raise ValueError(
                f"stride must be an integer in [1, context_length={self.context_length}], "
                f"got {stride!r}."
            )
        if normalise not in ("train", "scored"):
            raise ValueError(f"normalise must be 'train' or 'scored', got {normalise!r}.")
        source = self.to_rows(X)  # refuses X (and an unfitted detector) with a named error
        module = self.net_.module_
        nll = window_scores(
            module, source, batch_size=batch_size, stride=stride, method="window_nll"
        )  # (n, C)
        if normalise == "train":
            median = module.nll_median.double().cpu().numpy()
            iqr = module.nll_iqr.double().cpu().numpy()
        else:
            q25, median, q75 = np.percentile(nll, [25, 50, 75], axis=0)
            iqr = q75 - q25
        return ((nll - median) / (iqr + 1e-9)).max(axis=1)

    def _after_pretraining(self, source: PanelRows, segments, seed: int) -> None:
        """Per-channel median and IQR of the training rows' NLL, then the threshold."""
        rows = np.arange(source.n_rows)
        if len(rows) > MAX_THRESHOLD_ROWS:
            rng = np.random.default_rng(seed)
            rows = np.sort(rng.choice(rows, MAX_THRESHOLD_ROWS, replace=False))
        module = self.net_.module_
        nll = channel_nll_rows(module, source, rows)  # (n, C)
        q25, median, q75 = np.percentile(nll, [25, 50, 75], axis=0)  # 3 x (C,)
        module.nll_median.copy_(torch.as_tensor(median, dtype=module.nll_median.dtype))
        module.nll_iqr.copy_(torch.as_tensor(q75 - q25, dtype=module.nll_iqr.dtype))
        super()._after_pretraining(source, segments, seed)
