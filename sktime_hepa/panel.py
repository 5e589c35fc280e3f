"""Reading X: every accepted input format becomes a list of per-series arrays.

Accepted formats (each row of X is one observation time ``t``):

* a pandas DataFrame with a two-level MultiIndex ``(series id, time)`` and one
  column per sensor (sktime's "pd-multiindex"); rows of a series contiguous and
  in strictly increasing time;
* a 2-D array or DataFrame holding ONE series, rows in time order;
* a 3-D array ``(n_series, n_channels, n_timepoints)`` (sktime's "numpy3D");
  its rows are the series' time points, series by series.

Inputs that would be read wrongly without an error are refused with a
ValueError that names the problem (a flat ``X.reset_index()`` frame, a list of
frames, string columns, values beyond float32, an empty X), or, where the
input is plausible but possibly meant otherwise, flagged with a
:class:`SeriesLayoutWarning`.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.utils.validation import validate_data

__all__ = [
    "MISSING_MODES",
    "Panel",
    "SeriesLayoutWarning",
    "as_panel",
    "fit_channel_scaling",
    "missing_mode",
    "series_ids",
]

#: Largest finite float32: X is stored as float32, so larger values become inf.
FLOAT32_MAX = float(np.finfo(np.float32).max)


class SeriesLayoutWarning(UserWarning):
    """X was read in one layout although it may have been meant in another.

    Raised for a 3-D array with more channels than time points (perhaps an
    ``(n_series, n_timepoints, n_channels)`` array), and at predict time for a
    2-D X that is read as ONE series by an estimator fitted on several series
    when it is longer than every one of them (perhaps several series stacked).
    """


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
        """The same series z-scored per channel: ``(x - mean) / scale``, float32.

        A missing value (NaN, read with ``missing="mask"``) stays NaN: the
        contexts cut from the panel mask it (``_windows.gather_contexts``).
        """
        series = [((s - mean) / scale).astype(np.float32, copy=False) for s in self.series]
        return Panel(series=series, offsets=self.offsets)

    @property
    def has_missing(self) -> bool:
        """Whether any value is NaN (only possible when read with ``missing="mask"``)."""
        return any(np.isnan(s).any() for s in self.series)

    def observed_steps(self) -> list:
        """Per series, a bool array (n_steps_i,): True where a step has an observed value.

        A step counts as missing only when every channel is NaN (the step mask
        of the contexts is per step).
        """
        return [~np.isnan(s).all(axis=1) for s in self.series]

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(series index, step within series) of every row, each shape (n_rows,)."""
        groups = self.groups
        return groups, np.arange(self.n_rows) - self.offsets[groups]


