"""Scoring a stream as it grows: new rows in, their surface rows out.

A fitted model's row ``t`` reads only the last ``context_length`` steps of its
series, so a stream needs to keep only that tail: :class:`SurfaceStream` holds
it per series and scores each batch of new rows with the tail in front, which
gives exactly the numbers of scoring the whole series at once.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ._rows import MAX_HISTORY, ContextLengthWarning
from .encoders._base import EncoderTransformer
from .panel import SeriesLayoutWarning

__all__ = ["SurfaceStream"]


def _parts(model):
    """The fitted models a surface model is made of, outermost first."""
    yield model
    inner = getattr(model, "estimator_", None)  # SurfaceCalibrator
    if inner is not None:
        yield from _parts(inner)
    elif hasattr(model, "steps"):  # SurfacePipeline
        for _, step in model.steps:
            if step is not None and step != "passthrough":
                yield from _parts(step)


def _context_length(model) -> int | None:
    """Steps of history a fitted surface model's rows read; None: the whole history."""
    if not hasattr(model, "predict_surface"):
        raise ValueError(
            f"{type(model).__name__} has no predict_surface: SurfaceStream needs a fitted "
            "surface model (HEPAEventPredictor, a make_pipeline(...) ending in one, a "
            "SurfaceCalibrator, or a baseline)."
        )
    check_is_fitted(model)
    for part in _parts(model):
        if isinstance(part, EncoderTransformer):
            length = part.context_length
            return MAX_HISTORY if length is None else int(length)
        if hasattr(part, "pretrainer_"):  # a HEPAEventPredictor
            if part.pretrainer_ is not None:
                length = part.pretrainer_.context_length
                return MAX_HISTORY if length is None else int(length)
            if part is model:
                raise ValueError(
                    f"{type(model).__name__} was fitted on embeddings: it cannot read a raw "
                    "stream. Stream the pipeline that made the embeddings "
                    "(make_pipeline(encoder, HEPAEventPredictor())) instead."
                )
    return None  # a model whose features read the whole history (the baselines)


def _horizons(model) -> int:
    for part in _parts(model):
        for name in ("n_horizons_", "horizons"):
            value = getattr(part, name, None)
            if isinstance(value, int | np.integer):
                return int(value)
    raise ValueError(f"cannot tell how many horizons {type(model).__name__} predicts.")


def _orderable(times) -> bool:
    """Whether time stamps compare as times (numbers, datetimes, periods; not a RangeIndex
    that only numbers the rows of a chunk)."""
    if isinstance(times, pd.RangeIndex):
        return False
    dtype = getattr(times, "dtype", np.asarray(times).dtype)
    if isinstance(dtype, pd.DatetimeTZDtype | pd.PeriodDtype):
        return True  # tz-aware datetimes and periods compare as times
    return np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.datetime64)


