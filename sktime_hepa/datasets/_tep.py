"""Loader of the Tennessee Eastman process (TEP) fault benchmark, Braatz data set."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._anomaly_common import _event_definition, _finish_splits, _labelled_series
from ._base import _check_folder, _find_file, check_event, check_fill, get_data_home, shared_docs

__all__ = ["load_tep", "TEP_COLUMNS", "tep_fault_split"]

#: 41 measured variables XMEAS(1..41) and 11 manipulated variables XMV(1..11), in file order.
TEP_COLUMNS = [f"xmeas_{k}" for k in range(1, 42)] + [f"xmv_{k}" for k in range(1, 12)]

_FAULTS = range(1, 22)
#: In the test runs the fault is introduced after sample 160 (rows 161..960 are faulty).
_ONSET = 160


def tep_fault_split(fault: int) -> str:
    """The split a faulty test run ``dXX_te`` belongs to, fixed by its fault id.

    ``fault % 5 == 0`` -> "test" (5, 10, 15, 20), ``fault % 5 == 4`` -> "val"
    (4, 9, 14, 19), all others -> "train" (1-3, 6-8, 11-13, 16-18, 21). A rule on
    the id rather than a random draw keeps the assignment the same whichever
    subset of runs is present, and spreads fault types over the three splits.
    """
    return {0: "test", 4: "val"}.get(int(fault) % 5, "train")


def _read_run(folder, name: str) -> np.ndarray:
    values = pd.read_csv(_find_file(folder, name), sep=r"\s+", header=None).to_numpy(np.float64)
    # d00.dat is stored transposed in the original distribution (52 x 500)
    if values.shape[1] != len(TEP_COLUMNS) and values.shape[0] == len(TEP_COLUMNS):
        values = values.T
    if values.shape[1] != len(TEP_COLUMNS):
        raise ValueError(f"{name}: expected {len(TEP_COLUMNS)} variables, got {values.shape}.")
    return values


@shared_docs
def load_tep(*, data_home=None, event="onset", faults=None, fill="ffill"):
    """Load the Tennessee Eastman fault runs as event-stream data (event = fault onset).

    Reads the Braatz ``.dat`` files (whitespace separated, gzipped copies preferred)
    from ``<data_home>/tep/``: the normal runs ``d00.dat`` (500 samples, stored
    transposed) and ``d00_te.dat`` (960), and the faulty test runs ``dXX_te.dat``
    (960 samples; fault IDV(XX) introduced after sample 160, so rows 161..960 are
    labelled faulty). Features: the 52 process variables (41 XMEAS, 11 XMV), one
    row per 3-minute sample. Each run is one series (id = file stem, time = sample
    index from 0).

    The faulty training runs ``dXX.dat`` are not used: the fault is already active
    in their first recorded sample, so they contain no observed onset.

    Splits are by whole run (runs are independent simulations): both normal runs
    are all-negative series of ``X_train``; each faulty run goes to the split given
    by :func:`tep_fault_split` (train: faults 1-3, 6-8, 11-13, 16-18, 21; val: 4, 9,
    14, 19; test: 5, 10, 15, 20), so every split holds fault onsets and the test
    faults are fault types never seen in training.

    Preprocessing: NaN (none in the files) would be filled by forward then backward
    fill within each run; the 52 variables are z-scored with the mean and standard
    deviation of ``X_train``. Context length 512, horizons K = 150.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        Folder containing ``tep/``; default from :func:`get_data_home`.
    event : {"onset", "active"}, default="onset"
        ``"onset"`` (default, as in the paper): the event is the first faulty
        sample of a run (one event per faulty run); ``"active"``: every faulty
        sample is an event.
    faults : list of int, optional
        Fault ids (1..21) whose test runs to use. Default: every ``dXX_te`` present
        in the folder; a ``UserWarning`` lists the ids whose files are absent.
    <fill>

    Returns
    -------
    <anomaly bunch>

            As documented for :func:`load_smap_msl`.

        faults : dict
            Fault ids per split, e.g. ``{"train": [1, 2, ...], "val": [4, 9], ...}``.

    Raises
    ------
    ValueError
        Unknown event, fault ids outside 1..21, or a split left without faults.
    <data not found>
    """
    check_event(event)
    check_fill(fill)
    folder = get_data_home(data_home) / "tep"
    _check_folder(folder, "TEP")
    if faults is None:
        present = [
            k
            for k in _FAULTS
            if (folder / f"d{k:02d}_te.dat.gz").is_file() or (folder / f"d{k:02d}_te.dat").is_file()
        ]
        absent = sorted(set(_FAULTS) - set(present))
        if absent:
            warnings.warn(
                f"TEP: test runs of faults {absent} not found in {folder}; using faults {present}.",
                UserWarning,
                stacklevel=2,
            )
        fault_ids = present
    else:
        fault_ids = sorted({int(k) for k in faults})
        bad = [k for k in fault_ids if k not in _FAULTS]
        if bad or not fault_ids:
            raise ValueError(f"faults must be a non-empty list of ids in 1..21; got {faults!r}.")
    by_split = {
        s: [k for k in fault_ids if tep_fault_split(k) == s] for s in ("train", "val", "test")
    }
    empty = [s for s, ks in by_split.items() if not ks]
    if empty:
        raise ValueError(
            f"faults {fault_ids} leave no faulty run in split(s) {empty}; the fixed "
            "assignment is test: id % 5 == 0, val: id % 5 == 4, train: the others."
        )

    pieces = {"train": [], "val": [], "test": []}
    for name in ("d00", "d00_te"):
        values = _read_run(folder, f"{name}.dat")
        pieces["train"].append(
            _labelled_series(values, np.zeros(len(values)), series=name, columns=TEP_COLUMNS)
        )
    for split, ids in by_split.items():
        for k in ids:
            values = _read_run(folder, f"d{k:02d}_te.dat")
            labels = (np.arange(len(values)) >= _ONSET).astype(np.int8)
            pieces[split].append(
                _labelled_series(values, labels, series=f"d{k:02d}_te", columns=TEP_COLUMNS)
            )
    description = (
        "Tennessee Eastman process (Braatz data set): 52 process variables every 3 min. "
        "Normal runs d00, d00_te are all-negative training series; faulty test runs "
        "dXX_te (fault after sample 160) are split by fault id: "
        + "; ".join(f"{s} {ks}" for s, ks in by_split.items())
        + ". Z-scored on train."
    )
    return _finish_splits(
        name="TEP",
        pieces=pieces,
        event=event,
        context_length=512,
        horizons=150,
        event_definition=_event_definition(event, "faulty samples of a run, from sample 161 on"),
        description=description,
        faults=by_split,
        fill=fill,
    )
