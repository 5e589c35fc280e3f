"""Pieces shared by the anomaly-benchmark loaders (SMAP/MSL, PSM, MBA, BATADAL, GECCO, TEP).

Each loader reads its files into labelled series, assigns series (or chronological
pieces of series) to train / val / test, and hands the pieces to :func:`_finish_splits`,
which fills gaps, z-scores on train and builds the common :func:`event_bunch`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._base import chronological_split, event_bunch, stream_frame, zscore_params

SPLITS = ("train", "val", "test")


def _event_definition(event: str, segment: str) -> str:
    """One plain sentence for ``bunch.event_definition``; ``segment`` says what is labelled."""
    if event == "active":
        return (
            f"A step is an event when it belongs to a labelled segment ({segment}), so "
            "P(event within dt) at step t is the probability that some step of (t, t+dt] does."
        )
    return (
        f"An event is the first step of each labelled segment ({segment}), so "
        "P(event within dt) at step t is the probability that a segment starts in (t, t+dt]."
    )


def _labelled_series(values, labels, *, series, columns, time=None):
    """One series as ``(frame, labels)`` with a ``(series, time)`` index."""
    labels = np.asarray(labels, dtype=np.int8)
    frame = stream_frame(values, series=series, time=time, columns=columns)
    if len(labels) != len(frame):
        raise ValueError(f"series {series!r}: {len(labels)} labels for {len(frame)} rows.")
    return frame, labels


def _split_chronologically(frame, labels, fractions=(0.6, 0.2, 0.2)):
    """Train, val and test pieces (in that order) of one labelled series.

    The pieces keep the series id and the original time steps, so a series that
    reappears in val/test continues where its training piece stopped.
    """
    return [(frame.iloc[s], labels[s]) for s in chronological_split(len(frame), fractions)]


def _assemble(pieces, fill="ffill"):
    """Concatenate ``(frame, labels)`` pieces; fill gaps within each series (``fill``)."""
    pieces = [(f, lab) for f, lab in pieces if len(f)]
    if not pieces:
        raise ValueError("a split would be empty; pass more channels / runs.")
    X = pd.concat([f for f, _ in pieces])
    labels = np.concatenate([lab for _, lab in pieces]).astype(np.int8)
    if fill == "ffill" and X.isna().to_numpy().any():
        # forward fill carries the last reading (what an online system knows); back
        # fill only covers leading gaps of a series, and reads the future there.
        # Grouping keeps series apart.
        groups = X.groupby(level=0, sort=False)
        X = groups.ffill()
        X = X.groupby(level=0, sort=False).bfill()
    return X, labels


def _finish_splits(
    *,
    name,
    pieces: dict,
    event: str,
    context_length: int,
    horizons: int,
    event_definition: str,
    description: str,
    fill="ffill",
    **extra,
):
    """Assemble, z-score on train only, and return :func:`event_bunch`.

    ``pieces`` maps each of "train", "val", "test" to a list of ``(frame, labels)``.
    With ``fill="ffill"`` a column still missing after the per-series fills (a
    sensor absent for a whole series) is set to 0, the training mean after
    z-scoring; with ``fill=None`` every gap stays NaN.
    """
    assembled = {split: _assemble(pieces[split], fill) for split in SPLITS}
    mean, std = zscore_params(assembled["train"][0])
    splits = {}
    for split, (X, labels) in assembled.items():
        X = (X - mean) / std
        if fill == "ffill":
            X = X.fillna(0.0)
        splits[split] = (X.astype(np.float64), labels)
    return event_bunch(
        name=name,
        splits=splits,
        event=event,
        feature_names=list(assembled["train"][0].columns),
        context_length=context_length,
        horizons=horizons,
        event_definition=event_definition,
        description=description,
        zscore_mean=mean,
        zscore_std=std,
        **extra,
    )
