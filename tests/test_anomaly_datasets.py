"""Tests of the anomaly-benchmark loaders: SMAP/MSL, MBA, BATADAL, GECCO, TEP, PSM."""

import gzip

import numpy as np
import pandas as pd
import pytest

from sktime_hepa.datasets import (
    get_data_home,
    load_batadal,
    load_gecco,
    load_mba,
    load_psm,
    load_smap_msl,
    load_tep,
)
from sktime_hepa.datasets._base import step_events
from sktime_hepa.datasets._tep import tep_fault_split
from sktime_hepa.targets import is_survival_target, target_from_event_labels

SPLITS = ("train", "val", "test")


def _requires(folder):
    return pytest.mark.skipif(
        not (get_data_home() / folder).is_dir(),
        reason=f"shared data folder {folder}/ not found (set SKTIME_HEPA_DATA)",
    )


def _series_and_time(X):
    return (X.index.get_level_values(0).to_numpy(), X.index.get_level_values(1).to_numpy())


def check_event_bunch(b, *, n_features, context_length, horizons, streams=True):
    """The contract every anomaly loader's bunch must meet."""
    assert len(b.feature_names) == n_features
    assert b.context_length == context_length and b.horizons == horizons
    assert isinstance(b.event_definition, str) and b.event_definition
    for split in SPLITS:
        X, y, labels = b[f"X_{split}"], b[f"y_{split}"], b[f"labels_{split}"]
        assert isinstance(X, pd.DataFrame) and X.index.nlevels == 2
        assert list(X.columns) == b.feature_names
        assert (X.dtypes == np.float64).all()
        assert not X.isna().to_numpy().any()
        assert len(y) == len(X) == len(labels) and is_survival_target(y)
        assert set(np.unique(labels)) <= {0, 1}
        series, time = _series_and_time(X)
        # rows of a series are contiguous and time-sorted
        starts = np.r_[True, series[1:] != series[:-1]]
        assert len(pd.unique(series)) == starts.sum()
        assert (np.diff(time)[~starts[1:]] > 0).all()
        # y is aligned with the rows: rebuilt from the per-row labels it matches
        events = step_events(labels, series, b.event)
        expected = target_from_event_labels(events, groups=series)
        np.testing.assert_array_equal(y["event"], expected["event"])
        np.testing.assert_array_equal(y["time"], expected["time"])
    # at least one labelled event in train and in test
    assert b.labels_train.sum() > 0 and b.labels_test.sum() > 0
    assert b.prevalence["train"]["events"] > 0 and b.prevalence["test"]["events"] > 0
    # z-score fitted on train
    assert list(b.zscore_mean.index) == b.feature_names
    np.testing.assert_allclose(b.X_train.mean().to_numpy(), 0.0, atol=1e-8)
    std = b.X_train.std(ddof=0).to_numpy()
    assert np.all(np.isclose(std, 1.0) | np.isclose(std, 0.0))
    if streams:
        # a series cut chronologically continues strictly later in val, then test
        last = {}
        for split in SPLITS:
            series, time = _series_and_time(b[f"X_{split}"])
            frame = pd.DataFrame({"s": series, "t": time}).groupby("s")["t"]
            for s, lo in frame.min().items():
                if s in last:
                    assert lo > last[s]
            last.update(frame.max().to_dict())


# ------------------------------------------------------------------- SMAP / MSL


@_requires("smap_msl")
@pytest.mark.parametrize(
    "spacecraft, channels, n_features",
    [("SMAP", ["G-7", "A-1"], 25), ("MSL", ["C-1", "T-9"], 55)],
)
def test_smap_msl(spacecraft, channels, n_features):
    b = load_smap_msl(spacecraft, channels=channels)
    check_event_bunch(b, n_features=n_features, context_length=100, horizons=200)
    assert b.channels == channels
    # nominal train arrays are all-negative series of X_train only
    series = b.X_train.index.get_level_values(0)
    nominal = np.isin(series, [f"{c}/train" for c in channels])
    assert nominal.any() and b.labels_train[nominal].sum() == 0
    assert set(b.X_val.index.get_level_values(0)) == {f"{c}/test" for c in channels}


@_requires("smap_msl")
def test_smap_msl_bad_arguments():
    with pytest.raises(ValueError, match="channels"):
        load_smap_msl("SMAP", channels=["C-1"])  # an MSL channel
    with pytest.raises(ValueError, match="channels"):
        load_smap_msl("MSL", channels=[])


