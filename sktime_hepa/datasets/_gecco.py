"""Loader of the GECCO 2018 drinking-water quality anomaly benchmark."""

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

__all__ = ["load_gecco"]

_SENSORS = ["Tp", "Cl", "pH", "Redox", "Leit", "Trueb", "Cl_2", "Fm", "Fm_2"]


@shared_docs
def load_gecco(*, data_home=None, event="active", fill="ffill"):
    """Load the GECCO 2018 water-quality challenge data as one event stream.

    Reads ``1_gecco2018_water_quality.csv`` (gzipped copy preferred) from
    ``<data_home>/gecco2018/``: 139,566 one-minute rows of 9 sensors (``Tp, Cl, pH,
    Redox, Leit, Trueb, Cl_2, Fm, Fm_2``) and the ``EVENT`` flag. Rows stay in file
    order, which is time order: the local-time ``Time`` column repeats the hour
    02:00-02:59 at the end of daylight saving time (2016-10-30), so it is not
    sorted on. The time level is the row position.

    Split: the single stream is cut chronologically 60/20/20 into train, val and
    test (series id ``"gecco"`` in each). Preprocessing: the ~1,045 missing values
    per sensor are filled by forward then backward fill within each split; every
    sensor is z-scored with the training mean and standard deviation. Context
    length 512, horizons K = 200.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        Folder containing ``gecco2018/``; default from :func:`get_data_home`.
    event : {"active", "onset"}, default="active"
        ``"active"``: a step is an event when ``EVENT`` is true; ``"onset"``: only
        the first step of each contiguous ``EVENT`` segment is.
    <fill>

    Returns
    -------
    <anomaly bunch>

            As documented for :func:`load_smap_msl`.

        time : pandas.Series
            The file's ``Time`` strings, one per step (all splits, in order).

    Raises
    ------
    ValueError
        Unknown event, or a file without the expected columns.
    <data not found>
    """
    check_event(event)
    check_fill(fill)
    folder = get_data_home(data_home) / "gecco2018"
    _check_folder(folder, "GECCO 2018")
    frame = pd.read_csv(_find_file(folder, "1_gecco2018_water_quality.csv"))
    missing = [c for c in [*_SENSORS, "EVENT", "Time"] if c not in frame.columns]
    if missing:
        raise ValueError(f"GECCO 2018 file lacks columns {missing}.")
    flags = frame["EVENT"]
    if flags.dtype != bool:
        # a re-saved copy may hold the strings TRUE / FALSE
        flags = flags.astype(str).str.strip().str.upper().map({"TRUE": True, "FALSE": False})
        if flags.isna().any():
            raise ValueError("EVENT must hold TRUE / FALSE values.")
    labels = flags.to_numpy(bool).astype(np.int8)
    series = _labelled_series(frame[_SENSORS], labels, series="gecco", columns=_SENSORS)
    train, val, test = _split_chronologically(*series)
    description = (
        "GECCO 2018 industrial challenge: drinking-water quality, 9 sensors at 1/min "
        f"({len(frame)} rows, EVENT on {int(labels.sum())}). Split chronologically "
        "60/20/20; gaps forward/back filled; z-scored on train."
    )
    return _finish_splits(
        name="GECCO",
        pieces={"train": [train], "val": [val], "test": [test]},
        event=event,
        context_length=512,
        horizons=200,
        event_definition=_event_definition(event, "water-quality event, EVENT == TRUE"),
        description=description,
        time=frame["Time"].rename("Time"),
        fill=fill,
    )