def fit_channel_scaling(series: list, names=None) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std over all rows, computed in float64, stored as float32.

    Constant channels get scale 1 so that they stay finite. Missing values
    (NaN, read with ``missing="mask"``) are left out of each channel's mean and
    std; without any NaN the computation is exactly the plain one.

    Parameters
    ----------
    series : list of ndarray, each (n_steps_i, n_channels)
    names : sequence of str, optional
        Channel names for the error messages (``channel <j>`` when None).

    Returns
    -------
    mean, scale : ndarray of float32, shape (n_channels,)

    Raises
    ------
    ValueError
        If a channel's std is not finite, or if its values do not stay within
        float32's finite range once centred and scaled (``(x - mean) / scale``
        would overflow to inf and erase the channel).
    """
    values = np.concatenate(series).astype(np.float64)

    def _named(mask):
        idx = np.flatnonzero(mask)
        return ", ".join(repr(str(names[j])) if names is not None else f"channel {j}" for j in idx)

    gaps = np.isnan(values).any()
    if gaps:  # missing="mask": statistics of the observed values only
        empty = np.isnan(values).all(axis=0)
        if empty.any():
            raise ValueError(
                f"{_named(empty)} of X has no observed value (every value is NaN), so its "
                "scaling is undefined; drop that sensor or fill it before fitting."
            )
    mean_fn, std_fn = (np.nanmean, np.nanstd) if gaps else (np.mean, np.std)
    max_fn, min_fn = (np.nanmax, np.nanmin) if gaps else (np.max, np.min)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = mean_fn(values, axis=0)
        scale = std_fn(values, axis=0)
        scale[scale < 1e-8] = 1.0
        mean32, scale32 = mean.astype(np.float32), scale.astype(np.float32)
        # the scaling runs in float32: x - mean, then / scale, must both stay finite
        mean64 = mean32.astype(np.float64)
        centred = np.maximum(max_fn(values, axis=0) - mean64, mean64 - min_fn(values, axis=0))
        reach = centred / scale32.astype(np.float64)
    bad_std = ~(np.isfinite(scale32) & np.isfinite(mean32))
    overflow = ~bad_std & ((centred > FLOAT32_MAX) | (reach > FLOAT32_MAX))

    if bad_std.any():
        raise ValueError(
            f"the mean or std of {_named(bad_std)} of X is not finite in float32 (beyond "
            f"+-{FLOAT32_MAX:.3g}); rescale these sensors (e.g. divide them by a power of "
            "ten) before fitting."
        )
    if overflow.any():
        raise ValueError(
            f"the values of {_named(overflow)} of X span more than float32's finite range "
            f"(+-{FLOAT32_MAX:.3g}) around their mean, so scaling them would give inf; "
            "rescale these sensors (e.g. divide them by a power of ten) before fitting."
        )
    return mean32, scale32


def warn_at_caller(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn, pointing at the first caller outside this package (the user's line)."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(0), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def _warn_layout(message: str) -> None:
    warn_at_caller(message, SeriesLayoutWarning)


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
    _check_time_order(times, codes)
    return codes


def _warn_on_split_series(times, codes: np.ndarray) -> None:
    """Warn when many series of a training X have holes in their time index.

    That is what an integer ``cv`` (a (Stratified)KFold over rows) does to a
    panel: rows of one series land in different folds, and a held-out row's
    neighbours, whose contexts overlap it almost entirely, stay in training.
    """
    times = _time_ordinals(times)
    if not np.issubdtype(np.asarray(times).dtype, np.number) or len(times) < 3:
        return
    step = np.diff(np.asarray(times, dtype=np.float64))
    same = codes[1:] == codes[:-1]
    if not same.any():
        return
    values, counts = np.unique(step[same], return_counts=True)
    regular = values[np.argmax(counts)]  # the panel's usual step
    holed = np.unique(codes[1:][same & (step > regular)])
    n_series = int(codes.max()) + 1
    if len(holed) >= max(2, 0.1 * n_series):
        warnings.warn(
            f"{len(holed)} of the {n_series} series of X have holes in their time index "
            f"(steps larger than the usual {regular:g}). If a cross-validation split them "
            "(an integer cv or KFold over rows), rows of one series are in both training and "
            "validation: use GroupKFold with groups=sktime_hepa.panel.series_ids(X). If the "
            "series are irregular by nature, ignore this warning.",
            SeriesLayoutWarning,
            stacklevel=4,
        )


def _within_steps(times, codes: np.ndarray) -> np.ndarray | None:
    """The time steps between consecutive rows of one series (None: times not numeric)."""
    times = _time_ordinals(times)
    if not np.issubdtype(np.asarray(times).dtype, np.number):
        return None
    step = np.diff(np.asarray(times, dtype=np.float64))
    return step[codes[1:] == codes[:-1]]


def regular_step(times, codes: np.ndarray) -> float | None:
    """The one step of a panel whose series all step regularly, else None."""
    steps = _within_steps(times, codes)
    if steps is None or not len(steps):
        return None
    first = steps[0]
    return float(first) if np.allclose(steps, first, rtol=1e-9, atol=0) else None


def _warn_on_new_irregularity(times, codes: np.ndarray, step: float | None) -> None:
    """Warn when a predict-time X steps otherwise than the regular training panel did."""
    if step is None:
        return
    steps = _within_steps(times, codes)
    if steps is None or not len(steps):
        return
    other = ~np.isclose(steps, step, rtol=1e-9, atol=0)
    if other.any():
        seen = np.unique(steps[other])
        warnings.warn(
            f"{int(other.sum())} time steps of X differ from the step of every training "
            f"series ({step:g}); X steps by {', '.join(f'{v:g}' for v in seen[:5])}"
            f"{' ...' if len(seen) > 5 else ''}. Contexts are read by position (the last "
            "context_length rows), so across a gap a row's context reaches further back in "
            "time than any training context did. Insert the missing steps as NaN rows and "
            "use missing='mask', or resample X to the training step.",
            SeriesLayoutWarning,
            stacklevel=4,
        )


def _time_ordinals(times) -> np.ndarray:
    """Time stamps as numbers that sort like them (datetimes, tz-aware or not, and periods)."""
    if isinstance(times, pd.DatetimeIndex | pd.TimedeltaIndex | pd.PeriodIndex):
        return times.asi8  # ns since the epoch (UTC for tz-aware), or period ordinals
    return np.asarray(times)


def _check_time_order(times, codes: np.ndarray | None = None) -> None:
    if pd.isna(np.asarray(times)).any():
        raise ValueError("the time index of X contains missing values.")
    if len(times) < 2:
        return
    times = _time_ordinals(times)
    try:
        step = np.diff(times)
        zero = np.zeros((), dtype=step.dtype)
        same_series = np.ones(len(step), dtype=bool) if codes is None else codes[1:] == codes[:-1]
        duplicate = (same_series & (step == zero)).any()
        backwards = (same_series & (step < zero)).any()
    except TypeError as exc:
        raise ValueError("the time index of X must be numeric or datetime-like.") from exc
    if duplicate:
        raise ValueError("X has duplicate time stamps within a series.")
    if backwards:
        raise ValueError(
            "the time index of X is not sorted within a series; sort X with X.sort_index()."
        )


# -- inputs that would be read wrongly ------------------------------------------------

_ID_NAME = re.compile(
    r"^(?:id|level_0|.+[_ ]id|(?:unit|series|instance|engine|machine|asset|entity|trajectory"
    r"|turbine|pump|bearing|equipment|patient|subject)s?"
    r"(?:[_ ]?(?:id|nr|no|num|number|idx|index|name|key))?)$",
    re.IGNORECASE,
)
_TIME_NAME = re.compile(
    r"^(?:t|ts|dt|level_1|date|datetime|tick|epoch|.*(?:time|cycle|stamp|step|period).*)$",
    re.IGNORECASE,
)


def _as_ordinal(column: pd.Series) -> np.ndarray | None:
    """A column's values as sortable numbers, None when they are not numbers or times."""
    if column.hasnans:
        return None
    dtype = column.dtype
    if isinstance(dtype, pd.PeriodDtype):
        return pd.PeriodIndex(column).asi8
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return pd.Index(column).asi8
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        return None
    return column.to_numpy(dtype=np.float64)


