"""Survival targets: one (event, time) pair per observation row.

The layout is the one of scikit-survival's ``Surv.from_arrays``: a structured
array with a boolean field ``event`` and a float field ``time``. ``time`` counts
steps after the row's observation time ``t`` until the event (``event=True``) or
until observation of the series ends (``event=False``, right-censored).

At horizon ``dt`` (``dt = 1 .. K``) a row's label is

* 1 if ``event`` and ``time <= dt``;
* 0 if ``time >= dt`` and the row is not a positive (censored late enough, or the
  event comes after ``dt``);
* unknown when the row is censored before ``dt``. Unknown cells are masked out of
  every loss and every metric.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd

__all__ = [
    "SURVIVAL_DTYPE",
    "EventLabelWarning",
    "make_survival_target",
    "is_survival_target",
    "as_survival_target",
    "survival_fields",
    "target_from_event_labels",
    "target_from_rul",
    "horizon_labels",
    "validate_event_target",
    "survival_cells",
]

SURVIVAL_DTYPE = np.dtype([("event", bool), ("time", np.float64)])


def make_survival_target(event, time) -> np.ndarray:
    """Build a structured survival target from two aligned 1-D arrays.

    Parameters
    ----------
    event : array-like of bool, shape (n_rows,)
        Whether the event is observed for the row.
    time : array-like of float, shape (n_rows,)
        Steps from the row to the event, or to the end of observation when
        ``event`` is False. Must be finite and non-negative.

    Returns
    -------
    y : ndarray of dtype ``SURVIVAL_DTYPE``, shape (n_rows,)
    """
    event = np.asarray(event)
    time = np.asarray(time, dtype=np.float64)
    if event.ndim != 1 or time.ndim != 1 or event.shape != time.shape:
        raise ValueError(
            f"event and time must be 1-D arrays of equal length, got shapes "
            f"{event.shape} and {time.shape}."
        )
    if event.dtype != bool:
        if not np.isin(event, [0, 1]).all():
            raise ValueError("event must be boolean (or 0/1).")
        event = event.astype(bool)
    if not np.isfinite(time).all():
        raise ValueError("time contains NaN or infinite values.")
    if (time < 0).any():
        raise ValueError("time must be non-negative (steps until event or censoring).")
    y = np.empty(event.shape[0], dtype=SURVIVAL_DTYPE)
    y["event"] = event
    y["time"] = time
    return y


def survival_fields(y) -> tuple[str, str] | None:
    """The (event, time) field names of a structured survival target, or None.

    scikit-survival's rule: fields named ``event`` and ``time``, or else
    exactly two fields, the first boolean and the second numeric (as
    ``Surv.from_arrays(..., name_event="status", name_time="days")`` and the
    lifelines-style datasets give).
    """
    dtype = getattr(y, "dtype", None)
    names = getattr(dtype, "names", None)
    if names is None:
        return None
    if "event" in names and "time" in names:
        return "event", "time"
    if len(names) == 2:
        first, second = dtype[names[0]], dtype[names[1]]
        if first == np.bool_ and np.issubdtype(second, np.number):
            return names[0], names[1]
    return None


def is_survival_target(y) -> bool:
    """Whether ``y`` is a structured survival target (``survival_fields`` finds its fields)."""
    return survival_fields(y) is not None


def as_survival_target(y) -> np.ndarray:
    """A structured survival target with the package's fields ``event`` and ``time``.

    Any target ``survival_fields`` recognises is checked as by
    :func:`make_survival_target` and returned with ``SURVIVAL_DTYPE``;
    ValueError for anything else, naming the fields found.
    """
    fields = survival_fields(y)
    if fields is None:
        names = getattr(getattr(y, "dtype", None), "names", None)
        found = f"got fields {list(names)}" if names else "got an unstructured array"
        raise ValueError(
            "a survival target must be a structured array with fields 'event' and 'time', or "
            "with two fields, a boolean event indicator first and a numeric time second "
            f"(scikit-survival's Surv); {found}."
        )
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"a structured survival target must be 1-D, got shape {y.shape}.")
    return make_survival_target(y[fields[0]], y[fields[1]])


def _group_slices(groups, n: int):
    """Contiguous (start, stop) slices of equal group ids, in order."""
    if groups is None:
        return [(0, n)]
    groups = np.asarray(groups)
    if groups.shape != (n,):
        raise ValueError(f"groups must have shape ({n},), got {groups.shape}.")
    if n == 0:
        return []
    change = np.flatnonzero(groups[1:] != groups[:-1]) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [n]])
    if len(np.unique(groups)) != len(starts):
        raise ValueError("rows of each series (groups) must be contiguous.")
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def target_from_event_labels(labels, groups=None) -> np.ndarray:
    """Survival targets from per-step 0/1 event labels.

    For row ``t`` the event is the next positive step strictly after ``t``
    (``time = s - t``); with no later positive step in the series the row is
    censored at the series end (``time = last - t``).

    Parameters
    ----------
    labels : array-like of 0/1 or bool, shape (n_rows,)
        Per-step event indicator, rows in time order within each series.
    groups : array-like, shape (n_rows,), optional
        Series id of each row; rows of a series must be contiguous. ``None``
        reads all rows as one series.

    Returns
    -------
    y : ndarray of dtype ``SURVIVAL_DTYPE``, shape (n_rows,)
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}.")
    if labels.dtype != bool and not np.isin(labels, [0, 1]).all():
        raise ValueError("labels must be 0/1 or boolean per-step event indicators.")
    labels = labels.astype(bool)
    n = labels.shape[0]
    event = np.zeros(n, dtype=bool)
    time = np.zeros(n, dtype=np.float64)
    for start, stop in _group_slices(groups, n):
        idx = np.arange(stop - start)
        pos = np.flatnonzero(labels[start:stop])
        # index of the first positive strictly after each row
        nxt = np.searchsorted(pos, idx, side="right")
        has = nxt < len(pos)
        event[start:stop] = has
        nxt_pos = pos[np.minimum(nxt, len(pos) - 1)] if len(pos) else idx
        time[start:stop] = np.where(has, nxt_pos - idx, (stop - start - 1) - idx)
    return make_survival_target(event, time)


