"""Metrics on event-probability surfaces, and scorers for scikit-learn model selection.

A surface is an array of shape ``(n_rows, K)`` whose entry ``[t, k]`` is
``p(t, dt=k+1) = P(event within k+1 steps | data up to t)``: one row per observation
time, columns for the dense horizons ``dt = 1 .. K``. Targets are the structured
survival arrays of :mod:`sktime_hepa.targets`; cells censored before their horizon
are *unknown* and are left out of every metric here.

The paper's headline metric is :func:`h_auroc_score`, the mean over horizons of the
per-horizon AUROC. The domain metrics (RMSE of the expected time to event, point-
adjusted F1, plain F1, ECE, Brier score) are lossy projections of the same surface,
kept for comparison with published baselines.

Metrics are plain functions on arrays. :class:`SurfaceScorer` wraps one as a
``scorer(estimator, X, y)`` callable that calls ``estimator.predict_surface(X)``, so
it can be used in ``cross_validate``, ``GridSearchCV`` and friends.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from .targets import (
    as_survival_target,
    horizon_labels,
    is_survival_target,
    target_from_event_labels,
)

__all__ = [
    "per_horizon_auroc",
    "h_auroc_score",
    "point_adjusted_f1_score",
    "event_f1_score",
    "expected_time_to_event",
    "time_to_event_rmse",
    "expected_calibration_error",
    "brier_score",
    "SurfaceScorer",
    "make_surface_scorer",
    "combine_surface_scorers",
    "h_auroc_scorer",
    "pa_f1_scorer",
    "f1_scorer",
    "rmse_scorer",
    "ece_scorer",
    "brier_scorer",
    "time_dependent_auc_score",
    "integrated_brier_score",
    "uno_concordance_score",
    "make_survival_scorer",
]


# ---------------------------------------------------------------------------
# input validation
# ---------------------------------------------------------------------------


def _check_surface(surface, *, probabilities: bool = False) -> np.ndarray:
    """Return ``surface`` as a finite 2-D float array, or raise ValueError."""
    surface = np.asarray(surface, dtype=np.float64)
    if surface.ndim != 2:
        raise ValueError(
            f"surface must be a 2-D array of shape (n_rows, K), got shape {surface.shape}."
        )
    if surface.shape[1] == 0:
        raise ValueError("surface has no horizon column (K = 0).")
    if np.isnan(surface).any():
        raise ValueError("surface contains NaN values.")
    if not np.isfinite(surface).all():
        raise ValueError("surface contains infinite values.")
    if probabilities and ((surface < 0).any() or (surface > 1).any()):
        raise ValueError("surface must hold probabilities in [0, 1] for this metric.")
    return surface


def _check_survival_target(y_true, n_rows: int) -> np.ndarray:
    if not is_survival_target(y_true):
        raise ValueError(
            "y_true must be a structured survival target with fields 'event' and 'time', or "
            "scikit-survival's two fields (boolean event first, numeric time second); convert "
            "per-step 0/1 labels with target_from_event_labels(labels, groups)."
        )
    y_true = as_survival_target(y_true)
    if y_true.ndim != 1 or y_true.shape[0] != n_rows:
        raise ValueError(
            f"y_true has {y_true.shape[0] if y_true.ndim else 0} rows but surface has "
            f"{n_rows} rows; they must match one-to-one."
        )
    return y_true


def _labels_and_known(y_true, surface, *, probabilities: bool = False):
    """Validated surface plus the (labels, known) cell arrays of ``y_true`` for its K."""
    surface = _check_surface(surface, probabilities=probabilities)
    y_true = _check_survival_target(y_true, surface.shape[0])
    labels, known = horizon_labels(y_true, surface.shape[1])
    if not known.any():
        raise ValueError(
            "y_true has no known (row, horizon) cell: every row is censored before dt=1."
        )
    return surface, labels.astype(np.float64), known


def _series_of(*arrays):
    """Series ids from the (series, time) MultiIndex of a pandas labels or scores, else None."""
    for a in arrays:
        index = getattr(a, "index", None)
        if isinstance(index, pd.MultiIndex) and index.nlevels >= 2:
            return index.get_level_values(0).to_numpy()
    return None


def _check_step_arrays(labels, scores, groups=None):
    if groups is None:  # pandas per-step labels carry their series in the index
        groups = _series_of(labels, scores)
    labels = np.asarray(labels)
    scores = np.asarray(scores, dtype=np.float64)
    if labels.ndim != 1 or scores.ndim != 1:
        raise ValueError(
            f"labels and scores must be 1-D per-step arrays, got shapes "
            f"{labels.shape} and {scores.shape}."
        )
    if labels.shape != scores.shape:
        raise ValueError(
            f"labels and scores must have the same length, got {labels.shape[0]} "
            f"and {scores.shape[0]}."
        )
    if labels.dtype != bool and not np.isin(labels, [0, 1]).all():
        raise ValueError("labels must be 0/1 or boolean per-step event indicators.")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN values.")
    labels = labels.astype(bool)
    if not labels.any():
        raise ValueError("labels contain no positive step; F1 is undefined.")
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != labels.shape:
            raise ValueError(
                f"groups must have the same shape as labels {labels.shape}, got {groups.shape}."
            )
    return labels, scores, groups


# ---------------------------------------------------------------------------
# discrimination: h-AUROC
# ---------------------------------------------------------------------------


def per_horizon_auroc(y_true, surface, *, min_prevalence: float = 0.001) -> np.ndarray:
    """AUROC of each horizon column of a surface, over its known cells.

    Parameters
    ----------
    y_true : structured array with fields ``event`` and ``time``, shape (n_rows,)
        Survival target of each row.
    surface : array-like of shape (n_rows, K)
        Scores for ``dt = 1 .. K``; any monotone transform of probabilities works.
    min_prevalence : float, default=0.001
        A horizon is skipped when the event prevalence among its known cells is
        below ``min_prevalence`` or above ``1 - min_prevalence`` (the paper's
        degenerate-horizon rule, appendix B), or when it lacks a positive or a
        negative cell.

    Returns
    -------
    auroc : ndarray of shape (K,)
        ``roc_auc_score`` per horizon; NaN for skipped horizons.
    """
    if not 0 <= min_prevalence < 0.5:
        raise ValueError(f"min_prevalence must be in [0, 0.5), got {min_prevalence}.")
    surface, labels, known = _labels_and_known(y_true, surface)
    out = np.full(surface.shape[1], np.nan)
    for k in range(surface.shape[1]):
        mask = known[:, k]
        y_k = labels[mask, k]
        n_pos = y_k.sum()
        n_neg = y_k.size - n_pos
        if n_pos < 1 or n_neg < 1:
            continue
        prevalence = n_pos / y_k.size
        if prevalence < min_prevalence or prevalence > 1 - min_prevalence:
            continue
        out[k] = roc_auc_score(y_k, surface[mask, k])
    return out


def h_auroc_score(y_true, surface, *, min_prevalence: float = 0.001) -> float:
    """Horizon-averaged AUROC (h-AUROC): mean of the non-skipped per-horizon AUROCs.

    Each horizon is its own binary problem with a 0.5 chance level, so the mean
    does not depend on how prevalence varies across horizons (paper, section 4).
    Horizons are weighted uniformly.

    Parameters
    ----------
    y_true : structured array with fields ``event`` and ``time``, shape (n_rows,)
    surface : array-like of shape (n_rows, K)
        Finite; only the ranking of the rows in each column counts, so any
        scores that rank rows (not only probabilities) are accepted.
    min_prevalence : float, default=0.001
        See :func:`per_horizon_auroc`.

    Returns
    -------
    score : float

    Raises
    ------
    ValueError
        If every horizon is skipped as degenerate.
    """
    auroc = per_horizon_auroc(y_true, surface, min_prevalence=min_prevalence)
    if np.isnan(auroc).all():
        raise ValueError(
            f"every one of the {auroc.size} horizons is degenerate (no positive or no "
            f"negative known cell, or prevalence outside [{min_prevalence}, "
            f"{1 - min_prevalence}]); h-AUROC is undefined."
        )
    return float(np.nanmean(auroc))


# ---------------------------------------------------------------------------
# thresholded detection: F1 and point-adjusted F1
# ---------------------------------------------------------------------------


def _f1_from_items(item_scores, tp_weight, fp_weight, n_pos, threshold):
    """F1 where each item adds ``tp_weight`` / ``fp_weight`` when ``score >= threshold``.

    With ``threshold=None`` the F1 is maximised exactly over every distinct item
    score: only those thresholds change the set of predicted items.
    """
    if threshold is not None:
        if np.isnan(threshold):
            raise ValueError("threshold is NaN.")
        hit = item_scores >= threshold
        tp = tp_weight[hit].sum()
        fp = fp_weight[hit].sum()
        return 2.0 * tp / (tp + fp + n_pos), float(threshold)
    order = np.argsort(-item_scores, kind="stable")
    ranked = item_scores[order]
    tp = np.cumsum(tp_weight[order])
    fp = np.cumsum(fp_weight[order])
    # Counts at threshold s are those after the last item scoring exactly s.
    last = np.flatnonzero(np.append(ranked[1:] != ranked[:-1], True))
    tp, fp, thresholds = tp[last], fp[last], ranked[last]
    # F1 = 2TP / (2TP + FP + FN) with FN = n_pos - TP; n_pos > 0 keeps it finite.
    f1 = 2.0 * tp / (tp + fp + n_pos)
    best = int(np.argmax(f1))  # first maximum: the highest threshold among ties
    return float(f1[best]), float(thresholds[best])


def event_f1_score(labels, scores, *, threshold=None, return_threshold: bool = False):
    """Plain (per-step) F1 of thresholded scores.

    A step is predicted positive when ``score >= threshold``.

    Parameters
    ----------
    labels : array-like of 0/1 or bool, shape (n_steps,)
        Per-step event indicator.
    scores : array-like of float, shape (n_steps,)
        Per-step score, e.g. ``surface[:, 0]``.
    threshold : float, optional
        Decision threshold. ``None`` picks the threshold that maximises F1 on this
        data (an oracle, as in the anomaly-detection literature). The search is exact:
        it evaluates every distinct score with one sort and cumulative sums,
        ``O(n log n)``, so no candidate grid is needed. Among tied optima the highest
        threshold is kept.
    return_threshold : bool, default=False
        Also return the threshold used.

    Returns
    -------
    f1 : float
    threshold : float
        Only when ``return_threshold`` is True.

    Raises
    ------
    ValueError
        On shape mismatch, NaN scores, non-binary labels, or no positive label.
    """
    labels, scores, _ = _check_step_arrays(labels, scores)
    f1, thr = _f1_from_items(
        scores, labels.astype(np.float64), (~labels).astype(np.float64), labels.sum(), threshold
    )
    return (f1, thr) if return_threshold else f1


def point_adjusted_f1_score(
    labels, scores, *, threshold=None, groups=None, return_threshold: bool = False
):
    """Point-adjusted F1 (PA-F1) of thresholded scores.

    Point adjustment (Xu et al., 2018; used by Anomaly Transformer, Xu et al.,
    2022): within each contiguous segment of positive labels, if any step is
    predicted positive (``score >= threshold``) every step of the segment counts as
    predicted positive. Predictions on negative steps are left as they are. This
    credits a whole segment for one detection and inflates scores (Kim et al.,
    2022; paper appendix K); report it next to :func:`event_f1_score`. PA-F1 is
    never below the plain F1 at the same threshold.

    Parameters
    ----------
    labels : array-like of 0/1 or bool, shape (n_steps,)
        Per-step event indicator, rows in time order within each series.
    scores : array-like of float, shape (n_steps,)
        Per-step score, e.g. ``surface[:, 0]``.
    threshold : float, optional
        Decision threshold; ``None`` picks the PA-F1-maximising one, exactly, over
        every distinct segment maximum and negative-step score (``O(n log n)``).
        Among tied optima the highest threshold is kept.
    groups : array-like, shape (n_steps,), optional
        Series id of each step. A segment ends where the id changes, so segments
        never span two series. ``None`` takes the first level of the
        (series, time) MultiIndex when ``labels`` or ``scores`` is a pandas
        object with one, and otherwise reads all steps as one series: with
        plain arrays of several series, pass ``groups``, or an anomaly that
        ends one series and one that starts the next count as one segment.
    return_threshold : bool, default=False
        Also return the threshold used.

    Returns
    -------
    f1 : float
    threshold : float
        Only when ``return_threshold`` is True.

    Raises
    ------
    ValueError
        On shape mismatch, NaN scores, non-binary labels, or no positive label.

    References
    ----------
    H. Xu et al., "Unsupervised anomaly detection via variational auto-encoder for
    seasonal KPIs in web applications", WWW 2018.
    S. Kim et al., "Towards a rigorous evaluation of time-series anomaly
    detection", AAAI 2022.
    """
    labels, scores, groups = _check_step_arrays(labels, scores, groups)
    prev = np.concatenate([[False], labels[:-1]])
    starts = labels & ~prev
    if groups is not None:
        starts |= labels & np.concatenate([[True], groups[1:] != groups[:-1]])
    pos = np.flatnonzero(labels)
    seg_first = np.flatnonzero(starts[pos])  # first position in ``pos`` of each segment
    seg_max = np.maximum.reduceat(scores[pos], seg_first)
    seg_len = np.diff(np.append(seg_first, pos.size)).astype(np.float64)
    # Items: one per segment (detected iff its max crosses), one per negative step.
    neg_scores = scores[~labels]
    item_scores = np.concatenate([seg_max, neg_scores])
    tp_weight = np.concatenate([seg_len, np.zeros(neg_scores.size)])
    fp_weight = np.concatenate([np.zeros(seg_max.size), np.ones(neg_scores.size)])
    f1, thr = _f1_from_items(item_scores, tp_weight, fp_weight, pos.size, threshold)
    return (f1, thr) if return_threshold else f1


# ---------------------------------------------------------------------------
# time to event
# ---------------------------------------------------------------------------


def expected_time_to_event(surface, *, tail=None, method="restricted") -> np.ndarray:
    """Expected number of steps to the event implied by each row of a surface.

    ``tau_hat = sum_k k * P(event at k) + tail * (1 - p_K)`` with
    ``P(event at k) = p_k - p_{k-1}`` and ``p_0 = 0``: the CDF-to-point projection
    the paper uses for RUL (section 4, appendix J). What it returns depends on
    where the mass ``1 - p_K`` (no event within K steps) is put, which the
    surface does not say; ``method`` names the choice:

    * ``"restricted"`` (default): the mass sits at ``tail`` (``K + 1`` when
      None), the earliest time consistent with "no event within K". With
      ``tail=None`` this is the restricted mean ``E[min(T, K + 1)]``, a lower
      bound on ``E[T]``, in ``[1, K + 1]``; it equals ``1 + sum_k (1 - p_k)``,
      so the range holds for surfaces that are not monotone either. Pick ``K``
      above the times of interest (or clip at a cap, as
      :func:`time_to_event_rmse` does) so the tail matters little.
    * ``"extrapolated"``: the hazard of the last horizon,
      ``h_K = (p_K - p_{K-1}) / (1 - p_{K-1})``, is taken to stay constant
      after K, so the surviving mass is spread geometrically and contributes
      ``(1 - p_K) * (K + 1 / h_K)``: an estimate of ``E[T]`` itself (infinite
      where ``h_K = 0``).

    Parameters
    ----------
    surface : array-like of shape (n_rows, K)
        Probabilities ``p(t, dt)`` for ``dt = 1 .. K``.
    tail : float, optional
        ``method="restricted"`` only: where the surviving mass ``1 - p_K`` is
        placed; ``None`` means ``K + 1``. Must be at least ``K + 1``.
    method : {"restricted", "extrapolated"}, default="restricted"

    Returns
    -------
    tau_hat : ndarray of shape (n_rows,)
    """
    surface = _check_surface(surface, probabilities=True)
    n_horizons = surface.shape[1]
    if method not in ("restricted", "extrapolated"):
        raise ValueError(f"method must be 'restricted' or 'extrapolated', got {method!r}.")
    pmf = np.diff(surface, axis=1, prepend=0.0)
    steps = np.arange(1, n_horizons + 1, dtype=np.float64)
    survive = 1.0 - surface[:, -1]
    if method == "extrapolated":
        if tail is not None:
            raise ValueError("tail applies to method='restricted' only.")
        before = 1.0 - (surface[:, -2] if n_horizons > 1 else np.zeros(len(surface)))
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard = np.where(before > 0, pmf[:, -1] / before, 1.0)
            beyond = np.where(hazard > 0, n_horizons + 1.0 / hazard, np.inf)
        return pmf @ steps + np.where(survive > 0, survive * beyond, 0.0)
    if tail is None:
        tail = n_horizons + 1
    elif not np.isfinite(tail) or tail < n_horizons + 1:
        raise ValueError(f"tail must be a finite value >= K + 1 = {n_horizons + 1}, got {tail}.")
    return pmf @ steps + tail * survive


def time_to_event_rmse(y_true, surface, *, cap=None, tail=None) -> float:
    """RMSE between the expected time to event and the true time, over event rows.

    Censored rows (``event=False``) have no true time and are left out. The
    surface starts at ``dt = 1``, so ``tau_hat >= 1``; a row whose event is at
    ``time = 0`` (the failure cycle itself in RUL data) is scored against 0.

    Parameters
    ----------
    y_true : structured array with fields ``event`` and ``time``, shape (n_rows,)
    surface : array-like of shape (n_rows, K)
        Probabilities ``p(t, dt)``; see :func:`expected_time_to_event`.
    cap : float, optional
        Clip both the true time and ``tau_hat`` at ``cap`` before the error, as in
        the piecewise-linear RUL protocol (125 cycles for C-MAPSS, following STAR).
    tail : float, optional
        Passed to :func:`expected_time_to_event`.

    Returns
    -------
    rmse : float
    """
    surface = _check_surface(surface, probabilities=True)
    y_true = _check_survival_target(y_true, surface.shape[0])
    event = np.asarray(y_true["event"], dtype=bool)
    if not event.any():
        raise ValueError("y_true has no row with event=True; RMSE needs observed event times.")
    true_time = np.asarray(y_true["time"], dtype=np.float64)[event]
    tau_hat = expected_time_to_event(surface[event], tail=tail)
    if cap is not None:
        if not cap > 0:
            raise ValueError(f"cap must be positive, got {cap}.")
        true_time = np.minimum(true_time, cap)
        tau_hat = np.minimum(tau_hat, cap)
    return float(np.sqrt(np.mean((tau_hat - true_time) ** 2)))


# ---------------------------------------------------------------------------
# calibration
# ---------------------------------------------------------------------------


def expected_calibration_error(y_true, surface, *, n_bins: int = 10) -> float:
    """Expected calibration error over all known (row, horizon) cells.

    Cells are binned by predicted probability into ``n_bins`` equal-width bins on
    ``[0, 1]`` (the right edge falls in the last bin); ECE is the count-weighted
    mean over non-empty bins of ``|mean label - mean probability|`` (paper,
    appendix O).

    Parameters
    ----------
    y_true : structured array with fields ``event`` and ``time``, shape (n_rows,)
    surface : array-like of shape (n_rows, K)
        Probabilities in ``[0, 1]``.
    n_bins : int, default=10

    Returns
    -------
    ece : float
    """
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins}.")
    surface, labels, known = _labels_and_known(y_true, surface, probabilities=True)
    prob, lab = surface[known], labels[known]
    bins = np.minimum((prob * n_bins).astype(np.int64), int(n_bins) - 1)
    count = np.bincount(bins, minlength=n_bins)
    gap = np.abs(
        np.bincount(bins, weights=lab, minlength=n_bins)
        - np.bincount(bins, weights=prob, minlength=n_bins)
    )
    # sum_b (n_b / N) * |sum_b(y - p) / n_b| = sum_b |sum_b y - sum_b p| / N
    return float(gap[count > 0].sum() / prob.size)


def brier_score(y_true, surface) -> float:
    """Mean squared error between probability and label over known cells.

    Parameters
    ----------
    y_true : structured array with fields ``event`` and ``time``, shape (n_rows,)
    surface : array-like of shape (n_rows, K)
        Probabilities in ``[0, 1]``.

    Returns
    -------
    brier : float
    """
    surface, labels, known = _labels_and_known(y_true, surface, probabilities=True)
    return float(np.mean((surface[known] - labels[known]) ** 2))


# ---------------------------------------------------------------------------
# scorers
# ---------------------------------------------------------------------------

# Metrics that score per-step (labels, scores) rather than (y_true, surface).
_STEP_METRICS = (point_adjusted_f1_score, event_f1_score)


# ---------------------------------------------------------------------------
# scikit-survival's IPCW metrics on a surface (needs scikit-survival)
# ---------------------------------------------------------------------------


def _sksurv_metrics():
    try:
        from sksurv import metrics
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the IPCW survival metrics use scikit-survival: pip install scikit-survival "
            "(or the package's 'benchmarks' extra)."
        ) from exc
    return metrics


def _ipcw_inputs(y_true, surface, y_train, times):
    """Checked targets and the horizons at which scikit-survival can evaluate.

    IPCW metrics estimate the censoring distribution by Kaplan-Meier on
    ``y_train`` (the test targets themselves when None) and are defined only
    for times inside the test follow-up, where that estimate stays positive.
    """
    surface = _check_surface(surface, probabilities=True)
    y_true = _check_survival_target(y_true, surface.shape[0])
    y_train = y_true if y_train is None else _check_survival_target(y_train, len(y_train))
    for name, y in (("y_true", y_true), ("y_train", y_train)):
        if not y["event"].any():
            raise ValueError(
                f"{name} has no event (all {len(y)} rows are censored): scikit-survival's IPCW "
                "metrics need observed events"
                + (
                    " in the data the censoring distribution is fitted on."
                    if name == "y_train"
                    else "."
                )
            )
    y_true = _censor_beyond_follow_up(y_true, y_train)
    K = surface.shape[1]
    if times is None:
        times = np.arange(1, K + 1)
    times = np.asarray(times, dtype=np.int64)
    if times.ndim != 1 or times.size == 0 or times.min() < 1 or times.max() > K:
        raise ValueError(f"times must be horizons in 1..{K}, got {times!r}.")
    lo, hi = y_true["time"].min(), y_true["time"].max()
    # the censoring estimate must stay above 0 at every time used
    hi = min(hi, y_train["time"][~y_train["event"]].max(initial=np.inf), y_train["time"].max())
    keep = (times >= lo) & (times < hi)
    if not keep.any():
        raise ValueError(
            f"no horizon in times lies inside the follow-up of y ([{lo:g}, {hi:g})); "
            "scikit-survival's IPCW metrics are undefined there."
        )
    return y_true, y_train, surface, times[keep]


def _censor_beyond_follow_up(y_true, y_train):
    """Rows of ``y_true`` observed past ``y_train``'s last time, censored just before it.

    The censoring distribution is estimated on ``y_train`` and ends at its
    largest time; scikit-survival refuses test times beyond it. Censoring
    those rows there (administrative censoring) changes no metric at an
    earlier time: they stay controls (no event yet) at every such time. It
    matters in cross-validation, where a fold's training part can end before
    its test part.
    """
    end = float(y_train["time"].max())
    late = y_true["time"] >= end
    if not late.any():
        return y_true
    y_true = y_true.copy()
    y_true["event"][late] = False
    y_true["time"][late] = np.nextafter(end, -np.inf)
    return y_true


def time_dependent_auc_score(y_true, surface, *, y_train=None, times=None) -> float:
    """Mean cumulative/dynamic AUC (Uno's IPCW estimator) over horizons.

    scikit-survival's ``cumulative_dynamic_auc`` with the surface column of
    each horizon as the risk. Unlike :func:`h_auroc_score`, which drops
    unknown (censored) cells, it re-weights the observed cases by the inverse
    probability of remaining uncensored, estimated on ``y_train``; it is the
    time-weighted mean over ``times``.

    Parameters
    ----------
    y_true : structured survival target, shape (n_rows,)
    surface : ndarray of shape (n_rows, K)
    y_train : structured survival target, optional
        Data for the censoring distribution (the test targets when None).
    times : array-like of int, optional
        Horizons in 1..K (all when None); those outside the follow-up are
        dropped, and so are those before the first event (no case yet). Rows
        of ``y_true`` observed past the last time of ``y_train`` are censored
        just before it (the censoring estimate ends there), which changes
        nothing at an earlier horizon.

    Returns
    -------
    float
    """
    y_true, y_train, surface, times = _ipcw_inputs(y_true, surface, y_train, times)
    # a horizon at which no row has had its event yet has no case: its AUC is undefined
    first_event = y_true["time"][y_true["event"]].min()
    if not (times >= first_event).any():
        raise ValueError(
            f"no event of y_true falls within the horizons {times.min()}..{times.max()} "
            f"(the first is at time {first_event:g}): the time-dependent AUC has no case."
        )
    times = times[times >= first_event]
    _, mean_auc = _sksurv_metrics().cumulative_dynamic_auc(
        y_train, y_true, surface[:, times - 1], times
    )
    return float(mean_auc)


def integrated_brier_score(y_true, surface, *, y_train=None, times=None) -> float:
    """scikit-survival's IPCW integrated Brier score of the survival ``1 - surface``.

    Parameters and follow-up restriction as :func:`time_dependent_auc_score`;
    at least two horizons must remain. Lower is better.
    """
    y_true, y_train, surface, times = _ipcw_inputs(y_true, surface, y_train, times)
    if len(times) < 2:
        raise ValueError("the integrated Brier score needs at least two horizons.")
    survival = 1.0 - surface[:, times - 1]
    return float(_sksurv_metrics().integrated_brier_score(y_train, y_true, survival, times))


def uno_concordance_score(y_true, surface, *, y_train=None, tau=None) -> float:
    """Uno's IPCW concordance index of the expected time to event (risk = its negative).

    Parameters
    ----------
    y_true, surface, y_train :
        As :func:`time_dependent_auc_score`.
    tau : float, optional
        Truncation time (pairs with a shorter time count); defaults to K.
    """
    surface = _check_surface(surface, probabilities=True)
    y_true = _check_survival_target(y_true, surface.shape[0])
    y_train = y_true if y_train is None else _check_survival_target(y_train, len(y_train))
    y_true = _censor_beyond_follow_up(y_true, y_train)
    tau = surface.shape[1] if tau is None else tau
    tau = min(tau, float(y_true["time"].max()))
    risk = -expected_time_to_event(surface)
    return float(_sksurv_metrics().concordance_index_ipcw(y_train, y_true, risk, tau=tau)[0])


def _series_ids(X) -> np.ndarray:
    # Imported lazily: only per-step label targets need series ids.
    from .panel import series_ids

    return series_ids(X)


def _as_survival_target(X, y):
    """Structured target for ``y``, plus the series ids when they were needed."""
    if is_survival_target(y):
        return as_survival_target(y), None
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            "y must be a structured survival target or a 1-D array of per-step 0/1 "
            f"labels, got shape {y.shape}."
        )
    groups = _series_ids(X)
    return target_from_event_labels(y, groups=groups), groups


def _step_problem(y, surface, groups):
    """Per-step labels y(t, dt=1), scores p(t, 1) and segment groups, known rows only.

    Rows unknown at dt=1 (censored at time 0: the last row of a series) are
    dropped, and a segment boundary is put at each dropped row so positive runs
    of two series never merge even when the series ids are not known.
    """
    labels, known = horizon_labels(y, 1)
    known = known[:, 0]
    breaks = ~known
    if groups is not None:
        groups = np.asarray(groups)
        breaks = breaks | np.concatenate([[False], groups[1:] != groups[:-1]])
    segment_groups = np.cumsum(breaks)
    return labels[known, 0], surface[known, 0], segment_groups[known]


def _predict_surface(estimator, X):
    """``predict_surface`` of an estimator, or of the last step of a Pipeline.

    A scikit-learn Pipeline only forwards the methods it knows, so the earlier
    steps transform X and the final step is asked for the surface.
    """
    if hasattr(estimator, "predict_surface"):
        return estimator.predict_surface(X)
    steps = getattr(estimator, "steps", None)
    if steps and hasattr(steps[-1][1], "predict_surface"):
        return steps[-1][1].predict_surface(estimator[:-1].transform(X))
    raise ValueError(
        f"{type(estimator).__name__} has no predict_surface method; surface scorers need "
        "an event predictor or a Pipeline ending in one."
    )


def _fitted_survival_target(estimator):
    """The survival target ``estimator`` (or the model inside it) was fitted on."""
    seen = estimator
    for _ in range(16):  # wrappers nest a few levels at most
        y = getattr(seen, "_survival_train_", None)
        if y is not None:
            return y
        steps = getattr(seen, "steps", None)
        if steps:
            seen = steps[-1][1]
        elif hasattr(seen, "best_estimator_"):
            seen = seen.best_estimator_
        elif hasattr(seen, "estimator"):  # SurfaceCalibrator, FrozenEstimator
            inner = getattr(seen, "estimator_", None)
            seen = seen.estimator if inner is None else inner
        else:
            break
    raise ValueError(
        f'y_train="fit" reads the targets the scored model was fitted on, but '
        f"{type(estimator).__name__} holds none (not fitted, loaded with load_weights, or "
        "not a surface estimator of this package); pass y_train=<training targets> to "
        "make_survival_scorer."
    )


class SurfaceScorer:
    """Scorer ``scorer(estimator, X, y)`` for estimators with ``predict_surface``.

    Usable wherever scikit-learn accepts a scoring callable: ``cross_validate``
    (alone or in a ``scoring`` dict), ``GridSearchCV``, ``permutation_importance``.

    Parameters
    ----------
    metric : callable
        A surface metric ``metric(y_true, surface, **kwargs)`` from this module
        (or with the same signature), or one of the per-step metrics
        :func:`point_adjusted_f1_score` / :func:`event_f1_score`, which are fed the
        dt=1 labels ``y(t, 1)`` and scores ``p(t, 1)`` (the paper thresholds the
        smallest horizon); rows unknown at dt=1 are dropped.
    sign : {1, -1}, default=1
        Multiplies the metric; use -1 for losses so that greater is better.
    **kwargs
        Passed to ``metric``.

    Notes
    -----
    ``y`` may be a structured survival target or a 1-D array of per-step 0/1
    labels; the latter is converted with ``target_from_event_labels(y,
    groups=series_ids(X))``. For PA-F1 on a structured target, segments are cut at
    rows unknown at dt=1, which include the last row of every series built with
    ``target_from_event_labels``.

    Each scorer calls ``predict_surface`` once; to score several metrics from one
    prediction use :func:`combine_surface_scorers`.
    """

    def __init__(self, metric, *, sign=1, **kwargs):
        if not callable(metric):
            raise ValueError(f"metric must be callable, got {metric!r}.")
        if sign not in (1, -1):
            raise ValueError(f"sign must be 1 or -1, got {sign!r}.")
        self.metric = metric
        self.sign = sign
        self.kwargs = kwargs

    def _score(self, y, surface, groups):
        surface = _check_surface(surface)
        _check_survival_target(y, surface.shape[0])
        if self.metric in _STEP_METRICS:
            labels, scores, segment_groups = _step_problem(y, surface, groups)
            kwargs = dict(self.kwargs)
            if "groups" in inspect.signature(self.metric).parameters:
                kwargs["groups"] = segment_groups
            value = self.metric(labels, scores, **kwargs)
        else:
            value = self.metric(y, surface, **self.kwargs)
        return self.sign * float(value)

    def __call__(self, estimator, X, y):
        """Score ``estimator.predict_surface(X)`` against ``y``."""
        y, groups = _as_survival_target(X, y)
        return self._fold(estimator)._score(y, _predict_surface(estimator, X), groups)

    def _fold(self, estimator) -> SurfaceScorer:
        """This scorer, with ``y_train="fit"`` replaced by the estimator's training targets."""
        y_train = self.kwargs.get("y_train")
        if not (isinstance(y_train, str) and y_train == "fit"):
            return self
        kwargs = dict(self.kwargs, y_train=_fitted_survival_target(estimator))
        return SurfaceScorer(self.metric, sign=self.sign, **kwargs)

    def __repr__(self):
        name = getattr(self.metric, "__name__", repr(self.metric))
        args = "".join(f", {k}={v!r}" for k, v in self.kwargs.items())
        return f"make_surface_scorer({name}, greater_is_better={self.sign == 1}{args})"


def make_surface_scorer(metric, *, greater_is_better: bool = True, **kwargs) -> SurfaceScorer:
    """Build a :class:`SurfaceScorer`, in the manner of ``sklearn.metrics.make_scorer``.

    Parameters
    ----------
    metric : callable
        See :class:`SurfaceScorer`.
    greater_is_better : bool, default=True
        False for losses (RMSE, ECE, Brier); the scorer then returns the negated
        metric, as scikit-learn's ``neg_*`` scorers do.
    **kwargs
        Passed to ``metric``, e.g. ``cap=125`` for :func:`time_to_event_rmse`.

    Returns
    -------
    scorer : SurfaceScorer

    Examples
    --------
    >>> from sktime_hepa.metrics import make_surface_scorer, time_to_event_rmse
    >>> rmse125 = make_surface_scorer(time_to_event_rmse, greater_is_better=False, cap=125)
    """
    return SurfaceScorer(metric, sign=1 if greater_is_better else -1, **kwargs)


class _CombinedSurfaceScorer:
    # A class rather than a closure so it pickles for ``n_jobs > 1``.
    def __init__(self, scorers):
        self.scorers = scorers

    def __call__(self, estimator, X, y):
        y, groups = _as_survival_target(X, y)
        surface = _predict_surface(estimator, X)
        return {
            name: scorer._fold(estimator)._score(y, surface, groups)
            for name, scorer in self.scorers.items()
        }

    def __repr__(self):
        return f"combine_surface_scorers({self.scorers!r})"


def combine_surface_scorers(scorers: dict):
    """One scoring callable returning a dict of scores from a single prediction.

    scikit-learn accepts a callable returning ``{name: score}`` as ``scoring``;
    this one calls ``predict_surface`` once and applies every scorer to it, which
    matters when the surface is expensive to predict. With ``GridSearchCV`` pass
    ``refit="<name>"``.

    Parameters
    ----------
    scorers : dict of str to SurfaceScorer

    Returns
    -------
    scoring : callable ``scoring(estimator, X, y) -> dict``
    """
    scorers = dict(scorers)
    if not scorers:
        raise ValueError("scorers is empty.")
    for name, scorer in scorers.items():
        if not isinstance(scorer, SurfaceScorer):
            raise ValueError(f"scorer {name!r} is not a SurfaceScorer: {scorer!r}.")
    return _CombinedSurfaceScorer(scorers)


h_auroc_scorer = make_surface_scorer(h_auroc_score)
pa_f1_scorer = make_surface_scorer(point_adjusted_f1_score)
f1_scorer = make_surface_scorer(event_f1_score)
rmse_scorer = make_surface_scorer(time_to_event_rmse, greater_is_better=False)
ece_scorer = make_surface_scorer(expected_calibration_error, greater_is_better=False)
brier_scorer = make_surface_scorer(brier_score, greater_is_better=False)


def make_survival_scorer(metric, y_train="fit", **kwargs) -> SurfaceScorer:
    """A scorer for one of the IPCW metrics, with the censoring data of the training targets.

    Parameters
    ----------
    metric : {"time_dependent_auc", "integrated_brier", "uno_concordance"} or callable
    y_train : "fit" or structured survival target, default="fit"
        The targets on which scikit-survival estimates the censoring
        distribution, as its own scorers do. "fit": the targets the scored
        estimator was fitted on, so that in ``cross_validate`` and
        ``GridSearchCV`` each fold uses its own training part (as
        scikit-survival's ``as_*_scorer`` wrappers do); read from the
        estimator, the final step of a Pipeline, or the model a
        ``SurfaceCalibrator`` or ``FrozenEstimator`` wraps. A model loaded
        with ``load_weights`` does not keep its training targets: pass them.
        An array: the same censoring data for every fold.
    **kwargs
        ``times`` or ``tau``.

    Returns
    -------
    SurfaceScorer
        Greater is better; the integrated Brier score is negated.
    """
    metrics = {
        "time_dependent_auc": (time_dependent_auc_score, 1),
        "integrated_brier": (integrated_brier_score, -1),
        "uno_concordance": (uno_concordance_score, 1),
    }
    if isinstance(metric, str):
        if metric not in metrics:
            raise ValueError(f"metric must be one of {sorted(metrics)} or a callable.")
        metric, sign = metrics[metric]
    else:
        sign = -1 if metric is integrated_brier_score else 1
    if not (isinstance(y_train, str) and y_train == "fit"):
        if isinstance(y_train, str) or y_train is None:
            raise ValueError(f'y_train must be "fit" or a survival target, got {y_train!r}.')
        y_train = _check_survival_target(y_train, len(y_train))
    return SurfaceScorer(metric, sign=sign, y_train=y_train, **kwargs)
