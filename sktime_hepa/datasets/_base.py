"""Shared helpers of the dataset loaders: data-folder resolution and file lookup."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

__all__ = ["DATA_HOME_ENV", "get_data_home"]

#: Environment variable naming the folder that holds the benchmark data (``cmapss/``, ...).
DATA_HOME_ENV = "SKTIME_HEPA_DATA"


#: Docstring entries several loaders share, each written once: a loader's
#: docstring holds ``<key>`` where the entry goes (``shared_docs`` fills it in).
SHARED_DOCS = {
    "fill": """\
fill : {"ffill", None}, default="ffill"
    Gaps (NaN) in the sensors. "ffill": forward fill within each series of
    each split (a gap shows the last reading), then a backward fill of the
    leading gap before a sensor's first reading in the series; that
    backward fill is the one step that reads the future (those first rows
    take a later reading). A sensor missing for a whole series is then set
    to 0, its training mean after z-scoring. None: every gap stays NaN (the
    z-score uses the observed values), for an estimator with
    ``missing="mask"``. Labels do not depend on it.""",
    "fill features": """\
fill : {"ffill", None}, default="ffill"
    Gaps (NaN) in the features. "ffill": forward fill (a gap shows the last
    reading), then a backward fill of the leading gap before a column's
    first reading; that backward fill is the one step that reads the
    future (those first rows take a later reading). None: the features
    keep every gap as NaN (the z-score uses the observed values), for an
    estimator with ``missing="mask"``.""",
    "anomaly bunch": """\
data : sklearn.utils.Bunch
    X_train, X_val, X_test, y_train, y_val, y_test, labels_train, labels_val,
    labels_test, feature_names, context_length, horizons, event,
    event_definition, prevalence, name, description, zscore_mean, zscore_std""",
    "loader errors": """\
FileNotFoundError
    When the folder or file is missing.
ValueError
    On a bad argument or an unexpected file layout.""",
    "data not found": """\
FileNotFoundError
    Missing folder or file (the message names ``SKTIME_HEPA_DATA``).""",
}


def shared_docs(func):
    """Fill the ``<key>`` lines of ``func``'s docstring with ``SHARED_DOCS[key]``."""

    def entry(match):
        indent, key = match.group(1), match.group(2)
        return "\n".join(indent + line for line in SHARED_DOCS[key].splitlines())

    if func.__doc__:  # None under python -OO
        func.__doc__ = re.sub(r"^( *)<([a-z ]+)>", entry, func.__doc__, flags=re.MULTILINE)
    return func