def target_from_rul(rul, event=True) -> np.ndarray:
    """Survival targets from remaining-useful-life values.

    Parameters
    ----------
    rul : array-like of float, shape (n_rows,)
        Steps from each row to failure. For run-to-failure units this is
        ``last_cycle - t``; for C-MAPSS test units it is the RUL given at the
        last cycle plus ``last_cycle - t``.
    event : bool or array-like of bool, default=True
        Whether the failure is observed. C-MAPSS gives the true RUL of its test
        units, so both train and test rows have ``event=True``; pass False for
        units known only to survive at least ``rul`` steps.

    Returns
    -------
    y : ndarray of dtype ``SURVIVAL_DTYPE``, shape (n_rows,)
    """
    rul = np.asarray(rul, dtype=np.float64)
    return make_survival_target(np.broadcast_to(np.asarray(event, dtype=bool), rul.shape), rul)


def _check_alignment(y, index) -> None:
    """A pandas y whose index holds X's row labels in another order: refuse, not misread."""
    y_index = getattr(y, "index", None)
    if y_index is None or index is None or not isinstance(index, pd.Index):
        return
    if y_index.equals(index) or len(y_index) != len(index):
        return
    if y_index.has_duplicates or index.has_duplicates:
        return
    if y_index.sort_values().equals(index.sort_values()):
        raise ValueError(
            "y is a pandas object whose index holds the rows of X in another order; y is read "
            "by position, so its labels would land on the wrong rows. Align it first: "
            "y = y.loc[X.index]."
        )


def validate_event_target(y, *, n_rows: int, groups, estimator_name: str, index=None):
    """An estimator's y as a survival target, with the classes it predicts.

    A structured y (fields ``event`` and ``time``) is checked like
    :func:`make_survival_target` and has classes ``[0, 1]``. Any other y must
    hold per-step labels of exactly two classes, which become ``classes``;
    it is converted per series with :func:`target_from_event_labels`, the
    event being ``classes[1]``:

    * 0/1 (1 = the event) and booleans (True = the event) are read silently;
    * any other two labels (strings such as "normal"/"failure", sorted
      alphabetically; -1/+1; 1/2) are read with the larger as the event, as
      sklearn's ``classes_[1]`` (sklearn's estimator checks and string class
      labels rely on it), with an :class:`EventLabelWarning` that lists both
      labels and says how to pass 0/1 or booleans instead.

    Parameters
    ----------
    y : structured array, or array-like of binary labels, shape (n_rows,)
    n_rows : int
        Rows of the matching X.
    groups : array-like of shape (n_rows,) or None
        Series id of each row, for the label conversion.
    estimator_name : str
        Named in the error messages.
    index : pandas.Index, optional
        X's index: a pandas y holding the same row labels in another order is
        refused (y is read by position).

    Returns
    -------
    y : ndarray of dtype ``SURVIVAL_DTYPE``, shape (n_rows,)
    classes : ndarray of shape (2,)
    """
    from sklearn.utils.multiclass import check_classification_targets, type_of_target
    from sklearn.utils.validation import check_array, column_or_1d

    if y is None:
        raise ValueError(f"{estimator_name} requires y to be passed, but the target y is None.")
    _check_alignment(y, index)
    if getattr(getattr(y, "dtype", None), "names", None) is not None:
        y = as_survival_target(y)  # 0/1 events, finite times >= 0, any Surv field names
        classes = np.array([0, 1])
    else:
        y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                f"y has only one class ({classes.tolist()[0]!r}); per-step event labels need "
                "both event and non-event steps."
            )
        if len(classes) > 2:
            raise ValueError(
                "Only binary classification is supported. The type of the target is "
                f"{type_of_target(y, input_name='y')}: y has {len(classes)} classes, but "
                f"{estimator_name} predicts one event type; pass 0/1 per-step labels or "
                "a structured (event, time) target."
            )
        _check_event_labels(y, classes)
    if len(y) != n_rows:
        raise ValueError(f"y has {len(y)} rows but X has {n_rows}; they must match.")
    if not is_survival_target(y):
        y = target_from_event_labels(y == classes[1], groups=groups)
    return y, classes


