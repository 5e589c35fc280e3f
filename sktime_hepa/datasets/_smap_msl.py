"""Loader of the NASA SMAP and MSL spacecraft telemetry anomaly benchmark (telemanom)."""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd

from ._anomaly_common import (
    _event_definition,
    _finish_splits,
    _labelled_series,
    _split_chronologically,
)
from ._base import _check_folder, _find_file, check_event, check_fill, get_data_home, shared_docs

__all__ = ["load_smap_msl"]

_N_FEATURES = {"SMAP": 25, "MSL": 55}


def _read_labels(folder) -> pd.DataFrame:
    """Labelled channels of ``labeled_anomalies.csv``, one row per channel.

    ``P-2`` appears twice in the official file with different ranges; its ranges are
    merged (union) so no expert-labelled step is lost.
    """
    table = pd.read_csv(_find_file(folder, "labeled_anomalies.csv"))
    table["ranges"] = table["anomaly_sequences"].map(ast.literal_eval)
    merged = table.groupby("chan_id", sort=False).agg(
        spacecraft=("spacecraft", "first"),
        num_values=("num_values", "first"),
        ranges=("ranges", lambda r: [seq for ranges in r for seq in ranges]),
    )
    return merged


def _channel_labels(ranges, n: int) -> np.ndarray:
    labels = np.zeros(n, dtype=np.int8)
    for start, end in ranges:
        labels[start : end + 1] = 1  # the official ranges are inclusive
    return labels


