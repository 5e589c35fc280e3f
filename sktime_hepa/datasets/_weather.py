"""Loader of the Autoformer Weather benchmark (Jena, 10-minute, 2020) with heat-spike events."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._base import _check_folder, _find_file, check_event, check_fill, get_data_home, shared_docs
from ._threshold_events import (
    check_int,
    check_quantile,
    fill_gaps,
    threshold_stream_bunch,
    trailing_target_score,
)

__all__ = ["load_weather"]

#: The temperature column the heat-spike event is defined on.
WEATHER_TARGET = "T (degC)"

#: Missing-value code of the Jena station data (in wv, max. PAR and OT of this file).
_MISSING_CODE = -9999.0


@shared_docs
def load_weather(
    *, data_home=None, event="onset", quantile=0.99, window=144, merge_gap=6, fill="ffill"
):
    """Load the Weather benchmark as one event stream: heat spikes of the air temperature.

    Reads ``<data_home>/weather/weather.csv(.gz)``: 52,696 10-minute rows of 2020
    (Max Planck Institute for Biogeochemistry station, Jena) with 21 variables, all
    kept as features (column names as in the file; ``OT`` is CO2 in ppm, the usual
    forecasting target, ``T (degC)`` the air temperature). The station's missing-value
    code ``-9999`` (1 row of ``wv (m/s)``, 30 of ``max. PAR``, 50 of ``OT``) is read as
    missing and filled forward, then backward (a gap shows the last observed value).
    Rows are kept as in the file (one duplicated 2020-05-12 06:00 row and a 100-minute
    hole on 2020-05-29 included). The series is split in time 60/20/20 (31,618 /
    10,539 / 10,539 rows: train to 2020-08-07 15:00, validation to 2020-10-19 19:30)
    and z-scored with the training mean and standard deviation
    (HEPA paper, appendix L).

    **Event ("heat spike").** The split is seasonal (train Jan .. Aug, test late Oct ..
    Dec): an absolute threshold at the training 99th percentile of T (26.9 °C) never
    occurs in the test period, so the event is defined relative to the recent past.
    The score of step ``t`` is the trailing z-score

    ``(T_t - mean(T_{t-w..t-1})) / max(std(T_{t-w..t-1}), 0.05 * std_train(T))``

    with ``w = window`` steps (144 = 24 h). A step is *active* when its score exceeds
    the ``quantile`` of the training scores (fitted on the training split only and
    held fixed); within each split, inactive gaps of at most ``merge_gap`` steps
    between two active runs are filled so one episode is one onset. The first
    ``window`` steps are never active.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        Folder containing ``weather/``; default from :func:`get_data_home`.
    event : {"onset", "active"}, default="onset"
        ``"onset"``: the event is the first step of each heat-spike episode;
        ``"active"``: every step of an episode is an event step.
    quantile : float in (0, 1), default=0.99
        Quantile of the training scores used as the threshold.
    window : int >= 2, default=144
        Length of the trailing baseline in steps (144 = 24 h).
    merge_gap : int >= 0, default=6
        Longest inactive gap (steps, 6 = 1 h) merged into the surrounding episode.
    <fill features> The event labels are computed from
        the filled temperature in both cases, so they do not depend on ``fill``.

    Returns
    -------
    data : sklearn.utils.Bunch
        From :func:`~sktime_hepa.datasets._base.event_bunch`: ``X_train``, ``X_val``,
        ``X_test`` (float64, MultiIndex ``("series", "time")``, series id "Weather",
        time = step number in the file), ``y_*``, ``labels_*``, ``prevalence``,
        ``feature_names`` (21), ``context_length=512``, ``horizons=200``, ``event``,
        ``event_definition``; plus ``threshold`` (trailing-z units), ``quantile``,
        ``window``, ``merge_gap``, ``std_floor`` (°C), ``target``, ``zscore_mean``,
        ``zscore_std`` and ``dates_*``.

    Raises
    ------
    <loader errors>
    """
    check_event(event)
    check_fill(fill)
    quantile = check_quantile(quantile)
    window = check_int("window", window, 2)
    merge_gap = check_int("merge_gap", merge_gap, 0)

    folder = get_data_home(data_home) / "weather"
    _check_folder(folder, "Weather")
    df = pd.read_csv(_find_file(folder, "weather.csv"), encoding="utf-8")
    if "date" not in df.columns or WEATHER_TARGET not in df.columns or df.shape[1] != 22:
        raise ValueError(
            f"weather.csv must have 'date' and 21 variables including {WEATHER_TARGET!r}; "
            f"found columns {list(df.columns)}."
        )
    df["date"] = pd.to_datetime(df["date"])
    # stable: the duplicated timestamp keeps its file order
    df = df.sort_values("date", kind="stable", ignore_index=True)
    columns = [c for c in df.columns if c != "date"]
    raw = df[columns].astype(np.float64)
    raw = raw.mask(raw <= _MISSING_CODE)
    filled = fill_gaps(raw)
    score, floor = trailing_target_score(filled[WEATHER_TARGET], window)
    features = filled if fill else raw

    return threshold_stream_bunch(
        [("Weather", features, score, df["date"].to_numpy())],
        quantile=quantile,
        merge_gap=merge_gap,
        event=event,
        name="Weather",
        event_definition=(
            f"heat spike: trailing z-score of {WEATHER_TARGET} over the previous {window} "
            f"steps (std floored at {floor:.4g} °C) > {{threshold:.4f}} (training "
            f"{quantile:g}-quantile); inactive gaps <= {merge_gap} steps merged"
        ),
        description=(
            "Weather (Autoformer benchmark, Wu et al. 2021): 21 meteorological variables "
            "every 10 minutes in 2020 at the MPI-BGC Jena station, z-scored on train, "
            "chronological 60/20/20 split; events = air-temperature spikes above the "
            "recent level (trailing z-score threshold fitted on train)."
        ),
        window=window,
        std_floor=floor,
        target=WEATHER_TARGET,
    )