class SurfaceStream:
    """Feed a fitted surface model a stream in pieces; get the surface of each new row.

    Parameters
    ----------
    model : fitted surface model
        A HEPAEventPredictor, a ``make_pipeline(encoder, HEPAEventPredictor())``,
        a :class:`~sktime_hepa.SurfaceCalibrator` around either, or a baseline.
        The encoder's ``context_length`` fixes how much of each series is kept
        (``MAX_HISTORY`` steps for whole-history contexts); a model without an
        encoder (the baselines, whose features read the whole history: age,
        running averages) keeps all of it.

    Attributes
    ----------
    context_length_ : int or None
        Rows kept per series (None: all).
    tails_ : dict
        Series id -> the last ``context_length_`` rows seen (a 2-D array).
    last_time_ : dict
        Series id -> the last time stamp seen (DataFrame input only).

    Examples
    --------
    >>> stream = SurfaceStream(model)                  # doctest: +SKIP
    >>> for chunk in chunks:                           # doctest: +SKIP
    ...     surface = stream.update(chunk)             # (len(chunk), K)
    """

    def __init__(self, model):
        self.model = model
        self.context_length_ = _context_length(model)
        self.n_horizons_ = _horizons(model)
        # which of rows= and batch_size= the model's predict_surface takes (read once)
        params = inspect.signature(model.predict_surface).parameters
        self._takes_rows = "rows" in params
        self._takes_batch_size = "batch_size" in params or any(
            p.kind is p.VAR_KEYWORD for p in params.values()
        )
        self.tails_: dict = {}
        self.last_time_: dict = {}

    def update(self, X_new, *, batch_size: int = 256) -> np.ndarray:
        """Surface rows of the new observations.

        The input contract: rows of each series arrive in time order, within a
        chunk and across chunks. A DataFrame's time stamps (its index, or the
        second level of a MultiIndex) are checked against that: a step at or
        before the last one seen for its series is *late data* and is refused
        with a ValueError (a stream cannot re-score the past with a history it
        has already moved beyond; refit or start a new ``SurfaceStream``). A
        DataFrame's columns are read by name when the model was fitted on named
        columns, whatever their order; a missing sensor is a ValueError naming
        it, and a column the model was not fitted on (a flat frame's id and time
        columns included) is refused too. Rows of several series may be
        interleaved in one chunk; the output keeps the input's row order. An
        empty chunk returns an empty surface and changes nothing.

        Parameters
        ----------
        X_new : 2-D array or DataFrame (new steps of ONE stream, in time order),
            or a DataFrame with a (series id, time) MultiIndex (new steps of
            several streams, in time order within each)
            Time stamps are checked only where they are numbers, timedeltas or
            tz-naive datetimes; a RangeIndex (a chunk's row numbers), tz-aware
            datetimes, periods and text are not checked.
        batch_size : int, default=256
            Passed to the model's ``predict_surface`` when it takes one.

        Returns
        -------
        surface : ndarray of float32, shape (n_new_rows, horizons), in the order of X_new

        Raises
        ------
        ValueError
            X_new is a pandas Series; a DataFrame (model fitted on named sensors)
            lacks one of them or has another column.
        ValueError
            Time stamps not strictly increasing within a series of the chunk, or
            a first one not after the last one seen for that series (late data).
            Checked for every series of the chunk before any is scored.
        ValueError
            Checked series by series while scoring, so the series of the chunk
            scored before keep their update: values that are not numbers, rows
            that are not 2-D (a 1-D or 3-D array), another number of sensors
            than the model's or the earlier chunks', and what the model's
            ``predict_surface`` refuses for the kept history plus the new rows
            (NaN with ``missing="error"``, inf).
        """
        if isinstance(X_new, pd.Series):
            raise ValueError(
                "X_new is a 1-D pandas Series; pass a DataFrame with one column per sensor "
                "(X_new.to_frame().T for one step of a stream, X_new.to_frame() for one sensor)."
            )
        X_new = self._by_name(X_new)
        out = np.zeros((len(X_new), self.n_horizons_), np.float32)
        if isinstance(X_new, pd.DataFrame) and isinstance(X_new.index, pd.MultiIndex):
            ids = X_new.index.get_level_values(0)
            times = X_new.index.get_level_values(1)
            parts = [(key, np.flatnonzero(ids == key)) for key in pd.unique(ids)]
            last = {key: self._check_order(key, times[where]) for key, where in parts}
        else:
            parts = [(None, np.arange(len(X_new)))]
            times = X_new.index if isinstance(X_new, pd.DataFrame) else None
            last = {None: None if times is None else self._check_order(None, times)}
        # time order is checked for every series before any is scored; a series the
        # model refuses later restores the others too: a refused chunk changes nothing
        tails, last_seen = dict(self.tails_), dict(self.last_time_)
        try:
            for key, where in parts:
                chunk = X_new.iloc[where] if isinstance(X_new, pd.DataFrame) else X_new
                out[where] = self._update_one(key, chunk, batch_size)
                if last[key] is not None:
                    self.last_time_[key] = last[key]
        except BaseException:
            self.tails_, self.last_time_ = tails, last_seen
            raise
        return out

    def _by_name(self, X_new):
        """A frame's columns in the order of the fit (by name); other inputs as they are."""
        names = getattr(self.model, "feature_names_in_", None)
        if names is None or not isinstance(X_new, pd.DataFrame):
            return X_new
        missing = [n for n in names if n not in X_new.columns]
        if missing:
            raise ValueError(
                f"X_new lacks the sensor column(s) {missing} the model was fitted on "
                f"(it has {list(X_new.columns)})."
            )
        extra = [c for c in X_new.columns if c not in set(names)]
        if extra:  # a flat frame's id/time columns, or a sensor the model never saw
            raise ValueError(
                f"X_new has column(s) {extra} the model was not fitted on (its sensors: "
                f"{list(names)}); pass series ids and times as a (series id, time) "
                "MultiIndex, not as columns, and drop other columns."
            )
        return X_new[list(names)]

    def _check_order(self, key, times):
        """Time stamps of one series' new rows: increasing, and after the last one seen.

        Returns the last new time stamp (None when the stamps are not times).
        """
        if not len(times) or not _orderable(times):
            return None
        values = np.asarray(times)
        series = "" if key is None else f" of series {key!r}"
        if len(values) > 1 and not (values[1:] > values[:-1]).all():
            raise ValueError(
                f"the new rows{series} are not in increasing time order; a stream is scored "
                "in time order (sort the chunk, or drop repeated time stamps)."
            )
        last = self.last_time_.get(key)
        if last is not None and not values[0] > last:
            raise ValueError(
                f"late data{series}: time {values[0]!r} is not after the last step seen "
                f"({last!r}); the stream has moved on and cannot re-score the past (start a "
                "new SurfaceStream, or score the whole series with predict_surface)."
            )
        return values[-1]

    def _update_one(self, key, part, batch_size: int) -> np.ndarray:
        try:
            values = np.asarray(part, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"X_new holds values that are not numbers ({exc}); every sensor column must "
                "be numeric (NaN marks a missing value under missing='mask')."
            ) from None
        if values.ndim != 2:
            raise ValueError(f"new rows must be 2-D (steps, sensors), got shape {values.shape}.")
        if not len(values):
            return np.zeros((0, self.n_horizons_), np.float32)
        tail = self.tails_.get(key)
        history = values if tail is None else np.concatenate([tail, values])
        rows = np.arange(len(history) - len(values), len(history))
        frame = self._as_input(history)
        with warnings.catch_warnings():
            # the kept history is one series by construction, cut where the model's
            # contexts are cut anyway
            warnings.simplefilter("ignore", SeriesLayoutWarning)
            warnings.simplefilter("ignore", ContextLengthWarning)
            surface = self._predict(frame, rows, batch_size)
        self.tails_[key] = (
            history if self.context_length_ is None else history[-self.context_length_ :]
        )
        return surface

    def _predict(self, frame, rows, batch_size: int) -> np.ndarray:
        """The model's surface of ``rows`` of ``frame``, with the arguments it takes."""
        kwargs = {"batch_size": batch_size} if self._takes_batch_size else {}
        if self._takes_rows:
            return self.model.predict_surface(frame, rows=rows, **kwargs)
        return np.asarray(self.model.predict_surface(frame, **kwargs))[rows]

    def _as_input(self, history):
        """The kept history in the layout the model was fitted on (column names kept)."""
        names = getattr(self.model, "feature_names_in_", None)
        if names is None:
            return history
        return pd.DataFrame(history, columns=names)
