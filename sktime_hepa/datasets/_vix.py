"""Loader of the Cboe VIX daily history with high-volatility-regime events."""

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

__all__ = ["load_vix", "VIX_FEATURES"]

#: The 6 market variables: the daily OHLC of the index, the log return of the close
#: and the log intraday range.
VIX_FEATURES = ("open", "high", "low", "close", "log_return", "log_range")


@shared_docs
def load_vix(*, data_home=None, event="onset", quantile=0.9, merge_gap=5, fill="ffill"):
    """Load the VIX daily history as one event stream: entering a high-volatility regime.

    Reads ``<data_home>/vix/VIX_History.csv(.gz)`` (Cboe format ``DATE, OPEN, HIGH,
    LOW, CLOSE``; 9,223 trading days, 1990-01-02 .. 2026-07-07). The series is split in
    time 60/20/20 (5,534 / 1,844 / 1,845 days: train to 2011-12-15, validation to
    2019-04-17, test to 2026-07-07) and the features are z-scored with the training
    mean and standard deviation (HEPA paper, appendix L).

    The paper's 6 "market vars" are not named; here they are OPEN, HIGH, LOW, CLOSE,
    ``log_return = log(CLOSE_t / CLOSE_{t-1})`` (0 on the first day) and ``log_range =
    log(HIGH / LOW)``. Cleaning: 47 days have an OPEN outside [LOW, HIGH] (mostly
    1992-1999, plus obvious typos such as 2.58 on 2004-11-08 and 41.60 on 2006-02-08);
    OPEN is clipped into the day's range. In 1990-1991 only the close was recorded
    (OPEN = HIGH = LOW = CLOSE, so ``log_range`` is 0). Missing values would be filled
    forward, then backward.

    **Event ("vol regime").** A day is *active* when CLOSE exceeds the ``quantile`` of
    the training closes (30.31 for the default 0.9, close to the conventional "VIX
    above 30" high-volatility level). The threshold is fitted on the training split
    only and held fixed; within each split, inactive gaps of at most ``merge_gap``
    trading days between two active runs are filled so a regime that dips below the
    level for a few days is one episode. The validation period is calm: it holds only
    3 episodes with the defaults (the test period 15).

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        Folder containing ``vix/``; default from :func:`get_data_home`.
    event : {"onset", "active"}, default="onset"
        ``"onset"``: the event is the first day of each high-volatility episode;
        ``"active"``: every day of an episode is an event step.
    quantile : float in (0, 1), default=0.9
        Quantile of the training closes used as the threshold.
    merge_gap : int >= 0, default=5
        Longest inactive gap (trading days, 5 = one week) merged into an episode.
    <fill features> The event labels are computed from
        the filled close in both cases, so they do not depend on ``fill``.

    Returns
    -------
    data : sklearn.utils.Bunch
        From :func:`~sktime_hepa.datasets._base.event_bunch`: ``X_train``, ``X_val``,
        ``X_test`` (float64, MultiIndex ``("series", "time")``, series id "VIX", time =
        trading-day number), ``y_*``, ``labels_*``, ``prevalence``, ``feature_names``
        (6), ``context_length=512``, ``horizons=200``, ``event``,
        ``event_definition``; plus ``threshold`` (VIX points), ``quantile``,
        ``merge_gap``, ``target="close"``, ``zscore_mean``, ``zscore_std`` and
        ``dates_*``.

    Raises
    ------
    <loader errors>
    """
    check_event(event)
    check_fill(fill)
    quantile = check_quantile(quantile)
    merge_gap = check_int("merge_gap", merge_gap, 0)

    folder = get_data_home(data_home) / "vix"
    _check_folder(folder, "VIX")
    df = pd.read_csv(_find_file(folder, "VIX_History.csv"))
    df.columns = [str(c).strip().upper() for c in df.columns]
    missing = [c for c in ("DATE", "OPEN", "HIGH", "LOW", "CLOSE") if c not in df.columns]
    if missing:
        raise ValueError(f"VIX_History.csv lacks the columns {missing}.")
    df["DATE"] = pd.to_datetime(df["DATE"], format="%m/%d/%Y")
    df = df.sort_values("DATE", kind="stable", ignore_index=True)

    raw = df[["OPEN", "HIGH", "LOW", "CLOSE"]].astype(np.float64)
    ohlc = fill_gaps(raw)
    high, low, close = ohlc["HIGH"], ohlc["LOW"], ohlc["CLOSE"]
    features = pd.DataFrame(
        {
            # an open outside the day's range is a recording error
            "open": ohlc["OPEN"].clip(lower=low, upper=high),
            "high": high,
            "low": low,
            "close": close,
            "log_return": np.log(close).diff().fillna(0.0),
            "log_range": np.log(high / low),
        }
    )[list(VIX_FEATURES)]
    if fill is None:  # keep the gaps: a feature is missing where a price it reads was
        gap = raw.isna()
        for column, read in (
            ("open", ["OPEN"]), ("high", ["HIGH"]), ("low", ["LOW"]), ("close", ["CLOSE"]),
            ("log_return", ["CLOSE"]), ("log_range", ["HIGH", "LOW"]),
        ):  # fmt: skip
            features.loc[gap[read].any(axis=1).to_numpy(), column] = np.nan

    return threshold_stream_bunch(
        [("VIX", features, close.to_numpy(np.float64), df["DATE"].to_numpy())],
        quantile=quantile,
        merge_gap=merge_gap,
        event=event,
        name="VIX",
        event_definition=(
            "vol regime: VIX close > {threshold:.4f} (training "
            f"{quantile:g}-quantile); inactive gaps <= {merge_gap} trading days merged"
        ),
        description=(
            "Cboe VIX daily history 1990-2026: OHLC, log return and log range "
            "z-scored on train, chronological 60/20/20 split; events = entering a "
            "high-volatility regime (close above a training quantile)."
        ),
        target="close",
    )
