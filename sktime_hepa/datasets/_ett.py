"""Loader of ETTm1 (Electricity Transformer Temperature, 15-minute) with overheating events."""

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

__all__ = ["load_ettm1"]

ETT_COLUMNS = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]


@shared_docs
def load_ettm1(
    *, data_home=None, event="onset", quantile=0.99, window=96, merge_gap=4, fill="ffill"
):
    """Load ETTm1 as one event stream: transformer overheating from oil temperature.

    Reads ``<data_home>/ett/ETTm1.csv(.gz)``: 69,680 15-minute rows (2016-07-01 ..
    2018-06-26) of the 7 variables HUFL, HULL, MUFL, MULL, LUFL, LULL and OT (oil
    temperature). All 7 are features, OT included: forecasting its own target from
    its past is legitimate. The single series is split in time 60/20/20
    (41,808 / 13,936 / 13,936 rows: train to 2017-09-09 11:45, validation to
    2018-02-01 15:45) and every column is z-scored with the mean and
    standard deviation of the training rows (HEPA paper, appendix L). The file has
    no missing values; gaps would be forward, then backward filled.

    **Event ("overheating").** OT is strongly seasonal and its level drifts: an
    absolute threshold at the training 99th percentile (39.96 °C) is never reached in
    the validation or test periods (2017-09 .. 2018-06), so the event is defined
    relative to the recent past. The score of step ``t`` is the trailing z-score

    ``(OT_t - mean(OT_{t-w..t-1})) / max(std(OT_{t-w..t-1}), 0.05 * std_train(OT))``

    with ``w = window`` steps (96 = 24 h). The std floor matters: the file holds OT
    constant for whole days (imputed gaps), which would make the next reading's score
    infinite. A step is *active* when its score exceeds the ``quantile`` of the
    training scores (the threshold is fitted on the training split only and held
    fixed); within each split, inactive gaps of at most ``merge_gap`` steps between
    two active runs are filled so one episode is one onset. The first ``window``
    steps of the file have no full baseline and are never active.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        Folder containing ``ett/``; default from :func:`get_data_home`.
    event : {"onset", "active"}, default="onset"
        ``"onset"``: the event is the first step of each overheating episode;
        ``"active"``: every step of an episode is an event step.
    quantile : float in (0, 1), default=0.99
        Quantile of the training scores used as the threshold.
    window : int >= 2, default=96
        Length of the trailing baseline in steps (96 = 24 h).
    merge_gap : int >= 0, default=4
        Longest inactive gap (steps, 4 = 1 h) merged into the surrounding episode.
    <fill features> The event labels are computed from
        the filled OT in both cases, so they do not depend on ``fill``.

    Returns
    -------
    data : sklearn.utils.Bunch
        From :func:`~sktime_hepa.datasets._base.event_bunch`: ``X_train``, ``X_val``,
        ``X_test`` (float64, MultiIndex ``("series", "time")``, series id "ETTm1",
        time = step number in the file), ``y_*`` survival targets, ``labels_*``
        active labels, ``prevalence``, ``feature_names``, ``context_length=512``,
        ``horizons=200``, ``event``, ``event_definition``; plus ``threshold`` (in
        trailing-z units), ``quantile``, ``window``, ``merge_gap``, ``std_floor``
        (°C), ``target="OT"``, ``zscore_mean``, ``zscore_std`` and ``dates_*``.

    Raises
    ------
    <loader errors>
    """
    check_event(event)
    check_fill(fill)
    quantile = check_quantile(quantile)
    window = check_int("window", window, 2)
    merge_gap = check_int("merge_gap", merge_gap, 0)

    folder = get_data_home(data_home) / "ett"
    _check_folder(folder, "ETT")
    df = pd.read_csv(_find_file(folder, "ETTm1.csv"))
    missing = [c for c in ["date", *ETT_COLUMNS] if c not in df.columns]
    if missing:
        raise ValueError(f"ETTm1.csv lacks the columns {missing}.")
    df["date"] = pd.to_datetime(df["date"])
    df = df.sort_values("date", kind="stable", ignore_index=True)
    raw = df[ETT_COLUMNS].astype(np.float64)
    filled = fill_gaps(raw)
    score, floor = trailing_target_score(filled["OT"], window)
    features = filled if fill else raw

    return threshold_stream_bunch(
        [("ETTm1", features, score, df["date"].to_numpy())],
        quantile=quantile,
        merge_gap=merge_gap,
        event=event,
        name="ETTm1",
        event_definition=(
            "overheating: trailing z-score of OT over the previous "
            f"{window} steps (std floored at {floor:.4g} °C) > {{threshold:.4f}} (training "
            f"{quantile:g}-quantile); inactive gaps <= {merge_gap} steps merged"
        ),
        description=(
            "ETTm1 (Zhou et al., Informer, AAAI 2021): 15-minute load and oil "
            "temperature of an electricity transformer, 7 variables z-scored on train, "
            "chronological 60/20/20 split; events = oil-temperature spikes above the "
            "recent level (trailing z-score threshold fitted on train)."
        ),
        window=window,
        std_floor=floor,
        target="OT",
    )