class EventLabelWarning(UserWarning):
    """Per-step labels were two values other than 0/1 or booleans; the larger is the event."""


def _check_event_labels(y: np.ndarray, classes: np.ndarray) -> None:
    """EventLabelWarning unless two per-step labels are booleans or 0/1."""
    if y.dtype == bool:
        return
    values = classes.tolist()
    if all(isinstance(v, Real | np.bool_) for v in values):
        if sorted(float(v) for v in values) == [0.0, 1.0]:
            return
    from .panel import warn_at_caller

    first, second = values
    warn_at_caller(
        f"y holds the two labels {first!r} and {second!r}, not 0/1 or booleans, so which "
        f"one is the event is ambiguous: the larger, {second!r}, is taken as the event "
        f"(sklearn's classes_[1]). If {first!r} is the event, pass y == {first!r}; pass "
        "0/1 (1 = event) or booleans (True = event) to say so and silence this warning.",
        EventLabelWarning,
    )


def horizon_labels(y, horizons) -> tuple[np.ndarray, np.ndarray]:
    """Per-horizon labels and known-cell mask for ``dt = 1 .. K``.

    Parameters
    ----------
    y : structured array with fields ``event`` and ``time``, shape (n_rows,)
    horizons : int or array-like of int
        ``K`` (meaning ``dt = 1 .. K``) or the explicit horizons.

    Returns
    -------
    labels : ndarray of float32, shape (n_rows, K)
        1 where the event happens within ``dt`` steps, else 0 (also 0 in
        unknown cells).
    known : ndarray of bool, shape (n_rows, K)
        False where the row is censored before ``dt``.
    """
    if not is_survival_target(y):
        raise ValueError("y must be a structured array with fields 'event' and 'time'.")
    dt = np.arange(1, int(horizons) + 1) if np.ndim(horizons) == 0 else np.asarray(horizons)
    event = np.asarray(y["event"], dtype=bool)[:, None]
    time = np.asarray(y["time"], dtype=np.float64)[:, None]
    positive = event & (time <= dt[None, :])
    known = positive | (time >= dt[None, :])
    return positive.astype(np.float32), known


def count_known_cells(labels, known, horizons: int, *, task: str) -> tuple[int, int]:
    """Positive and negative known cells; ValueError unless both classes occur.

    ``labels, known`` come from :func:`horizon_labels`; ``task`` ends the
    message (what cannot be done without both classes).
    """
    if not known.any():
        raise ValueError(
            f"no row of y has a known label at any horizon 1..{horizons}: every row is "
            "censored before one step (unlabelled rows, e.g. (event=False, time=0) outside "
            f"a label budget): {task}."
        )
    n_pos = int(labels[known].sum())
    n_neg = int(known.sum()) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(
            f"y has no {'positive' if n_pos == 0 else 'negative'} cell at any horizon "
            f"1..{horizons}: {task}."
        )
    return n_pos, n_neg


def survival_cells(y, horizons: int, *, task: str):
    """Per-horizon labels, known mask and positive weight of a validated target.

    Returns ``labels`` (n, K) float32, ``known`` (n, K) bool and
    ``pos_weight`` = N_neg / N_pos over the known cells; ValueError (ending
    in ``task``) unless both classes occur.
    """
    labels, known = horizon_labels(y, horizons)
    n_pos, n_neg = count_known_cells(labels, known, horizons, task=task)
    return labels, known, n_neg / n_pos