@_requires("smap_msl")
def test_smap_duplicated_p2_labels_are_merged():
    b = load_smap_msl("SMAP", channels="P-2", event="onset")
    labels = np.concatenate([b.labels_train, b.labels_val, b.labels_test])
    series = np.concatenate([b[f"X_{s}"].index.get_level_values(0) for s in SPLITS])
    test_labels = labels[series == "P-2/test"]
    # union of the two official rows [5350, 6575] and [5300, 6420]
    assert np.flatnonzero(test_labels)[[0, -1]].tolist() == [5300, 6575]
    assert test_labels.sum() == 6575 - 5300 + 1


# -------------------------------------------------------------------------- MBA


@_requires("mba")
def test_mba():
    b = load_mba()
    check_event_bunch(b, n_features=2, context_length=100, horizons=200)
    assert b.feature_names == ["ECG1", "ECG2"]
    # one copy of the 7,680 samples, split 60/20/20
    assert [len(b[f"X_{s}"]) for s in SPLITS] == [4608, 1536, 1536]
    assert len(b.annotation_samples) == 65
    # TranAD windows: 40 samples per annotation (none overlap or touch the ends here)
    labels = np.concatenate([b[f"labels_{s}"] for s in SPLITS])
    assert labels.sum() == 65 * 40
    abnormal = load_mba(annotations="abnormal", event="onset")
    assert len(abnormal.annotation_samples) == 24
    assert sum(abnormal.prevalence[s]["events"] for s in SPLITS) == 24


# ---------------------------------------------------------------------- BATADAL


@_requires("batadal")
def test_batadal():
    b = load_batadal()
    check_event_bunch(b, n_features=43, context_length=512, horizons=200)
    series = b.X_train.index.get_level_values(0)
    # the attack-free year is an all-negative training series
    assert (series == "dataset03").sum() == 8761
    assert b.labels_train[series == "dataset03"].sum() == 0
    assert [len(b.X_val), len(b.X_test)] == [418, 418]
    assert sum(b[f"labels_{s}"].sum() for s in SPLITS) == 407
    assert b.labels_val.sum() > 0


# ------------------------------------------------------------------------ GECCO


@_requires("gecco2018")
def test_gecco():
    b = load_gecco()
    check_event_bunch(b, n_features=9, context_length=512, horizons=200)
    assert [len(b[f"X_{s}"]) for s in SPLITS] == [83740, 27913, 27913]
    assert sum(b[f"labels_{s}"].sum() for s in SPLITS) == 1726
    assert b.labels_val.sum() > 0


# -------------------------------------------------------------------------- TEP


@_requires("tep")
def test_tep():
    b = load_tep()
    assert b.event == "onset"
    check_event_bunch(b, n_features=52, context_length=512, horizons=150, streams=False)
    # whole runs per split, disjoint; normal runs only in train
    runs = {s: set(b[f"X_{s}"].index.get_level_values(0)) for s in SPLITS}
    assert not (runs["train"] & runs["val"] or runs["train"] & runs["test"])
    assert not runs["val"] & runs["test"]
    assert {"d00", "d00_te"} <= runs["train"]
    for split in SPLITS:
        assert all(tep_fault_split(k) == split for k in b.faults[split])
        # one onset per faulty run, at sample 160 (0-based)
        assert b.prevalence[split]["events"] == len(b.faults[split])
        assert runs[split] - {"d00", "d00_te"} == {f"d{k:02d}_te" for k in b.faults[split]}
    assert len(b.X_test) == 960 * len(b.faults["test"])


@_requires("tep")
def test_tep_bad_faults():
    with pytest.raises(ValueError, match="faults"):
        load_tep(faults=[0, 1])
    with pytest.raises(ValueError, match="no faulty run"):
        load_tep(faults=[1, 2, 4])  # nothing for test


# -------------------------------------------------------------------------- PSM


