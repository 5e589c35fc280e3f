"""The detector face of a self-supervised encoder: one anomaly score per row, and flags.

A *detector* is an encoder estimator (the encoder slot: ``transform`` gives
``h_t``) whose pretraining module also scores: ``module.anomaly_score(context,
context_mask)`` returns, for each context, the anomaly score of its last step
(higher = more anomalous), computed the way the original system scores
(reconstruction error, association discrepancy, heteroscedastic NLL, ...).
Contexts end at the row they score, so a score never reads the future.

After pretraining the detector scores the rows it held out for validation
(the training rows when nothing was held out) and fits ``threshold_`` as their
``1 - contamination`` quantile. Test labels never reach it. Scores that cannot
be thresholded (mostly one value, or a threshold at their minimum) raise a
``DegenerateScoreWarning``.

Conventions: ``score_samples`` is higher for more anomalous rows and
``predict`` returns 1 for a flagged row, 0 otherwise (as PyOD does), so the
flags feed :func:`~sktime_hepa.metrics.point_adjusted_f1_score` directly.
scikit-learn's own outlier detectors use the opposite signs (-1 for an
outlier, lower ``score_samples`` for more abnormal); these estimators do not
declare themselves outlier detectors, so sklearn's tools do not assume them.
"""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .._inference import module_device, score_rows
from .._rows import PanelRows
from ._base import SelfSupervisedEncoder, check_batch_size, check_rows

__all__ = [
    "DETECTOR_CONSTRAINTS",
    "DegenerateScoreWarning",
    "SelfSupervisedDetector",
    "degenerate_scores",
    "held_out_rows",
]

#: Constraints of the parameters every detector adds to an encoder's.
DETECTOR_CONSTRAINTS = {
    "contamination": [Interval(Real, 0, 0.5, closed="right")],
}

#: Rows scored to fit the threshold (a random sample beyond it).
MAX_THRESHOLD_ROWS = 20_000


class DegenerateScoreWarning(UserWarning):
    """A fitted detector's held-out scores cannot be thresholded (constant, or a bad threshold)."""