def _flat_frame_columns(X: pd.DataFrame):
    """(id column, time column or None) when X looks like ``X.reset_index()`` of a panel.

    Conservative: only a frame with a plain RangeIndex whose first column holds
    contiguous runs of series ids (at least two rows per id on average) is
    examined; the id column must be named like one (unit, id, series, ...) or,
    unnamed so, hold non-decreasing integers followed by a column that
    increases within every run and restarts at every new id.
    """
    if not isinstance(X.index, pd.RangeIndex) or X.shape[1] < 2 or len(X) < 4:
        return None
    first, second = X.columns[0], X.columns[1]
    ids = X.iloc[:, 0]
    if ids.hasnans:
        return None
    named = isinstance(first, str) and _ID_NAME.match(first.strip()) is not None
    integer = pd.api.types.is_integer_dtype(ids.dtype)
    if not (named and (integer or ids.dtype == object or pd.api.types.is_string_dtype(ids))):
        if not integer or not ids.is_monotonic_increasing:
            return None
    try:
        codes, uniques = pd.factorize(ids)
    except TypeError:  # unhashable values
        return None
    change = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    if len(change) + 1 != len(uniques) or 2 * len(uniques) > len(X):
        return None  # ids not contiguous, or mostly one row per "id"
    time = _as_ordinal(X.iloc[:, 1])
    within = within_increasing = restarts = False
    if time is not None:
        step = np.diff(time)
        within = np.ones(len(step), dtype=bool)
        within[change - 1] = False
        within_increasing = bool((step[within] > 0).all())
        restarts = len(change) > 0 and bool((step[change - 1] <= 0).all())
    time_named = isinstance(second, str) and _TIME_NAME.match(second.strip()) is not None
    if named:
        has_time = time is not None and (time_named or within_increasing)
        if has_time or len(uniques) >= 2:
            return first, (second if has_time else None)
        return None
    if within_increasing and restarts:
        return first, second
    return None


