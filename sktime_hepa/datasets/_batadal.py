"""Loader of the BATADAL cyber-attack benchmark (C-Town water-network SCADA readings)."""

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

__all__ = ["load_batadal"]

_N_SIGNALS = 43


def _read_batadal(path) -> pd.DataFrame:
    """One BATADAL csv with stripped column names (the official headers differ in spacing)."""
    frame = pd.read_csv(path, skipinitialspace=True)
    frame.columns = frame.columns.str.strip()
    return frame


@shared_docs
def load_batadal(*, data_home=None, event="active", fill="ffill"):
    """Load the BATADAL attack-detection benchmark as event-stream data.

    Reads ``BATADAL_dataset03.csv`` (one attack-free year, 2014) and
    ``BATADAL_test_dataset_labelled.csv`` (the official test period, Jan-Apr 2017,
    with ``ATT_FLAG`` = 1 during the seven test attacks) from
    ``<data_home>/batadal/``; gzipped copies are preferred. The 43 features are the
    SCADA signals (tank levels ``L_T*``, flows ``F_*``, statuses ``S_*``, pressures
    ``P_J*``); ``DATETIME`` and ``ATT_FLAG`` are not features. The time level counts
    hours from the start of each file.

    Splits. dataset03 has no attacks: it enters ``X_train`` whole as the
    all-negative series ``"dataset03"``. The labelled test period (series
    ``"test"``, 2,089 hours) is cut chronologically 60/20/20: its first 60 %
    (attacks 8-11 and the start of 12) joins ``X_train``, the next 20 % is
    ``X_val``, the last 20 % ``X_test``. ``BATADAL_dataset04.csv`` is not used: its
    ``ATT_FLAG`` leaves 3,958 of 4,177 hours unlabelled (-999), including whole
    attacks, so reading them as normal would plant attacks among the negatives.

    Preprocessing: NaN (none in these files) would be filled by forward then
    backward fill within each series; every signal is z-scored with the mean and
    standard deviation of ``X_train`` (constant training columns are only centred).
    Context length 512, horizons K = 200.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        Folder containing ``batadal/``; default from :func:`get_data_home`.
    event : {"active", "onset"}, default="active"
        ``"active"``: a step is an event when ``ATT_FLAG == 1``; ``"onset"``: only
        the first hour of each attack is.
    <fill>

    Returns
    -------
    <anomaly bunch>

            As documented for :func:`load_smap_msl`.

        datetime_test : pandas.Series
            Timestamps of the labelled test period (hour steps of series ``"test"``).

    Raises
    ------
    ValueError
        Unknown event, or files whose columns do not match.
    <data not found>
    """
    check_event(event)
    check_fill(fill)
    folder = get_data_home(data_home) / "batadal"
    _check_folder(folder, "BATADAL")
    normal = _read_batadal(_find_file(folder, "BATADAL_dataset03.csv"))
    test = _read_batadal(_find_file(folder, "BATADAL_test_dataset_labelled.csv"))
    columns = [c for c in normal.columns if c not in ("DATETIME", "ATT_FLAG")]
    missing = [c for c in columns if c not in test.columns]
    if len(columns) != _N_SIGNALS or missing or "ATT_FLAG" not in test.columns:
        raise ValueError(
            f"BATADAL files: expected {_N_SIGNALS} signals in both files and ATT_FLAG in the "
            f"labelled test file; found {len(columns)} signals, missing in test: {missing}."
        )
    flags = pd.to_numeric(test["ATT_FLAG"], errors="raise").to_numpy()
    if not np.isin(flags, [0, 1]).all():
        raise ValueError("ATT_FLAG of the labelled test file must be 0/1.")

    train_normal = _labelled_series(
        normal[columns], np.zeros(len(normal)), series="dataset03", columns=columns
    )
    test_series = _labelled_series(test[columns], flags, series="test", columns=columns)
    train, val, test_part = _split_chronologically(*test_series)
    description = (
        "BATADAL (Taormina et al. 2018): hourly SCADA readings of the C-Town water network, "
        f"{_N_SIGNALS} signals. Train: attack-free dataset03 ({len(normal)} h) plus the first "
        "60 % of the labelled test period; val / test: its next and last 20 %. "
        "Z-scored on train."
    )
    return _finish_splits(
        name="BATADAL",
        pieces={"train": [train_normal, train], "val": [val], "test": [test_part]},
        event=event,
        context_length=512,
        horizons=200,
        event_definition=_event_definition(event, "cyber-attack, ATT_FLAG == 1"),
        description=description,
        datetime_test=test["DATETIME"].str.strip().rename("DATETIME"),
        fill=fill,
    )
