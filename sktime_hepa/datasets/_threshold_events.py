"""Threshold-defined events of the unlabelled streams (ETTm1, Weather, Beijing-AQ, VIX).

These four benchmarks ship without event labels; their events are defined here by a
threshold on one target column (or on a causal score of it), fitted on the training
split only and then held fixed for validation and test. The pipeline shared by the
four loaders:

1. per series: fill gaps (forward, then backward fill), compute the raw features and
   the per-step score (the target itself, or a trailing z-score of it);
2. chronological 60/20/20 split of every series;
3. threshold = ``quantile`` of the training scores (all training rows pooled);
4. per split and series: active = score > threshold, then short inactive gaps merged;
5. z-score of every feature with the training mean and standard deviation;
6. :func:`event_bunch` builds the survival targets of ``event="onset"`` or ``"active"``.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from ._base import chronological_split, event_bunch, stream_frame, zscore_params

#: The paper's context length and horizon count of the four stream benchmarks.
STREAM_CONTEXT_LENGTH = 512
STREAM_HORIZONS = 200

#: Floor of the trailing standard deviation, as a fraction of the target's training
#: standard deviation. ETTm1 holds OT constant for whole days (imputed month ends);
#: without a floor the trailing z-score of the next real reading is infinite.
STD_FLOOR_FRACTION = 0.05


def check_quantile(quantile) -> float:
    if (
        isinstance(quantile, bool)
        or not isinstance(quantile, numbers.Real)
        or not 0.0 < float(quantile) < 1.0
    ):
        raise ValueError(f"quantile must be a number strictly between 0 and 1, got {quantile!r}.")
    return float(quantile)


def check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def fill_gaps(frame: pd.DataFrame) -> pd.DataFrame:
    """Forward fill, then backward fill (only leading gaps are left by the forward pass).

    Forward fill keeps the features causal: a gap shows the last observed value.
    The backward pass only reaches the rows before a column's first observation.
    """
    return frame.ffill().bfill()


def trailing_zscore(values: pd.Series, window: int, std_floor: float) -> np.ndarray:
    """``(x_t - mean) / max(std, std_floor)`` over the ``window`` steps before ``t``.

    Causal: step ``t`` itself is not in its baseline. The first ``window`` steps have
    no full window and score NaN (never active).
    """
    past = values.shift(1).rolling(window, min_periods=window)
    std = past.std(ddof=0).clip(lower=std_floor)
    return ((values - past.mean()) / std).to_numpy(np.float64)


def trailing_target_score(values: pd.Series, window: int) -> tuple[np.ndarray, float]:
    """Trailing z-score of a target column, its std floor taken from the training split."""
    train = chronological_split(len(values))[0]
    floor = STD_FLOOR_FRACTION * float(values.iloc[train].std(ddof=0))
    return trailing_zscore(values, window, floor), floor


def merge_short_gaps(active, merge_gap: int) -> np.ndarray:
    """Fill inactive gaps of at most ``merge_gap`` steps between two active runs.

    A value hovering at the threshold would otherwise enter and leave the episode
    every few steps and count one onset per crossing. Gaps touching the start or the
    end of the array are left alone (their other side is unknown).
    """
    active = np.asarray(active, dtype=bool).copy()
    if merge_gap <= 0 or not active.any():
        return active
    edges = np.diff(np.r_[0, active.astype(np.int8), 0])
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    for stop, next_start in zip(stops[:-1], starts[1:], strict=True):
        if next_start - stop <= merge_gap:
            active[stop:next_start] = True
    return active


def threshold_stream_bunch(
    series,
    *,
    quantile: float,
    merge_gap: int,
    event: str,
    name: str,
    context_length: int = STREAM_CONTEXT_LENGTH,
    horizons: int = STREAM_HORIZONS,
    event_definition: str,
    description: str,
    **extra,
):
    """Split, threshold, z-score and package one or more series.

    Parameters
    ----------
    series : list of (series_id, features, score, dates)
        ``features`` a DataFrame of raw feature columns (gap-free, or with NaN
        gaps kept by a loader's ``fill=None``), ``score`` the
        per-step float score (NaN = never active), ``dates`` the timestamps.
    quantile, merge_gap, event, name, context_length, horizons, event_definition, description
        See the loaders; ``extra`` goes into the Bunch unchanged.
    """
    parts = {"train": [], "val": [], "test": []}
    train_scores = []
    for sid, features, score, dates in series:
        slices = chronological_split(len(features))
        for split, sl in zip(parts, slices, strict=True):
            parts[split].append((sid, features.iloc[sl], score[sl], dates[sl], sl.start))
        train_scores.append(score[slices[0]])
    train_scores = np.concatenate(train_scores)
    train_scores = train_scores[np.isfinite(train_scores)]
    if train_scores.size == 0:
        raise ValueError(f"{name}: no finite training score to take the threshold from.")
    threshold = float(np.quantile(train_scores, quantile))

    splits, dates_out = {}, {}
    columns = list(series[0][1].columns)
    for split, items in parts.items():
        frames, labels, dates = [], [], []
        for sid, feats, score, d, start in items:
            # the time level counts steps of the whole series, so it continues across splits
            time = np.arange(start, start + len(feats))
            frames.append(stream_frame(feats.to_numpy(), series=sid, time=time, columns=columns))
            with np.errstate(invalid="ignore"):
                active = np.nan_to_num(score, nan=-np.inf) > threshold
            labels.append(merge_short_gaps(active, merge_gap))
            dates.append(np.asarray(d))
        splits[split] = (pd.concat(frames), np.concatenate(labels).astype(np.int8))
        dates_out[f"dates_{split}"] = np.concatenate(dates)

    mean, std = zscore_params(splits["train"][0])
    splits = {k: ((X - mean) / std, lab) for k, (X, lab) in splits.items()}
    return event_bunch(
        name=name,
        splits=splits,
        event=event,
        feature_names=columns,
        context_length=context_length,
        horizons=horizons,
        event_definition=event_definition.format(threshold=threshold),
        description=description,
        threshold=threshold,
        quantile=quantile,
        merge_gap=merge_gap,
        zscore_mean=mean,
        zscore_std=std,
        **dates_out,
        **extra,
    )