def get_data_home(data_home=None) -> Path:
    """Folder holding the benchmark data used by the ``load_*`` functions.

    Resolution order:

    1. ``data_home`` when given;
    2. the environment variable ``SKTIME_HEPA_DATA`` when set and non-empty;
    3. ``../shared/data`` relative to the current working directory (the layout of
       the project's workspace, where the repository sits next to ``shared/``).

    Each dataset lives in a sub-folder (e.g. ``<data_home>/cmapss/``). Nothing is
    created or downloaded: the data are read-only inputs.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        Explicit data folder; overrides the environment variable.

    Returns
    -------
    data_home : pathlib.Path
        The resolved folder (it may not exist; loaders raise ``FileNotFoundError``).
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or None
    if data_home is None:
        data_home = Path.cwd().parent / "shared" / "data"
    return Path(data_home).expanduser().absolute()


def _find_file(folder: Path, name: str) -> Path:
    """Path of ``name`` in ``folder``, preferring the gzipped copy ``name + '.gz'``.

    Raises ``FileNotFoundError`` naming both candidates and the environment variable.
    """
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{name}.gz (or {name}) not found in {folder}. Pass data_home=... or set the "
        f"{DATA_HOME_ENV} environment variable to the folder that contains "
        f"'{folder.name}/'."
    )


def _check_folder(folder: Path, dataset: str) -> None:
    """Raise a ``FileNotFoundError`` that says how to point the loaders at the data."""
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{dataset} data folder {folder} does not exist. Pass data_home=... or set the "
            f"{DATA_HOME_ENV} environment variable to a folder containing '{folder.name}/' "
            f"(default: ../shared/data relative to the working directory)."
        )


# -- shared pieces of the event-stream loaders ---------------------------------------

#: The two event definitions built from per-step labels.
EVENTS = ("active", "onset")


def check_event(event) -> str:
    """The event definition name, checked against :data:`EVENTS`."""
    if event not in EVENTS:
        raise ValueError(f"event must be one of {EVENTS}, got {event!r}.")
    return event


#: Values of the loaders' ``fill`` parameter.
FILLS = ("ffill", None)


def check_fill(fill):
    """``fill`` must be "ffill" (fill the gaps, today's default) or None (keep NaN)."""
    if not (fill is None or (isinstance(fill, str) and fill == "ffill")):
        raise ValueError(
            f"fill must be 'ffill' (forward fill, the default) or None (keep the gaps as NaN "
            f"for an estimator with missing='mask'), got {fill!r}."
        )
    return fill


def chronological_split(n: int, fractions=(0.6, 0.2, 0.2)) -> tuple[slice, slice, slice]:
    """Train / validation / test slices of ``n`` time-ordered steps, in that order.

    Never random rows: neighbouring steps share their context, so a random split
    would leak the test period into training.
    """
    fractions = np.asarray(fractions, dtype=np.float64)
    if fractions.shape != (3,) or (fractions <= 0).any() or not np.isclose(fractions.sum(), 1):
        raise ValueError(f"fractions must be three positive numbers summing to 1, got {fractions}.")
    a = int(round(fractions[0] * n))
    b = int(round((fractions[0] + fractions[1]) * n))
    return slice(0, a), slice(a, b), slice(b, n)


def zscore_params(X_train: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Mean and standard deviation of each training column (constant columns: 1)."""
    mean = X_train.mean()
    std = X_train.std(ddof=0)
    return mean, std.where(std > 0, 1.0)


def stream_frame(values, *, series, time=None, columns, index_names=("series", "time")):
    """A float64 frame with a ``(series, time)`` MultiIndex for one series."""
    values = np.asarray(values, dtype=np.float64)
    time = np.arange(len(values)) if time is None else np.asarray(time)
    index = pd.MultiIndex.from_arrays(
        [np.full(len(values), series, dtype=object), time], names=list(index_names)
    )
    return pd.DataFrame(values, index=index, columns=list(columns))


def step_events(labels, groups, event: str) -> np.ndarray:
    """Per-step event indicator from per-step (active) labels.

    ``"active"``: the event at step s is "the labelled condition holds at s", so
    ``P(event within dt)`` asks whether it holds at any step of ``(t, t + dt]``.
    ``"onset"``: the event is the first step of each labelled segment (a segment
    never spans two series), so rows inside a segment wait for the next onset.
    """
    labels = np.asarray(labels).astype(bool)
    if check_event(event) == "active":
        return labels
    groups = np.asarray(groups)
    new_series = np.r_[True, groups[1:] != groups[:-1]]
    prev = np.r_[False, labels[:-1]] & ~new_series
    return labels & ~prev


def event_prevalence(y, horizons: int) -> dict:
    """Share of known cells that are positive at dt = 1, K/2 and K (dataset docs)."""
    from ..targets import horizon_labels

    labels, known = horizon_labels(y, horizons)
    out = {}
    for dt in sorted({1, max(1, horizons // 2), horizons}):
        k = known[:, dt - 1]
        out[f"dt={dt}"] = float(labels[k, dt - 1].mean()) if k.any() else float("nan")
    return out


def event_bunch(
    *,
    name: str,
    splits: dict,
    event: str,
    feature_names,
    context_length: int,
    horizons: int,
    event_definition: str,
    description: str,
    **extra,
):
    """The Bunch every event-stream loader returns.

    ``splits`` maps "train", "val", "test" to ``(X, active_labels)`` with X a
    frame indexed ``(series, time)`` and ``active_labels`` the per-step 0/1
    labels of its rows. Targets are built per split and per series with
    :func:`~sktime_hepa.targets.target_from_event_labels`, so a row is censored
    at the end of its split (labels of a later split never leak back).
    """
    from ..targets import target_from_event_labels

    out = {}
    prevalence = {}
    for split, (X, labels) in splits.items():
        groups = X.index.get_level_values(0).to_numpy()
        labels = np.asarray(labels).astype(np.int8)
        if len(labels) != len(X):
            raise ValueError(f"{name} {split}: {len(labels)} labels for {len(X)} rows.")
        events = step_events(labels, groups, event)
        y = target_from_event_labels(events, groups=groups)
        out[f"X_{split}"] = X
        out[f"y_{split}"] = y
        out[f"labels_{split}"] = labels
        prevalence[split] = {
            "rows": int(len(X)),
            "series": int(pd.unique(groups).size),
            "active_rate": float(labels.mean()) if len(labels) else float("nan"),
            "events": int(events.sum()),
            **event_prevalence(y, horizons),
        }
    return Bunch(
        **out,
        feature_names=list(feature_names),
        context_length=int(context_length),
        horizons=int(horizons),
        event=event,
        event_definition=event_definition,
        prevalence=prevalence,
        name=name,
        description=description,
        **extra,
    )