def _check_not_flat(X: pd.DataFrame) -> None:
    found = _flat_frame_columns(X)
    if found is None:
        return
    id_col, time_col = found
    if time_col is not None:
        what = (
            f"column {id_col!r} holds series ids and column {time_col!r} the time within "
            "each series"
        )
        fix = f"X.set_index([{id_col!r}, {time_col!r}])"
    else:
        what = f"column {id_col!r} holds series ids"
        fix = f"X.set_index([{id_col!r}, X.groupby({id_col!r}).cumcount()])"
    raise ValueError(
        f"X looks like a flat frame (e.g. X.reset_index() of a panel): {what}, "
        "so X would be read as ONE series with them as sensors. Give it a (series id, "
        f"time) MultiIndex: {fix}."
    )


def _check_not_text(X, name: str = "X") -> None:
    """A file name or other text is not data: say so before numpy tries to read it as numbers."""
    if isinstance(X, str | bytes | os.PathLike):
        raise ValueError(
            f"{name} is a {type(X).__name__} ({str(X)[:60]!r}), not data; pass the series as "
            "a DataFrame (one column per sensor, a (series id, time) MultiIndex for several "
            "series) or an array: read a file first, e.g. with pandas.read_csv."
        )


def _check_container(X) -> None:
    """Refuse text and a list/tuple of series, which sklearn would read as one ragged array."""
    _check_not_text(X)
    if not isinstance(X, list | tuple) or len(X) == 0:
        return
    if all(isinstance(x, pd.DataFrame | pd.Series) for x in X):
        raise ValueError(
            f"X is a {type(X).__name__} of {len(X)} DataFrames; pass one DataFrame with a "
            "(series id, time) MultiIndex instead: pd.concat(frames, keys=range(len(frames)))"
            " (each frame indexed by its time)."
        )
    if all(isinstance(x, np.ndarray) and x.ndim == 2 for x in X):
        raise ValueError(
            f"X is a {type(X).__name__} of {len(X)} 2-D arrays; pass equal-length series as "
            "one 3-D array (n_series, n_channels, n_timepoints), e.g. np.stack([a.T for a in "
            "arrays]) for (n_timepoints, n_channels) arrays, or any series as one DataFrame "
            "with a (series id, time) MultiIndex."
        )


def _check_not_series(X) -> None:
    """A pandas Series is one sensor without a sensor axis: say so, before any index check."""
    if isinstance(X, pd.Series):
        raise ValueError(
            f"X is a 1-D pandas Series (name {X.name!r}, {len(X)} values); X needs one column "
            "per sensor: pass X.to_frame() for a single sensor (one series), or a DataFrame "
            "with a (series id, time) MultiIndex for several series."
        )


