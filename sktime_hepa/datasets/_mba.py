"""Loader of the MBA two-lead ECG anomaly benchmark (MIT-BIH excerpt packaged by TranAD)."""

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

__all__ = ["load_mba"]

#: Half-width of the label window around an annotation (TranAD: Sample-20 .. Sample+19).
_HALF_WINDOW = 20
_ANNOTATIONS = ("all", "abnormal")


@shared_docs
def load_mba(*, data_home=None, event="active", annotations="all", fill="ffill"):
    """Load the MBA ECG anomaly benchmark as one event stream.

    Reads ``train.xlsx`` (columns ``sample, ECG1, ECG2``; its first data row holds
    the units and is skipped) and ``labels.xlsx`` (beat annotations) from
    ``<data_home>/mba/``. TranAD ships ``test.xlsx`` as a byte-identical copy of
    ``train.xlsx``, so only one copy is read: using both would put the same samples
    in train and test. Reading ``.xlsx`` needs ``openpyxl`` (the ``mba`` extra).

    Labels follow TranAD's convention: samples ``Sample - 20 .. Sample + 19`` around
    each annotation are anomalous (clipped to the record).

    Split: the 7,680 samples are cut chronologically 60/20/20 into train
    (4,608 samples), val (1,536) and test (1,536), all with series id ``"mba"``.
    Preprocessing: NaN (none in the file) would be filled by forward then backward
    fill within each split; both leads are z-scored with the training mean and
    standard deviation (paper: "z-score on train"). Context length 100, K = 200.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        Folder containing ``mba/``; default from :func:`get_data_home`.
    event : {"active", "onset"}, default="active"
        ``"active"``: a step is an event when it lies in a labelled window;
        ``"onset"``: only the first step of each contiguous labelled window is.
    annotations : {"all", "abnormal"}, default="all"
        ``"all"``: every row of ``labels.xlsx`` (TranAD, also normal ``N`` beats);
        ``"abnormal"``: only annotations whose beat code (column ``#``) is not ``N``.
    <fill>

    Returns
    -------
    <anomaly bunch>

            As documented for :func:`load_smap_msl`.

        annotation_samples : ndarray of int64
            Sample index of each annotation used for the labels.

    Raises
    ------
    ValueError
        Unknown event or annotations value, or a malformed file.
    <data not found>
    """
    check_event(event)
    check_fill(fill)
    if annotations not in _ANNOTATIONS:
        raise ValueError(f"annotations must be one of {_ANNOTATIONS}, got {annotations!r}.")
    folder = get_data_home(data_home) / "mba"
    _check_folder(folder, "MBA")
    try:
        import openpyxl  # noqa: F401  (pandas reads .xlsx through it)
    except ImportError:  # pragma: no cover - in the test and benchmarks extras
        raise ImportError(
            "load_mba reads .xlsx files, which needs openpyxl: pip install 'sktime_hepa[mba]' "
            "(or pip install openpyxl)."
        ) from None
    signal = pd.read_excel(_find_file(folder, "train.xlsx"))
    notes = pd.read_excel(_find_file(folder, "labels.xlsx"))
    columns = ["ECG1", "ECG2"]
    missing = [c for c in ["sample", *columns] if c not in signal.columns]
    if missing or "Sample" not in notes.columns:
        raise ValueError(f"MBA files lack expected columns: {missing or ['Sample']}.")
    # the first data row holds the units "(mV)"; it has no sample number
    signal = signal[pd.to_numeric(signal["sample"], errors="coerce").notna()]
    values = signal[columns].apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    time = signal["sample"].to_numpy(np.int64)

    if annotations == "abnormal":
        notes = notes[notes["#"].astype(str).str.strip() != "N"]
    samples = notes["Sample"].to_numpy(np.int64)
    labels = np.zeros(len(values), dtype=np.int8)
    for s in samples:
        labels[max(0, s - _HALF_WINDOW) : s + _HALF_WINDOW] = 1

    series = _labelled_series(values, labels, series="mba", time=time, columns=columns)
    train, val, test = _split_chronologically(*series)
    description = (
        "MBA: two-lead ECG excerpt of the MIT-BIH Arrhythmia Database as packaged by "
        f"TranAD ({len(values)} samples; train.xlsx == test.xlsx, one copy used). Labels: "
        f"+-20 samples around {len(samples)} {annotations} beat annotations. Split "
        "chronologically 60/20/20; z-scored on train."
    )
    return _finish_splits(
        name="MBA",
        pieces={"train": [train], "val": [val], "test": [test]},
        event=event,
        context_length=100,
        horizons=200,
        event_definition=_event_definition(event, "+-20 samples around a beat annotation"),
        description=description,
        annotation_samples=samples,
        fill=fill,
    )