@shared_docs
def load_smap_msl(
    spacecraft="SMAP",
    *,
    channels=None,
    data_home=None,
    event="active",
    fill="ffill",
    split="chronological",
):
    """Load the SMAP or MSL telemetry anomaly benchmark as event-stream data.

    Reads ``train.npz`` / ``test.npz`` (members are the official per-channel
    ``.npy`` arrays) and ``labeled_anomalies.csv`` from ``<data_home>/smap_msl/``.
    Each channel is one multivariate series: column 0 is the telemetry value, the
    others one-hot command features (25 columns per SMAP channel, 55 per MSL
    channel). Only labelled channels are used (``T-10`` has no label row); ``P-2``,
    listed twice in the label file, gets the union of its two label ranges.

    Splits. The official train arrays are nominal (no labels), so each enters
    ``X_train`` whole as an all-negative series ``"<chan>/train"``. Each labelled
    test array (series ``"<chan>/test"``) is cut chronologically 60/20/20: its
    first 60 % joins ``X_train``, the next 20 % ``X_val``, the last 20 % ``X_test``
    (the pieces keep their time steps). Training thus sees labelled anomalies while
    validation and test rows come strictly later in every channel.
    ``split="official"`` gives the split the published detectors use instead:
    the nominal train arrays for training (their last 20 % held out as
    ``X_val``, as Hundman et al. validate) and every labelled test array whole
    as ``X_test``; no labelled anomaly reaches training.

    Preprocessing: NaN (none in the official files) would be filled by forward
    then backward fill within each series; every column is z-scored with the mean
    and standard deviation of ``X_train`` (the paper's "z-score on train"; constant
    training columns are only centred). Context length 100, horizons K = 200.

    Parameters
    ----------
    spacecraft : {"SMAP", "MSL"}, default="SMAP"
        Which spacecraft (case-insensitive).
    channels : str or list of str, optional
        Channel ids (e.g. ``["A-1", "E-13"]``) of the chosen spacecraft; default all
        its labelled channels, in label-file order.
    data_home : str or os.PathLike, optional
        Folder containing ``smap_msl/``; default from :func:`get_data_home`.
    event : {"active", "onset"}, default="active"
        ``"active"``: a step is an event when it lies in a labelled anomaly
        sequence; ``"onset"``: only the first step of each sequence is.
    <fill>
    split : {"chronological", "official"}, default="chronological"
        See Splits above: "chronological" (the package's event-prediction split)
        or "official" (train arrays / test arrays, the detectors' protocol).

    Returns
    -------
    data : sklearn.utils.Bunch
        X_train, X_val, X_test : pandas.DataFrame
            Float64 features indexed ``(series, time)``.
        y_train, y_val, y_test : ndarray of dtype ``SURVIVAL_DTYPE``
            Survival targets built per split and series (censored at the split end).
        labels_train, labels_val, labels_test : ndarray of int8
            Per-row 0/1 "anomaly active" labels.

        feature_names, context_length, horizons, event, event_definition,
        prevalence, name, description

            As for every event-stream loader; ``prevalence`` holds per-split rows,
            series, active rate, events and the positive share at dt = 1, K/2, K.

        channels : list of str
            The channels loaded.
        zscore_mean, zscore_std : pandas.Series
            The training statistics of the z-score.

    Raises
    ------
    ValueError
        Unknown spacecraft, channel, event or split.
    <data not found>
    """
    craft = str(spacecraft).upper()
    if craft not in _N_FEATURES:
        raise ValueError(f"spacecraft must be 'SMAP' or 'MSL', got {spacecraft!r}.")
    check_event(event)
    check_fill(fill)
    if split not in ("chronological", "official"):
        raise ValueError(f"split must be 'chronological' or 'official', got {split!r}.")
    folder = get_data_home(data_home) / "smap_msl"
    _check_folder(folder, "SMAP/MSL")
    table = _read_labels(folder)
    known = table.index[table["spacecraft"] == craft].tolist()
    if channels is None:
        chans = known
    else:
        chans = [channels] if isinstance(channels, str) else list(channels)
        unknown = [c for c in chans if c not in known]
        if unknown or not chans:
            raise ValueError(
                f"channels must be a non-empty list of labelled {craft} channels; "
                f"unknown: {unknown}."
            )
    n_features = _N_FEATURES[craft]
    columns = ["value"] + [f"command_{k}" for k in range(1, n_features)]

    pieces = {"train": [], "val": [], "test": []}
    with (
        np.load(_find_file(folder, "train.npz")) as train,
        np.load(_find_file(folder, "test.npz")) as test,
    ):
        for chan in chans:
            x_train, x_test = train[chan], test[chan]
            for part, x in (("train", x_train), ("test", x_test)):
                if x.ndim != 2 or x.shape[1] != n_features:
                    raise ValueError(
                        f"{part}.npz[{chan!r}] has shape {x.shape}; expected "
                        f"{n_features} columns for {craft}."
                    )
            labels = _channel_labels(table.at[chan, "ranges"], len(x_test))
            train_series = _labelled_series(
                x_train, np.zeros(len(x_train)), series=f"{chan}/train", columns=columns
            )
            test_series = _labelled_series(x_test, labels, series=f"{chan}/test", columns=columns)
            if split == "official":
                frame, zeros = train_series
                cut = int(round(0.8 * len(frame)))
                pieces["train"].append((frame.iloc[:cut], zeros[:cut]))
                pieces["val"].append((frame.iloc[cut:], zeros[cut:]))
                pieces["test"].append(test_series)
                continue
            pieces["train"].append(train_series)
            for part, piece in zip(pieces, _split_chronologically(*test_series), strict=True):
                pieces[part].append(piece)

    description = (
        f"NASA {craft} telemetry anomaly benchmark (Hundman et al., KDD 2018): "
        f"{len(chans)} channels x {n_features} features (telemetry value + one-hot "
        "commands). "
        + (
            "Official split: the nominal train arrays for training (last 20 % of each held "
            "out for validation), every labelled test array whole for testing. "
            if split == "official"
            else "Nominal official train arrays are all-negative training series; each "
            "labelled test array is split chronologically 60/20/20 into train/val/test. "
        )
        + "Z-scored on train."
    )
    return _finish_splits(
        name=craft,
        pieces=pieces,
        event=event,
        context_length=100,
        horizons=200,
        event_definition=_event_definition(event, "expert-labelled anomaly sequence"),
        description=description,
        channels=list(chans),
        fill=fill,
        split=split,
    )
