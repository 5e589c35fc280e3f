"""Reading X: every accepted input format becomes a list of per-series arrays.

Accepted formats (each row of X is one observation time ``t``):

* a pandas DataFrame with a two-level MultiIndex ``(series id, time)`` and one
  column per sensor (sktime's "pd-multiindex"); rows of a series contiguous and
  in strictly increasing time;
* a 2-D array or DataFrame holding ONE series, rows in time order;
* a 3-D array ``(n_series, n_channels, n_timepoints)`` (sktime's "numpy3D");
  its rows are the series' time points, series by series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.utils.validation import validate_data

__all__ = ["Panel", "as_panel", "series_ids"]


@dataclass
class Panel:
    """Series of one X, in row order.

    Attributes
    ----------
    series : list of ndarray of float32, each (n_steps_i, n_channels)
    offsets : ndarray of int, shape (n_series + 1,)
        Row ``offsets[i] + t`` of X is step ``t`` of series ``i``.
    """

    series: list
    offsets: np.ndarray

    @property
    def n_rows(self) -> int:
        return int(self.offsets[-1])

    @property
    def n_channels(self) -> int:
        return self.series[0].shape[1]

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def groups(self) -> np.ndarray:
        """Series index of every row, shape (n_rows,)."""
        return np.repeat(np.arange(len(self.series)), self.lengths)

    def scaled(self, mean: np.ndarray, scale: np.ndarray) -> Panel:
        """The same series z-scored per channel: ``(x - mean) / scale``, float32."""
        series = [((s - mean) / scale).astype(np.float32, copy=False) for s in self.series]
        return Panel(series=series, offsets=self.offsets)

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(series index, step within series) of every row, each shape (n_rows,)."""
        groups = self.groups
        return groups, np.arange(self.n_rows) - self.offsets[groups]


def fit_channel_scaling(series: list) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std over all rows, computed in float64, stored as float32.

    Constant channels get scale 1 so that they stay finite.
    """
    values = np.concatenate(series).astype(np.float64)
    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    scale[scale < 1e-8] = 1.0
    return mean.astype(np.float32), scale.astype(np.float32)


def _is_multiindex_frame(X) -> bool:
    return isinstance(X, pd.DataFrame) and isinstance(X.index, pd.MultiIndex)


def _check_frame_index(X: pd.DataFrame) -> np.ndarray:
    """Validate a MultiIndex frame's index; return the per-row series codes."""
    if X.index.nlevels != 2:
        raise ValueError(
            f"X has a MultiIndex with {X.index.nlevels} levels; expected 2 (series id, time)."
        )
    ids = X.index.get_level_values(0)
    times = X.index.get_level_values(1)
    if ids.hasnans:
        raise ValueError("the series ids of X (first index level) contain missing values.")
    codes, uniques = pd.factorize(ids)
    n_runs = 1 + np.count_nonzero(codes[1:] != codes[:-1]) if len(codes) else 0
    if n_runs != len(uniques):
        raise ValueError("rows of each series in X must be contiguous; sort X with X.sort_index().")
    _check_time_order(np.asarray(times), codes)
    return codes


def _check_time_order(times: np.ndarray, codes: np.ndarray | None = None) -> None:
    if pd.isna(times).any():
        raise ValueError("the time index of X contains missing values.")
    if len(times) < 2:
        return
    try:
        step = np.diff(times)
    except TypeError as exc:
        raise ValueError("the time index of X must be numeric or datetime-like.") from exc
    zero = np.zeros((), dtype=step.dtype)
    same_series = np.ones(len(step), dtype=bool) if codes is None else codes[1:] == codes[:-1]
    if (same_series & (step == zero)).any():
        raise ValueError("X has duplicate time stamps within a series.")
    if (same_series & (step < zero)).any():
        raise ValueError(
            "the time index of X is not sorted within a series; sort X with X.sort_index()."
        )


def as_panel(X, *, estimator, reset: bool) -> Panel:
    """Validate X and split it into per-series float32 arrays.

    Shape, dtype, NaN/inf and feature-count checks go through sklearn's
    ``validate_data`` on the rows (so the messages are sklearn's own, and
    ``n_features_in_`` / ``feature_names_in_`` are set when ``reset``).

    Parameters
    ----------
    X : DataFrame with a 2-level MultiIndex, 2-D array-like, or 3-D ndarray
    estimator : BaseEstimator
        The estimator whose input features are set (``reset=True``) or checked.
    reset : bool
        True in ``fit``, False in ``predict``/``transform``.

    Returns
    -------
    Panel
    """
    if isinstance(X, np.ndarray) and X.ndim == 3:
        n_series, n_channels, n_steps = X.shape
        if n_series == 0 or n_steps == 0:
            raise ValueError(f"X has shape {X.shape}: no series or no time points.")
        # (n_series, n_channels, n_steps) -> rows series by series
        flat = np.ascontiguousarray(np.transpose(X, (0, 2, 1))).reshape(-1, n_channels)
        values = validate_data(estimator, flat, reset=reset, dtype=np.float32)
        offsets = np.arange(n_series + 1) * n_steps
    elif _is_multiindex_frame(X):
        codes = _check_frame_index(X)
        values = validate_data(estimator, X, reset=reset, dtype=np.float32)
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        offsets = np.r_[starts, len(codes)]
    else:
        if isinstance(X, pd.DataFrame | pd.Series):
            _check_time_order(np.asarray(X.index))
        values = validate_data(estimator, X, reset=reset, dtype=np.float32)
        offsets = np.array([0, values.shape[0]])
    values = np.asarray(values, dtype=np.float32)
    series = [values[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    return Panel(series=series, offsets=np.asarray(offsets, dtype=np.int64))


def series_ids(X) -> np.ndarray:
    """Series id of every row of X, for grouped cross-validation and scorers.

    Parameters
    ----------
    X : DataFrame with a 2-level MultiIndex, 2-D array-like, or 3-D ndarray

    Returns
    -------
    ids : ndarray, shape (n_rows,)
        The first index level for a MultiIndex frame, the series number for a
        3-D array, zeros for a single 2-D series.
    """
    if isinstance(X, np.ndarray) and X.ndim == 3:
        return np.repeat(np.arange(X.shape[0]), X.shape[2])
    if _is_multiindex_frame(X):
        return np.asarray(X.index.get_level_values(0))
    return np.zeros(len(X), dtype=np.int64)
