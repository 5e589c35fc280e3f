"""Loader of the eBay Pooled Server Metrics (PSM) anomaly benchmark."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._anomaly_common import (
    _event_definition,
    _finish_splits,
    _labelled_series,
    _split_chronologically,
)
from ._base import _check_folder, _find_file, check_event, check_fill, get_data_home, shared_docs

__all__ = ["load_psm"]

_TIME = "timestamp_(min)"


def _read_psm(path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame.columns = frame.columns.str.strip()
    if _TIME not in frame.columns:
        raise ValueError(f"{path}: no {_TIME!r} column.")
    return frame.sort_values(_TIME, kind="stable", ignore_index=True)


@shared_docs
def load_psm(*, data_home=None, event="active", fill="ffill"):
    """Load the PSM server-metrics anomaly benchmark as event-stream data.

    Reads the official files of ``eBay/RANSynCoders`` from ``<data_home>/psm/``
    (gzipped copies preferred): ``train.csv`` and ``test.csv`` (``timestamp_(min)``
    and the feature columns ``feature_0 .. feature_24``) and ``test_label.csv``
    (``timestamp_(min), label``), matched to ``test.csv`` by timestamp. Rows are
    sorted by timestamp; the time level is the timestamp in minutes. The shared
    data folder currently holds ``test_label.csv`` only, so this loader raises
    ``FileNotFoundError`` there until ``train.csv`` and ``test.csv`` are added.

    Splits. ``train.csv`` is unlabelled: it enters ``X_train`` whole as the
    all-negative series ``"train"`` (the usual reading of PSM's training part as
    normal operation). The labelled ``test.csv`` (series ``"test"``) is cut
    chronologically 60/20/20: its first 60 % joins ``X_train``, the next 20 % is
    ``X_val``, the last 20 % ``X_test``.

    Preprocessing: missing values (the official train file has some) are filled by
    forward then backward fill within each series; feature columns that are
    constant over ``X_train`` are dropped (the paper's "drop-constant"; none in the
    official data, which keep 25 features); the rest are z-scored with the training
    mean and standard deviation. The paper calls PSM "pre-normalised"; z-scoring on
    train anyway changes nothing essential and keeps all loaders alike. Context
    length 100, horizons K = 200.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        Folder containing ``psm/``; default from :func:`get_data_home`.
    event : {"active", "onset"}, default="active"
        ``"active"``: a step is an event when ``label == 1``; ``"onset"``: only the
        first step of each contiguous anomalous segment is.
    <fill>

    Returns
    -------
    <anomaly bunch>

            As documented for :func:`load_smap_msl`.

        dropped_columns : list of str
            Feature columns dropped as constant over ``X_train``.

    Raises
    ------
    ValueError
        Unknown event, mismatching columns or timestamps, or labels not 0/1.
    <data not found>
    """
    check_event(event)
    check_fill(fill)
    folder = get_data_home(data_home) / "psm"
    _check_folder(folder, "PSM")
    train = _read_psm(_find_file(folder, "train.csv"))
    test = _read_psm(_find_file(folder, "test.csv"))
    label = _read_psm(_find_file(folder, "test_label.csv"))
    columns = [c for c in train.columns if c != _TIME]
    missing = [c for c in columns if c not in test.columns]
    if missing or not columns:
        raise ValueError(f"PSM test.csv lacks the train.csv feature columns {missing}.")
    if "label" not in label.columns:
        raise ValueError("PSM test_label.csv has no 'label' column.")
    if len(label) != len(test) or not np.array_equal(
        label[_TIME].to_numpy(np.float64), test[_TIME].to_numpy(np.float64)
    ):
        raise ValueError(
            f"PSM test_label.csv ({len(label)} rows) does not match the timestamps of "
            f"test.csv ({len(test)} rows)."
        )
    labels = label["label"].to_numpy()
    if not np.isin(labels, [0, 1]).all():
        raise ValueError("PSM labels must be 0/1.")

    def times(frame):
        # integer minutes when the stamps are whole numbers, as in the official files
        t = frame[_TIME].to_numpy(np.float64)
        return t.astype(np.int64) if np.array_equal(t, np.round(t)) else t

    train_series = _labelled_series(
        train[columns], np.zeros(len(train)), series="train", time=times(train), columns=columns
    )
    test_series = _labelled_series(
        test[columns], labels, series="test", time=times(test), columns=columns
    )
    tr, val, te = _split_chronologically(*test_series)
    pieces = {"train": [train_series, tr], "val": [val], "test": [te]}

    # constant over the training rows (gaps filled first) carries no information
    filled = pd.concat([f for f, _ in pieces["train"]]).groupby(level=0, sort=False).ffill()
    dropped = [c for c in columns if filled[c].nunique(dropna=True) <= 1]
    if len(dropped) == len(columns):
        raise ValueError("every PSM feature column is constant over the training rows.")
    if dropped:
        pieces = {s: [(f.drop(columns=dropped), lab) for f, lab in p] for s, p in pieces.items()}

    n_features = len(columns) - len(dropped)
    description = (
        f"PSM (eBay, Abdulaal et al., KDD 2021): pooled server metrics at 1/min, {n_features} "
        f"features. Train: unlabelled train.csv ({len(train)} rows, read as normal) plus the "
        "first 60 % of the labelled test.csv; val / test: its next and last 20 %. "
        "Z-scored on train."
    )
    return _finish_splits(
        name="PSM",
        pieces=pieces,
        event=event,
        context_length=100,
        horizons=200,
        event_definition=_event_definition(event, "server anomaly, label == 1"),
        description=description,
        dropped_columns=dropped,
        fill=fill,
    )
