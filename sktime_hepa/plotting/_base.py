"""Helpers every Display shares: matplotlib on demand, input checks, calibration bins."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..panel import series_ids
from ..targets import as_survival_target, is_survival_target
from ..targets import validate_event_target as _validate_event_target

_INSTALL = 'pip install "sktime_hepa[plot]"'
_DT = "\u0394t"  # Δt


# ---------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------


def _pyplot(what: str):
    """``matplotlib.pyplot``, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{what} needs matplotlib, an optional dependency of sktime_hepa: {_INSTALL}"
        ) from exc
    return plt


def _axes(ax, what: str):
    """``(ax, figure)``: the given axes, or those of a new figure."""
    plt = _pyplot(what)
    if ax is None:
        _, ax = plt.subplots()
    return ax, ax.figure


def _check_mapping(values, name: str) -> dict:
    """A non-empty dict copy of ``values``, or ValueError."""
    if not isinstance(values, Mapping):
        raise ValueError(f"{name} must be a dict of name -> value, got {type(values).__name__}.")
    if not values:
        raise ValueError(f"{name} is empty; pass at least one entry.")
    return dict(values)


def _survival_target(y, groups, n_rows, what: str) -> np.ndarray:
    """y as a structured target for ``n_rows`` rows (per-step labels read per group).

    ``n_rows=None`` takes y's own length (``groups`` must then match it).
    """
    if y is None:
        raise ValueError(f"{what} needs y, the target of every row.")
    n_rows = len(y) if n_rows is None else n_rows
    y, _ = _validate_event_target(y, n_rows=n_rows, groups=groups, estimator_name=what)
    return y


def _preview(ids) -> str:
    ids = list(ids)
    shown = ", ".join(repr(i.item() if hasattr(i, "item") else i) for i in ids[:10])
    return f"[{shown}{', ...' if len(ids) > 10 else ''}]"


def _n_rows(X) -> int:
    return len(series_ids(X))


def _select_series(X, series: list, what: str):
    """``(X_sub, ids_sub, mask)``: X restricted to ``series``, the series id of each
    of its rows, and the mask of those rows among the rows of X.

    Series ids are the first index level of a MultiIndex frame, the position
    of a series in a 3-D array (kept in the order of ``series``), and 0 for a
    single 2-D series. An unknown or repeated id is a ValueError.
    """
    ids = series_ids(X)
    available = pd.unique(ids)
    for s in series:
        if not np.isin(s, available):
            raise ValueError(
                f"{what}: series {s!r} is not in X; its series ids are {_preview(available)}."
            )
    if len(set(series)) != len(series):
        raise ValueError(f"{what}: series {series!r} lists a series twice.")
    if isinstance(X, np.ndarray) and X.ndim == 3:
        positions = [int(s) for s in series]
        return X[positions], np.repeat(positions, X.shape[2]), np.isin(ids, positions)
    mask = np.isin(ids, series)
    if isinstance(X, pd.DataFrame) and isinstance(X.index, pd.MultiIndex):
        return X.loc[mask], ids[mask], mask
    return X, ids, mask  # a single series: all of X


def _take(y, mask):
    """Rows of a target (structured array, ndarray, list or Series) where ``mask``."""
    return np.asarray(y)[mask]


def _check_rows(surface: np.ndarray, n_rows: int, what: str) -> None:
    if surface.shape[0] != n_rows:
        raise ValueError(
            f"{what} has {surface.shape[0]} rows but y has {n_rows}; they must match one-to-one."
        )


def _check_horizons(horizons, K: int) -> list[int]:
    """Horizons as a list of distinct ints in 1..K; the default picks up to 4 spread ones."""
    if horizons is None:
        return sorted({int(round(h)) for h in np.linspace(1, K, min(K, 4))})
    values = np.atleast_1d(np.asarray(horizons))
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"horizons must be a non-empty list of ints, got {horizons!r}.")
    out = []
    for h in values.tolist():
        if isinstance(h, bool) or not float(h).is_integer():
            raise ValueError(f"horizons must be integers, got {h!r}.")
        if not 1 <= h <= K:
            raise ValueError(f"horizon {int(h)} is unknown: the surface covers dt = 1..{K}.")
        out.append(int(h))
    if len(set(out)) != len(out):
        raise ValueError(f"horizons {out} lists a horizon twice.")
    return out


def _binned_calibration(prob: np.ndarray, label: np.ndarray, n_bins: int):
    """Mean prediction, event frequency and count of each non-empty bin, and the ECE.

    The bins are those of :func:`sktime_hepa.metrics.expected_calibration_error`
    (``n_bins`` equal-width bins on [0, 1], 1.0 in the last).
    """
    bins = np.minimum((prob * n_bins).astype(np.int64), n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    sum_prob = np.bincount(bins, weights=prob, minlength=n_bins)
    sum_label = np.bincount(bins, weights=label, minlength=n_bins)
    full = count > 0
    ece = float(np.abs(sum_label - sum_prob)[full].sum() / prob.size)
    return sum_prob[full] / count[full], sum_label[full] / count[full], count[full], ece


# ---------------------------------------------------------------------------
# SurfaceDisplay
# ---------------------------------------------------------------------------


def _event_steps(y, n_rows: int) -> np.ndarray:
    """Steps (0-based, within the series) at which events happen, from y of one series.

    A structured target gives ``t + time`` for every row with ``event``; per-step
    labels give their positive steps.
    """
    if is_survival_target(y):
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != n_rows:
            raise ValueError(f"y has {len(y)} rows but the surface has {n_rows}; they must match.")
        y = as_survival_target(y)
        steps = (np.arange(n_rows) + y["time"])[y["event"]]
        return np.unique(steps)
    labels = np.asarray(y)
    if labels.ndim != 1 or len(labels) != n_rows:
        raise ValueError(
            f"y must be 1-D with one label per row of the surface ({n_rows}), got shape "
            f"{labels.shape}."
        )
    if labels.dtype != bool and not np.isin(labels, [0, 1]).all():
        raise ValueError(
            "per-step labels must be 0/1 or booleans (pass y == <event label>), or pass a "
            "structured (event, time) target."
        )
    return np.flatnonzero(labels.astype(bool)).astype(np.float64)
