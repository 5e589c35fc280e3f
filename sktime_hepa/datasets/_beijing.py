"""Loader of the Beijing multi-site air-quality data (12 stations, hourly) with PM2.5 spikes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._base import _check_folder, _find_file, check_event, check_fill, get_data_home, shared_docs
from ._threshold_events import (
    check_int,
    check_quantile,
    fill_gaps,
    threshold_stream_bunch,
)

__all__ = ["load_beijing_air", "BEIJING_STATIONS", "BEIJING_FEATURES"]

#: The 12 monitoring sites, in file-name order.
BEIJING_STATIONS = (
    "Aotizhongxin", "Changping", "Dingling", "Dongsi", "Guanyuan", "Gucheng",
    "Huairou", "Nongzhanguan", "Shunyi", "Tiantan", "Wanliu", "Wanshouxigong",
)  # fmt: skip

#: The 11 numeric variables: 6 pollutants and 5 weather readings. Left out: the
#: bookkeeping columns (No, year, month, day, hour, station) and the categorical wind
#: direction ``wd``; the paper's "11 air quality vars" are exactly the numeric ones.
BEIJING_FEATURES = (
    "PM2.5", "PM10", "SO2", "NO2", "CO", "O3", "TEMP", "PRES", "DEWP", "RAIN", "WSPM",
)  # fmt: skip

_TARGET = "PM2.5"


def _read_station(folder, station: str):
    """(filled features, raw features with their NaN, dates) of one station."""
    path = _find_file(folder, f"PRSA_Data_{station}_20130301-20170228.csv")
    df = pd.read_csv(path)
    missing = [c for c in ("year", "month", "day", "hour", *BEIJING_FEATURES) if c not in df]
    if missing:
        raise ValueError(f"{path.name} lacks the columns {missing}.")
    dates = pd.to_datetime(df[["year", "month", "day", "hour"]])
    order = np.argsort(dates.to_numpy(), kind="stable")
    features = df.loc[order, list(BEIJING_FEATURES)].astype(np.float64).reset_index(drop=True)
    return fill_gaps(features), features, dates.to_numpy()[order]


@shared_docs
def load_beijing_air(
    *, data_home=None, event="onset", quantile=0.99, merge_gap=6, stations=None, fill="ffill"
):
    """Load the Beijing multi-site air-quality data as 12 event streams: PM2.5 spikes.

    Reads the 12 files ``<data_home>/beijing_air/PRSA_Data_<station>_20130301-20170228
    .csv(.gz)`` (UCI; hourly, 2013-03-01 .. 2017-02-28, 35,064 rows per station). Each
    station is one series (series id = station name), split in time 60/20/20
    (21,038 / 7,013 / 7,013 rows per station: train to 2015-07-25 13:00, validation to
    2016-05-12 18:00, test to 2017-02-28 23:00). Features: the 11 numeric variables PM2.5, PM10,
    SO2, NO2, CO, O3 (pollutants) and TEMP, PRES, DEWP, RAIN, WSPM (weather), PM2.5
    included (forecasting its own past is legitimate); the categorical wind direction
    ``wd`` and the date/index columns are dropped. Missing values (``NA``, up to 9 % of
    a pollutant column at one station) are filled forward, then backward within each station.
    Features are z-scored with the mean and standard deviation of all training rows
    (stations pooled; HEPA paper, appendix L).

    **Event ("PM2.5 spike").** A step is *active* when the (filled) PM2.5 reading
    exceeds one global threshold, the ``quantile`` of the training PM2.5 values of all
    loaded stations pooled (345 µg/m³ for the default 0.99 and all 12 stations, well
    above China's "severely polluted" bound of 250 µg/m³). A global level keeps one
    physical meaning across stations; per-station quantiles gave almost the same
    episode counts on these data. The threshold is fitted on the training split only
    and held fixed; within each split and station, inactive gaps of at most
    ``merge_gap`` hours between two active runs are filled so one episode is one
    onset.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        Folder containing ``beijing_air/``; default from :func:`get_data_home`.
    event : {"onset", "active"}, default="onset"
        ``"onset"``: the event is the first hour of each spike episode;
        ``"active"``: every hour of an episode is an event step.
    quantile : float in (0, 1), default=0.99
        Quantile of the pooled training PM2.5 values used as the threshold.
    merge_gap : int >= 0, default=6
        Longest inactive gap (hours) merged into the surrounding episode.
    stations : list of str, optional
        Subset of :data:`BEIJING_STATIONS` (in the given order); default all 12. The
        threshold and the z-score are fitted on the loaded stations only.
    <fill features> The event labels are computed from
        the filled PM2.5 in both cases, so they do not depend on ``fill``.

    Returns
    -------
    data : sklearn.utils.Bunch
        From :func:`~sktime_hepa.datasets._base.event_bunch`: ``X_train``, ``X_val``,
        ``X_test`` (float64, MultiIndex ``("series", "time")``, series = station,
        time = hour number since 2013-03-01 00:00), ``y_*``, ``labels_*``,
        ``prevalence``, ``feature_names`` (11), ``context_length=512``,
        ``horizons=200``, ``event``, ``event_definition``; plus ``threshold``
        (µg/m³), ``quantile``, ``merge_gap``, ``stations``, ``target="PM2.5"``,
        ``zscore_mean``, ``zscore_std`` and ``dates_*``.

    Raises
    ------
    FileNotFoundError
        When the folder or a station file is missing.
    ValueError
        On a bad argument (unknown or repeated station, ...) or an unexpected file.
    """
    check_event(event)
    check_fill(fill)
    quantile = check_quantile(quantile)
    merge_gap = check_int("merge_gap", merge_gap, 0)
    if stations is None:
        stations = list(BEIJING_STATIONS)
    else:
        if isinstance(stations, str):
            raise ValueError(f"stations must be a list of station names, got {stations!r}.")
        stations = list(stations)
        unknown = [s for s in stations if s not in BEIJING_STATIONS]
        if unknown or not stations or len(set(stations)) != len(stations):
            raise ValueError(
                f"stations must be distinct names among {BEIJING_STATIONS}; got {stations}."
            )

    folder = get_data_home(data_home) / "beijing_air"
    _check_folder(folder, "Beijing air-quality")
    series = []
    for station in stations:
        filled, raw, dates = _read_station(folder, station)
        target = filled[_TARGET].to_numpy(np.float64)  # the label reads the filled PM2.5
        series.append((station, filled if fill else raw, target, dates))
    return threshold_stream_bunch(
        series,
        quantile=quantile,
        merge_gap=merge_gap,
        event=event,
        name="Beijing-AQ",
        event_definition=(
            "PM2.5 spike: PM2.5 > {threshold:g} µg/m³ (training "
            f"{quantile:g}-quantile, {len(stations)} stations pooled); inactive gaps "
            f"<= {merge_gap} hours merged"
        ),
        description=(
            "Beijing multi-site air quality (Zhang et al. 2017, UCI): hourly pollutant "
            f"and weather readings of {len(stations)} stations, 11 numeric variables "
            "z-scored on train, each station split 60/20/20 in time; events = PM2.5 "
            "above a global training quantile."
        ),
        stations=stations,
        target=_TARGET,
    )