def degenerate_scores(scores, threshold) -> str:
    """Why ``scores`` cannot be thresholded at ``threshold`` (an empty string when they can).

    Degenerate: non-finite scores; more than half of the scores sharing one
    value (up to a relative 1e-6); a threshold no higher than the median score
    (up to a relative 1e-6: at least half the rows share the threshold's
    value, as when nearly every score is 0); or a threshold at the minimum.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) == 0:
        return "are empty"
    if not np.all(np.isfinite(scores)):
        return "are not all finite"
    values = np.sort(scores)
    # the most scores sharing one value, up to a relative 1e-6 (exact zeros included)
    ends = np.searchsorted(values, values + 1e-6 * np.abs(values), side="right")
    counts = ends - np.arange(len(values))  # (n,) scores within tolerance of each
    tied = float(counts.max()) / len(values)
    if tied > 0.5:
        return f"are one value ({values[counts.argmax()]:.3g}) for {tied:.0%} of the rows"
    median = float(np.median(scores))
    if threshold <= median + 1e-6 * (abs(median) + abs(threshold)):
        return f"have their threshold at or below their median ({median:.3g})"
    if threshold <= float(np.min(scores)):
        return "have their threshold at the minimum score"
    return ""


def scored_windows(offsets, W: int, stride: int | None):
    """Windows that score every row once: (last row, first and end of the rows it scores).

    ``stride=None``: consecutive non-overlapping windows, each scoring all its
    rows (the tail of a series in the window ending at its last row). An
    integer stride: windows ending every ``stride`` rows (and at each series'
    last row), each scoring the rows nearest its centre, so that a row away
    from a series' ends is scored with about ``W // 2`` steps before it and
    after it (``stride=1``: every row at the exact centre of its own window).
    A series shorter than ``W`` is one left-padded window.
    """
    ends, lo, hi = [], [], []
    for a, b in zip(offsets[:-1], offsets[1:], strict=True):
        if stride is None:
            first = np.arange(a, b, W)
            ends.append(np.minimum(first + W, b) - 1)
            lo.append(first)
            hi.append(ends[-1] + 1)
            continue
        e = np.arange(a + W - 1, b, stride) if b - a > W else np.zeros(0, np.int64)
        e = np.r_[e, b - 1] if len(e) == 0 or e[-1] != b - 1 else e
        centres = e - (W - 1) + W // 2  # the window's middle row (the original's 'mid')
        cuts = (centres[:-1] + centres[1:] + 1) // 2  # a row goes to the nearest centre
        ends.append(e)
        lo.append(np.r_[a, cuts])
        hi.append(np.r_[cuts, b])
    return np.concatenate(ends), np.concatenate(lo), np.concatenate(hi)


def window_scores(
    module,
    source: PanelRows,
    *,
    batch_size: int,
    stride: int | None = None,
    method: str = "window_scores",
) -> np.ndarray:
    """Every row scored inside a window around it: ``module.<method>`` per window.

    The module scores every step of a window at once, ``(B, W)`` (or
    ``(B, W, C)`` per channel), so a row's score may read later steps of its
    window (the published protocols, not a forecast). Which windows, and which
    of their rows each one scores: :func:`scored_windows`. Returns (n_rows,)
    or (n_rows, C) float64.
    """
    module.eval()
    W = source.context_length
    ends, lo, hi = scored_windows(source.offsets, W, stride)
    out = None
    with torch.inference_mode():
        for sel, ctx, mask in source.iter_contexts(ends, batch_size, module_device(module)):
            scores = getattr(module, method)(ctx, mask).double().cpu().numpy()  # (b, W[, C])
            if out is None:
                out = np.empty((source.n_rows, *scores.shape[2:]), dtype=np.float64)
            for k, window in zip(sel, scores, strict=True):
                # the window holds rows end-W+1 .. end (left-padded when shorter)
                out[lo[k] : hi[k]] = window[W - 1 - (ends[k] - np.arange(lo[k], hi[k]))]
    return out


def held_out_rows(source: PanelRows, segments, seed: int) -> np.ndarray:
    """Row numbers of the held-out ``segments``: at most ``MAX_THRESHOLD_ROWS``, a seeded sample."""
    rows = np.concatenate(
        [source.offsets[i] + np.arange(lo, hi) for i, lo, hi in segments] or [np.zeros(0, np.int64)]
    )
    if len(rows) > MAX_THRESHOLD_ROWS:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(rows, MAX_THRESHOLD_ROWS, replace=False))
    return rows


class SelfSupervisedDetector(SelfSupervisedEncoder):
    """A self-supervised encoder that also scores rows as anomalous.

    Subclasses are :class:`~sktime_hepa.encoders.SelfSupervisedEncoder`
    subclasses whose ``_build_module`` returns a module with an
    ``anomaly_score(context, context_mask) -> (B,)`` method, and which have a
    ``contamination`` parameter (``DETECTOR_CONSTRAINTS``).

    Fitted attributes beyond the encoder's: ``threshold_`` (float) and
    ``threshold_scores_`` (the scores it was fitted on, for a reader who
    wants another quantile: ``np.quantile(det.threshold_scores_, q)``).
    """

    def _after_pretraining(self, source: PanelRows, segments, seed: int) -> None:
        rows = held_out_rows(source, segments, seed)
        scores = score_rows(self.net_.module_, source, rows, batch_size=512)
        self.threshold_scores_ = scores
        self.threshold_ = float(np.quantile(scores, 1.0 - self.contamination))
        problem = degenerate_scores(scores, self.threshold_)
        if problem:
            warnings.warn(
                f"{type(self).__name__}: the held-out anomaly scores {problem}, so the "
                f"threshold ({self.threshold_:.3g}) cannot separate rows and the flags say "
                "nothing. Train longer (max_epochs), check the input scaling, or read the "
                "scores' ranks rather than the flags.",
                DegenerateScoreWarning,
                stacklevel=4,  # _after_pretraining <- fit <- fit_atomically <- the caller
            )

    def score_samples(self, X, *, rows=None, batch_size=512):
        """Anomaly score of every row (higher = more anomalous), from its causal context.

        Parameters
        ----------
        X : same formats as in ``fit``, with the same sensors
        rows : array-like of int, optional
            Row numbers into X to score (all rows when None); their contexts
            still reach back into X.
        batch_size : int, default=512
            Rows per chunk.

        Returns
        -------
        scores : ndarray of float64, shape (n_rows,) or (n_selected,)

        Raises
        ------
        NotFittedError, ValueError, TypeError
            Before ``fit``, or X refused as in :meth:`to_rows` (not a panel, other
            sensors than in ``fit``, NaN with ``missing="error"``, inf, text,
            repeated or unsorted time steps; see :func:`~sktime_hepa.panel.as_panel`).
        ValueError
            ``rows`` not a 1-D array of integers in ``[0, n_rows)``;
            ``batch_size`` not a positive integer (checked first, even before
            ``fit``).
        """
        batch_size = check_batch_size(batch_size)
        source = self.to_rows(X)
        rows = np.arange(source.n_rows) if rows is None else check_rows(rows, source.n_rows)
        return score_rows(
            self.net_.module_, source, rows, batch_size=batch_size, progress=self.verbose >= 2
        )

    def decision_function(self, X):
        """``score_samples(X) - threshold_``: positive for flagged rows.

        Parameters
        ----------
        X : same formats as in ``fit``, with the same sensors

        Returns
        -------
        scores : ndarray of float64, shape (n_rows,)

        Raises
        ------
        NotFittedError, ValueError, TypeError
            As :meth:`score_samples` (before ``fit``, or X refused).
        """
        return self.score_samples(X) - self.threshold_

    def predict(self, X):
        """1 where a row's score exceeds ``threshold_``, else 0.

        Parameters
        ----------
        X : same formats as in ``fit``

        Returns
        -------
        flags : ndarray of int64, shape (n_rows,)

        Raises
        ------
        NotFittedError, ValueError, TypeError
            As :meth:`score_samples` (before ``fit``, or X refused).
        """
        check_is_fitted(self, "threshold_")
        return (self.score_samples(X) > self.threshold_).astype(np.int64)