def _plain_numeric(X):
    """A frame's pandas nullable numeric columns (Float64, Int64, boolean) as float64.

    ``pd.NA`` becomes NaN, which ``missing`` then governs like any NaN;
    numpy-backed frames are returned as they are.
    """
    if not isinstance(X, pd.DataFrame):
        return X
    nullable = [
        c
        for c, dtype in X.dtypes.items()
        if isinstance(dtype, pd.api.extensions.ExtensionDtype)
        and (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))
    ]
    if not nullable:
        return X
    return X.astype({c: "float64" for c in nullable})


def _column_label(name) -> str:
    return repr(name) if isinstance(name, str) else str(name)


def _check_values(X, kind: str) -> None:
    """Non-numeric columns and finite values beyond float32: ValueError naming the column.

    ``kind`` is "frame" (a DataFrame), "2d" or "3d" (ndarrays; columns are the last,
    respectively the middle, axis). NaN and inf are left to sklearn's checks.
    """
    if kind == "frame":
        if X.shape[0] == 0 or X.shape[1] == 0:
            return
        for name, dtype in X.dtypes.items():
            column = X[name]
            if isinstance(column, pd.DataFrame):  # duplicated column names
                column = column.iloc[:, 0]
            _check_column(column, dtype, f"column {_column_label(name)}")
        floats = X.select_dtypes(include=[np.float64, np.longdouble])
        names, values, axis = list(floats.columns), floats.to_numpy(), 0
    else:
        if X.dtype.kind in "USO":
            columns = X if kind == "2d" else np.moveaxis(X, 1, -1)
            columns = columns.reshape(-1, X.shape[1] if kind == "3d" else X.shape[-1])
            word = "channel" if kind == "3d" else "column"
            for j in range(columns.shape[1]):
                _check_column(pd.Series(columns[:, j]), np.dtype(object), f"{word} {j}")
            return
        if X.dtype.kind != "f" or X.dtype.itemsize <= 4:
            return
        values, axis = X, (0 if kind == "2d" else (0, 2))
        names = list(range(X.shape[1]))
    if values.size == 0:
        return
    with np.errstate(invalid="ignore"):
        # fmax/fmin reduce without a copy of X and skip NaN; inf is left to sklearn
        peak = np.maximum(np.fmax.reduce(values, axis=axis), -np.fmin.reduce(values, axis=axis))
        for j in np.flatnonzero(np.isinf(peak)):  # the largest finite value instead
            column = values[:, j] if kind != "3d" else values[:, j, :]
            finite = column[np.isfinite(column)]
            peak[j] = np.abs(finite).max() if finite.size else 0.0
    big = np.flatnonzero(peak > FLOAT32_MAX)
    if len(big):
        word = "channel" if kind == "3d" else "column"
        which = ", ".join(f"{word} {_column_label(names[j])}" for j in big)
        raise ValueError(
            f"X holds values up to {peak[big].max():.3g} in {which}, beyond float32's "
            f"finite range (+-{FLOAT32_MAX:.3g}) in which X is stored (they would become "
            "inf); rescale these sensors (e.g. divide them by a power of ten)."
        )


