"""Train/validation splits: whole series, or each series in time; never random rows.

Neighbouring rows share almost all of their context, so a random-row split would
validate on rows the network has effectively trained on.
"""

from __future__ import annotations

import numpy as np

#: Fewest series for which whole series are held out for validation; with fewer,
#: holding one out would cost a large share of the training data (with two
#: series, e.g. a nominal one and a labelled one, it can leave training without
#: a single event), so each series is split in time instead.
MIN_SERIES_FOR_HOLDOUT = 5


def split_segments(lengths, validation_fraction: float, seed: int):
    """Train/validation segments ``(series, first_row, stop_row)``.

    Whole series are held out when there are at least
    ``MIN_SERIES_FOR_HOLDOUT``; fewer series are each split in time instead
    (their last ``validation_fraction`` of steps). Never random rows:
    neighbouring rows share most of their context.
    """
    n = len(lengths)
    whole = [(i, 0, int(lengths[i])) for i in range(n)]
    if validation_fraction <= 0:
        return whole, []
    n_valid = max(1, round(validation_fraction * n))
    if n >= MIN_SERIES_FOR_HOLDOUT and n_valid < n:
        perm = np.random.default_rng(seed).permutation(n)
        valid = set(perm[:n_valid].tolist())
        return [s for s in whole if s[0] not in valid], [s for s in whole if s[0] in valid]
    return _time_split(lengths, validation_fraction)


def _time_split(lengths, validation_fraction: float):
    cuts = [(i, int(np.floor((1 - validation_fraction) * m))) for i, m in enumerate(lengths)]
    return [(i, 0, c) for i, c in cuts], [(i, c, int(lengths[i])) for i, c in cuts]


def segment_rows(panel, segments) -> np.ndarray:
    """Row numbers (into X) of the given segments."""
    if not segments:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([panel.offsets[i] + np.arange(a, b) for i, a, b in segments])


def labelled_segments(offsets, labelled, validation_fraction: float, seed: int, positive=None):
    """Train/validation segments over the labelled span of each series.

    Rows without any known horizon (unlabelled rows, e.g. outside a label
    budget, or censored at once) carry no loss; series without labelled rows
    are left out, and within a series only the span from its first to its
    last labelled row is split, so a validation set is never empty by bad luck.
    When ``positive`` (rows with a positive known cell) is given, both parts
    must hold one: if the series held out leave either part without an event,
    every span is split in time instead, and if that fails too there is no
    validation part (early stopping on a split without events would watch the
    base rate alone, and can stop where the ranking of rows is inverted).
    """
    spans = []
    for i, (a, b) in enumerate(zip(offsets[:-1], offsets[1:], strict=True)):
        idx = np.flatnonzero(labelled[a:b])
        if len(idx):
            spans.append((i, int(idx[0]), int(idx[-1]) + 1))
    lengths = np.array([hi - lo for _, lo, hi in spans], dtype=np.int64)

    def back(segments):
        return [(spans[j][0], spans[j][1] + a, spans[j][1] + b) for j, a, b in segments if b > a]

    train, valid = (back(part) for part in split_segments(lengths, validation_fraction, seed))
    if positive is None or not valid:
        return train, valid

    def has_event(segments):
        return any(positive[offsets[i] + a : offsets[i] + b].any() for i, a, b in segments)

    if not (has_event(train) and has_event(valid)):
        train, valid = (back(part) for part in _time_split(lengths, validation_fraction))
    if not has_event(valid) or not has_event(train):
        # early stopping on a split without events would watch the base rate
        # alone: train on every labelled span for the full epoch budget instead
        train, valid = back([(j, 0, int(n)) for j, n in enumerate(lengths)]), []
    return train, valid