def _write_psm(folder, *, constant="feature_3", compress=False):
    """Tiny PSM files in the official layout: 25 features, timestamps in minutes."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    features = [f"feature_{k}" for k in range(25)]
    n_train, n_test = 300, 500

    def frame(n, start):
        df = pd.DataFrame(rng.random((n, 25)), columns=features)
        df.insert(0, "timestamp_(min)", np.arange(start, start + n, dtype=np.float64))
        if constant:
            df[constant] = 0.5
        return df

    train, test = frame(n_train, 0), frame(n_test, n_train)
    train.loc[10:12, "feature_0"] = np.nan  # the official train file has gaps
    label = np.zeros(n_test, dtype=int)
    for start, stop in [(50, 70), (320, 340), (420, 450)]:  # one per split of test
        label[start:stop] = 1
    labels = pd.DataFrame({"timestamp_(min)": test["timestamp_(min)"], "label": label})
    for name, df in [("train.csv", train), ("test.csv", test), ("test_label.csv", labels)]:
        if compress:
            with gzip.open(folder / f"{name}.gz", "wt") as fh:
                df.to_csv(fh, index=False)
        else:
            df.to_csv(folder / name, index=False)
    return train, test, labels


@pytest.mark.parametrize("compress", [False, True])
def test_psm_official_format(tmp_path, compress):
    _write_psm(tmp_path / "psm", compress=compress)
    b = load_psm(data_home=tmp_path)
    check_event_bunch(b, n_features=24, context_length=100, horizons=200)
    assert b.dropped_columns == ["feature_3"]
    assert [len(b[f"X_{s}"]) for s in SPLITS] == [300 + 300, 100, 100]
    assert b.labels_train.sum() == 20 and b.labels_val.sum() == 20 and b.labels_test.sum() == 30
    # time level = timestamp in minutes; test rows continue after the train file
    assert b.X_val.index[0] == ("test", 600)
    assert b.prevalence["train"]["series"] == 2


def test_psm_keeps_25_features_without_constant_column(tmp_path):
    _write_psm(tmp_path / "psm", constant=None)
    b = load_psm(data_home=tmp_path, event="onset")
    assert len(b.feature_names) == 25 and b.dropped_columns == []
    assert [b.prevalence[s]["events"] for s in SPLITS] == [1, 1, 1]


def test_psm_label_mismatch_and_missing_files(tmp_path):
    _, _, labels = _write_psm(tmp_path / "psm")
    labels.iloc[:-1].to_csv(tmp_path / "psm" / "test_label.csv", index=False)
    with pytest.raises(ValueError, match="test_label"):
        load_psm(data_home=tmp_path)
    (tmp_path / "psm" / "train.csv").unlink()
    with pytest.raises(FileNotFoundError, match="SKTIME_HEPA_DATA"):
        load_psm(data_home=tmp_path)


@_requires("psm")
def test_psm_shared_folder_lacks_train_csv():
    if (get_data_home() / "psm" / "train.csv").is_file():
        pytest.skip("train.csv present in the shared data")
    with pytest.raises(FileNotFoundError, match="train.csv"):
        load_psm()


# ----------------------------------------------------------------- bad arguments

LOADERS = [load_smap_msl, load_mba, load_batadal, load_gecco, load_tep, load_psm]


@pytest.mark.parametrize("loader", LOADERS)
def test_bad_event_name(loader, tmp_path):
    with pytest.raises(ValueError, match="event"):
        loader(data_home=tmp_path, event="failure")


@pytest.mark.parametrize("loader", LOADERS)
def test_missing_folder(loader, tmp_path):
    with pytest.raises(FileNotFoundError, match="SKTIME_HEPA_DATA"):
        loader(data_home=tmp_path)


def test_bad_dataset_specific_arguments(tmp_path):
    with pytest.raises(ValueError, match="spacecraft"):
        load_smap_msl("SMOS", data_home=tmp_path)
    with pytest.raises(ValueError, match="annotations"):
        load_mba(data_home=tmp_path, annotations="ventricular")


def test_tep_fault_split_rule():
    assert [k for k in range(1, 22) if tep_fault_split(k) == "test"] == [5, 10, 15, 20]
    assert [k for k in range(1, 22) if tep_fault_split(k) == "val"] == [4, 9, 14, 19]


def test_tep_small_files_transposed_d00_and_absent_runs(tmp_path):
    """Synthetic runs in the Braatz layout: d00.dat transposed, faults 1, 4, 5 only."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "tep"
    folder.mkdir()
    np.savetxt(folder / "d00.dat", rng.random((52, 30)))  # 52 x n, as in the original
    np.savetxt(folder / "d00_te.dat", rng.random((200, 52)))
    for k in (1, 4, 5):
        np.savetxt(folder / f"d{k:02d}_te.dat", rng.random((200, 52)))
    with pytest.warns(UserWarning, match="not found"):
        b = load_tep(data_home=tmp_path)
    assert b.faults == {"train": [1], "val": [4], "test": [5]}
    assert len(b.X_train) == 30 + 200 + 200
    for split in SPLITS:
        assert b.prevalence[split]["events"] == 1
    labels = b.labels_test
    assert labels[:160].sum() == 0 and labels[160:].all()
    with pytest.raises(FileNotFoundError, match="d02_te"):
        load_tep(data_home=tmp_path, faults=[1, 2, 4, 5])