def _check_column(column: pd.Series, dtype, label: str) -> None:
    """ValueError unless a column holds numbers (or booleans)."""
    if isinstance(dtype, pd.CategoricalDtype):
        if pd.api.types.is_numeric_dtype(dtype.categories.dtype):
            return
        example = column.iloc[0]
        raise ValueError(
            f"{label} of X is categorical with non-numeric values (e.g. {example!r}); every "
            "column must be a numeric sensor: encode it as numbers or drop it."
        )
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
        return  # booleans are numbers; complex data is refused by sklearn's own check
    if pd.api.types.is_numeric_dtype(dtype):
        return
    if (
        pd.api.types.is_datetime64_any_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype | pd.IntervalDtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    ):
        raise ValueError(
            f"{label} of X holds {dtype} values, not numbers; every column must be a numeric "
            "sensor. If it is the time of each row, make it the index (X.set_index(...))."
        )
    strings = column.map(lambda v: isinstance(v, str | bytes))
    if strings.any():
        example = column[strings].iloc[0]
        raise ValueError(
            f"{label} of X holds strings (e.g. {example!r}); every column must be a numeric "
            f"sensor: convert it (pd.to_numeric) or drop it."
        )
    try:
        np.asarray(column.to_numpy(), dtype=np.float64)
    except (TypeError, ValueError):
        example = next(
            (v for v in column if not isinstance(v, int | float | np.number | bool)), None
        )
        # a TypeError, as sklearn's own check_array raises (and its estimator checks expect)
        raise TypeError(
            f"{label} of X holds values that are not numbers (e.g. {example!r}); every "
            "column must be a numeric sensor (float() argument must be a string or a real "
            f"number, not {type(example).__name__!r})."
        ) from None


def _check_not_empty(shape: tuple) -> None:
    """ValueError for no rows or no columns, worded like sklearn's (its checks match it)."""
    n_rows, n_columns = shape[0], shape[-1]
    if n_rows == 0:
        raise ValueError(
            f"X has 0 sample(s) (shape={shape}) while a minimum of 1 is required: it holds "
            "no time step (rows) to read."
        )
    if n_columns == 0:
        raise ValueError(
            f"X has 0 feature(s) (shape={shape}) while a minimum of 1 is required: it needs "
            "at least one sensor (column)."
        )


def _check_3d_orientation(X: np.ndarray, estimator, reset: bool) -> None:
    n_series, n_channels, n_steps = X.shape
    if reset:
        if n_channels > n_steps:
            _warn_layout(
                f"X is a 3-D array of shape {X.shape}, read in sktime's layout (n_series, "
                f"n_channels, n_timepoints) as {n_series} series of {n_steps} time points "
                f"with {n_channels} channels (more channels than time points). If it is "
                "(n_series, n_timepoints, n_channels), pass np.transpose(X, (0, 2, 1))."
            )
        return
    n_features = getattr(estimator, "n_features_in_", None)
    if n_features is not None and n_channels != n_features and n_steps == n_features:
        raise ValueError(
            f"X is a 3-D array of shape {X.shape} whose last axis, not its middle one, has "
            f"the {n_features} channels the estimator was fitted with: it looks transposed, "
            "(n_series, n_timepoints, n_channels). Pass np.transpose(X, (0, 2, 1)) for "
            "sktime's layout (n_series, n_channels, n_timepoints)."
        )


def _check_against_fit(panel: Panel, fmt: str, estimator) -> None:
    """SeriesLayoutWarning for a 2-D X longer than every series of a multi-series fit."""
    n_series = getattr(estimator, "_panel_n_series_", None)
    longest = getattr(estimator, "_panel_max_length_", None)
    if fmt != "array2d" or n_series is None or n_series < 2 or panel.n_rows <= longest:
        return
    _warn_layout(
        f"X is 2-D without a (series id, time) MultiIndex, so it is read as ONE series of "
        f"{panel.n_rows} steps, longer than any of the {n_series} series the estimator was "
        f"fitted on (at most {longest} steps). If X holds several series, pass a DataFrame "
        "with a (series id, time) MultiIndex or a 3-D array (n_series, n_channels, "
        "n_timepoints)."
    )


#: Values of the ``missing`` parameter: "error" refuses NaN, "mask" masks it.
MISSING_MODES = ("error", "mask")


def missing_mode(estimator) -> str:
    """The estimator's ``missing`` setting ("error" when it has none)."""
    return getattr(estimator, "missing", "error")


def _validate_rows(estimator, X, *, reset: bool):
    """sklearn's ``validate_data`` on the rows; NaN allowed only with ``missing="mask"``."""
    mask = missing_mode(estimator) == "mask"
    try:
        return validate_data(
            estimator,
            X,
            reset=reset,
            dtype=np.float32,
            ensure_all_finite="allow-nan" if mask else True,
        )
    except ValueError as exc:
        if mask or "NaN" not in str(exc):
            raise
        raise ValueError(
            f"X contains NaN (missing values), which {type(estimator).__name__} refuses with "
            "missing='error' (the default). Pass missing='mask' to mask the missing steps "
            "out of the scaling and the contexts, or fill them before (e.g. a forward fill "
            "within each series: X.groupby(level=0).ffill())."
        ) from None


def _plain_id(value) -> str:
    """repr of a series id as the user wrote it (a numpy scalar as its Python value)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _check_observed(panel: Panel, X, estimator, reset: bool) -> None:
    """With missing="mask": every series, and at fit every channel, holds an observed value."""
    empty = [i for i, s in enumerate(panel.series) if np.isnan(s).all()]
    if empty:
        ids = series_ids(X) if _is_multiindex_frame(X) else None
        names = [_plain_id(ids[panel.offsets[i]]) if ids is not None else str(i) for i in empty[:5]]
        raise ValueError(
            f"series {', '.join(names)}{' ...' if len(empty) > 5 else ''} of X "
            f"{'has' if len(empty) == 1 else 'have'} no observed value (every value is NaN): "
            "with missing='mask' a series needs at least one observed step; drop it."
        )
    if not reset:
        return  # a sensor down for all of a predict-time X is masked like any gap
    dead = np.isnan(np.concatenate(panel.series)).all(axis=0)
    if dead.any():
        names = getattr(estimator, "feature_names_in_", None)
        which = ", ".join(
            repr(str(names[j])) if names is not None else f"channel {j}"
            for j in np.flatnonzero(dead)
        )
        raise ValueError(
            f"{which} of X has no observed value (every value is NaN), so its scaling "
            "cannot be fitted; drop that sensor or fill it before fitting."
        )


def as_panel(X, *, estimator, reset: bool) -> Panel:
    """Validate X and split it into per-series float32 arrays.

    Shape, dtype, NaN/inf and feature-count checks go through sklearn's
    ``validate_data`` on the rows (so ``n_features_in_`` / ``feature_names_in_``
    are set when ``reset``). Before it, inputs that sklearn would read wrongly
    or report in its own terms get a ValueError naming the problem: a flat
    frame (``X.reset_index()`` of a panel, whose id and time columns would
    become sensors), a list of frames or arrays, a non-numeric column, finite
    values beyond float32's range, no rows or no columns, and at predict time
    a 3-D array that looks transposed.

    Three plausible but possibly mistaken layouts raise :class:`SeriesLayoutWarning`:

    * in ``fit``, a 3-D array with more channels than time points (read as
      ``(n_series, n_channels, n_timepoints)`` all the same);
    * at predict time, a 2-D X (array or frame without a MultiIndex), read as
      ONE series, given to an estimator fitted on several series when X has
      more rows than the longest of them. A single series no longer than the
      training series is the ordinary way to score one series and is not
      flagged.
    * at predict time, a MultiIndex X whose time steps differ from the one
      step of a regular training panel (a gap, or another sampling rate):
      contexts are read by position, so they would span other times than in
      training.

    Missing values: with the estimator's ``missing`` parameter "error" (the
    default, and for an estimator without one) X with a NaN is refused with a
    ValueError that names ``missing="mask"``. With ``missing="mask"`` NaN is
    accepted (inf still is not: sklearn's ``ensure_all_finite="allow-nan"``)
    and kept in the panel; a series with no observed value, and at fit time a
    channel with none, are refused.

    With ``reset`` the layout of the fit is recorded on the estimator:
    ``_panel_format_`` ("multiindex", "array2d" or "numpy3d"),
    ``_panel_n_series_``, ``_panel_max_length_`` and ``_panel_time_step_``
    (the step of a regular MultiIndex panel, else None).

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

    Raises
    ------
    ValueError
        X is not a panel: text (a file name), a list or tuple of frames or of 2-D
        arrays, a pandas Series, a flat frame (``X.reset_index()`` of a panel), an
        array of another dimension than 2 or 3, or no rows, sensors, series or
        time points.
    ValueError
        Its index: a MultiIndex of other than 2 levels, missing series ids or
        times, rows of a series not contiguous, times that are not numeric or
        datetime-like, or repeated or unsorted within a series (the index of a
        2-D frame counts as the time of its one series).
    ValueError
        Its values: a column of strings, datetimes or non-numeric categories,
        complex numbers, finite values beyond float32, inf, NaN with
        ``missing="error"``; with ``missing="mask"`` a series with no observed
        value, and with ``reset`` a sensor with none.
    ValueError
        Without ``reset`` (predict time, or a warm-started fit): another number
        of sensors, other column names or another column order than in ``fit``,
        or a 3-D array that looks transposed.
    TypeError
        A column of objects that are not numbers (nor strings), or column names
        that mix strings and non-strings (sklearn's check).
    """
    _check_container(X)
    _check_not_series(X)
    X = _plain_numeric(X)
    if isinstance(X, np.ndarray) and X.ndim == 3:
        fmt = "numpy3d"
        n_series, n_channels, n_steps = X.shape
        if n_series == 0 or n_steps == 0:
            raise ValueError(f"X has shape {X.shape}: no series or no time points.")
        _check_not_empty((n_series * n_steps, n_channels))
        _check_3d_orientation(X, estimator, reset)
        _check_values(X, "3d")
        # (n_series, n_channels, n_steps) -> rows series by series
        flat = np.ascontiguousarray(np.transpose(X, (0, 2, 1))).reshape(-1, n_channels)
        values = _validate_rows(estimator, flat, reset=reset)
        offsets = np.arange(n_series + 1) * n_steps
    elif _is_multiindex_frame(X):
        fmt = "multiindex"
        _check_not_empty(X.shape)
        codes = _check_frame_index(X)
        if reset:
            _warn_on_split_series(X.index.get_level_values(1), codes)
        else:
            step = getattr(estimator, "_panel_time_step_", None)
            _warn_on_new_irregularity(X.index.get_level_values(1), codes, step)
        _check_values(X, "frame")
        values = _validate_rows(estimator, X, reset=reset)
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        offsets = np.r_[starts, len(codes)]
    else:
        fmt = "array2d"
        if isinstance(X, pd.DataFrame):
            _check_not_empty(X.shape)
            _check_not_flat(X)
        if isinstance(X, pd.DataFrame | pd.Series):
            _check_time_order(X.index)
        if isinstance(X, pd.DataFrame):
            _check_values(X, "frame")
        elif isinstance(X, np.ndarray) and X.ndim == 2:
            _check_not_empty(X.shape)
            _check_values(X, "2d")
        values = _validate_rows(estimator, X, reset=reset)
        offsets = np.array([0, values.shape[0]])
    values = np.asarray(values, dtype=np.float32)
    series = [values[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    panel = Panel(series=series, offsets=np.asarray(offsets, dtype=np.int64))
    if missing_mode(estimator) == "mask":
        _check_observed(panel, X, estimator, reset)
    if reset:
        estimator._panel_format_ = fmt
        estimator._panel_n_series_ = len(series)
        estimator._panel_max_length_ = int(panel.lengths.max())
        estimator._panel_time_step_ = (
            regular_step(X.index.get_level_values(1), codes) if fmt == "multiindex" else None
        )
    else:
        _check_against_fit(panel, fmt, estimator)
    return panel


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
    _check_not_text(X)
    if X is None or not hasattr(X, "__len__"):
        raise ValueError(
            f"X must be a DataFrame, a 2-D array-like or a 3-D array of series, got "
            f"{type(X).__name__}."
        )
    return np.zeros(len(X), dtype=np.int64)
