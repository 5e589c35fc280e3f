"""Tests of sktime_hepa.datasets: synthetic generator and the C-MAPSS loader."""

import gzip
import time

import numpy as np
import pandas as pd
import pytest

from sktime_hepa.datasets import get_data_home, load_cmapss, make_run_to_failure
from sktime_hepa.targets import is_survival_target

HAS_CMAPSS = (get_data_home() / "cmapss" / "train_FD001.txt.gz").is_file()
requires_cmapss = pytest.mark.skipif(
    not HAS_CMAPSS, reason="shared C-MAPSS data not found (set SKTIME_HEPA_DATA)"
)


def _units(X):
    return X.index.get_level_values("unit").to_numpy()


# --------------------------------------------------------------------- generator


def test_generator_shape_index_dtype():
    X, y = make_run_to_failure(20, n_sensors=5, random_state=0)
    assert isinstance(X, pd.DataFrame)
    assert list(X.columns) == [f"sensor_{j}" for j in range(5)]
    assert (X.dtypes == np.float64).all()
    assert X.index.names == ["unit", "cycle"]
    assert X.index.is_monotonic_increasing  # contiguous units, time-sorted rows
    assert np.unique(_units(X)).tolist() == list(range(1, 21))
    assert is_survival_target(y) and len(y) == len(X)
    assert np.isfinite(X.to_numpy()).all()
    # cycles start at 1 and step by 1 within a unit
    cycles = X.index.get_level_values("cycle").to_numpy()
    for u in np.unique(_units(X)):
        c = cycles[_units(X) == u]
        np.testing.assert_array_equal(c, np.arange(1, len(c) + 1))


def test_generator_reproducible():
    X1, y1 = make_run_to_failure(15, random_state=3)
    X2, y2 = make_run_to_failure(15, random_state=3)
    pd.testing.assert_frame_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make_run_to_failure(15, random_state=4)
    assert X3.shape != X1.shape or not np.allclose(X3.to_numpy(), X1.to_numpy())
    # Generator and RandomState are accepted as random_state
    Xg1, _ = make_run_to_failure(5, random_state=np.random.default_rng(1))
    Xg2, _ = make_run_to_failure(5, random_state=np.random.default_rng(1))
    pd.testing.assert_frame_equal(Xg1, Xg2)
    Xr1, _ = make_run_to_failure(5, random_state=np.random.RandomState(1))
    Xr2, _ = make_run_to_failure(5, random_state=np.random.RandomState(1))
    pd.testing.assert_frame_equal(Xr1, Xr2)


def test_generator_target_alignment_and_censoring():
    n_units, min_life, max_life = 50, 100, 200
    X, y = make_run_to_failure(
        n_units, min_life=min_life, max_life=max_life, censor_fraction=0.3, random_state=0
    )
    units = _units(X)
    n_cens = 0
    for u in np.unique(units):
        yu = y[units == u]
        assert (yu["event"] == yu["event"][0]).all()
        # time decreases by one step per row
        np.testing.assert_array_equal(np.diff(yu["time"]), -1.0)
        if yu["event"][0]:
            assert yu["time"][-1] == 0  # failure at the last cycle
            assert min_life <= len(yu) <= max_life
        else:
            n_cens += 1
            # cut strictly before failure: the series ends at the cut, time 0 there
            assert yu["time"][-1] == 0
            assert len(yu) < max_life
    assert n_cens == round(0.3 * n_units)


@pytest.mark.parametrize("fraction", [0.0, 1.0])
def test_generator_censor_extremes(fraction):
    _, y = make_run_to_failure(10, censor_fraction=fraction, random_state=0)
    assert y["event"].all() == (fraction == 0.0)
    assert (~y["event"]).all() == (fraction == 1.0)


def test_generator_condition_shifts():
    # regime switches move levels step to step far beyond the noise
    X1, _ = make_run_to_failure(10, n_conditions=1, random_state=0)
    X3, _ = make_run_to_failure(10, n_conditions=3, random_state=0)
    jump1 = X1.groupby(level="unit").diff().abs().mean().mean()
    jump3 = X3.groupby(level="unit").diff().abs().mean().mean()
    assert jump3 > 10 * jump1
    # with one regime, consecutive rows differ by noise plus slow degradation only
    assert jump1 < 0.2


def test_generator_health_signal():
    # informative sensors drift between early (healthy) and failure rows of a unit
    X, y = make_run_to_failure(30, n_conditions=1, censor_fraction=0.0, random_state=0)
    late = X[y["time"] < 5].groupby(level="unit").mean()
    early = X.groupby(level="unit").head(20).groupby(level="unit").mean()
    drift = (late - early).abs().mean()
    assert (drift > 0.3).sum() >= X.shape[1] // 2
    assert (drift < 0.1).sum() >= 1  # some uninformative sensors


def test_generator_fast():
    make_run_to_failure(random_state=0)  # warm-up
    start = time.perf_counter()
    make_run_to_failure(random_state=1)
    assert time.perf_counter() - start < 0.2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_units": 0},
        {"min_life": 50, "max_life": 40},
        {"min_life": 1},
        {"censor_fraction": 1.5},
        {"noise": -1.0},
        {"n_conditions": 0},
    ],
)
def test_generator_invalid(kwargs):
    with pytest.raises(ValueError):
        make_run_to_failure(**kwargs)


# --------------------------------------------------------------------- data home


def test_get_data_home_explicit_and_env(monkeypatch, tmp_path):
    assert get_data_home(tmp_path) == tmp_path.absolute()
    monkeypatch.setenv("SKTIME_HEPA_DATA", str(tmp_path / "env"))
    assert get_data_home() == (tmp_path / "env").absolute()
    assert get_data_home(tmp_path / "x") == (tmp_path / "x").absolute()  # explicit wins
    monkeypatch.delenv("SKTIME_HEPA_DATA")
    monkeypatch.chdir(tmp_path)
    assert get_data_home() == (tmp_path.parent / "shared" / "data").absolute()


# --------------------------------------------------------------------- fake C-MAPSS files


def _write_fake_cmapss(folder, subset="FD001", gz=True):
    """Tiny files in the official format: 2 train units, 2 test units."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)

    def rows(lengths):
        out = []
        for unit, n in enumerate(lengths, start=1):
            for cycle in range(1, n + 1):
                vals = rng.normal(size=24).round(4)
                out.append(f"{unit} {cycle} " + " ".join(map(str, vals)) + "  ")
        return "\n".join(out) + "\n"

    def write(name, text):
        if gz:
            with gzip.open(folder / f"{name}.gz", "wt") as fh:
                fh.write(text)
        else:
            (folder / name).write_text(text)

    write(f"train_{subset}.txt", rows([5, 7]))
    write(f"test_{subset}.txt", rows([3, 4]))
    write(f"RUL_{subset}.txt", "10\n20\n")


@pytest.mark.parametrize("gz", [True, False])
def test_load_cmapss_fake_files(tmp_path, gz):
    _write_fake_cmapss(tmp_path / "cmapss", gz=gz)
    data = load_cmapss(data_home=tmp_path)
    assert data.X_train.shape == (12, 14) and data.X_test.shape == (7, 14)
    assert data.X_train.index.names == ["unit", "cycle"]
    assert data.feature_names == list(data.X_train.columns)
    np.testing.assert_allclose(data.X_train.min(), 0.0)
    np.testing.assert_allclose(data.X_train.max(), 1.0)
    # train: failure at the last cycle; test: RUL + cycles to the last one
    np.testing.assert_array_equal(data.y_train["time"], [4, 3, 2, 1, 0, 6, 5, 4, 3, 2, 1, 0])
    np.testing.assert_array_equal(data.y_test["time"], [12, 11, 10, 23, 22, 21, 20])
    assert data.y_train["event"].all() and data.y_test["event"].all()
    np.testing.assert_array_equal(data.rul_test_last, [10, 20])
    assert list(data.settings_train.columns) == ["setting_1", "setting_2", "setting_3"]
    assert data.settings_test.index.equals(data.X_test.index)

    raw = load_cmapss(data_home=tmp_path, sensors="all", scaling=None)
    assert raw.X_train.shape == (12, 21) and raw.scale_min is None
    # scaling is fitted on train and applied to test with the same parameters
    scaled = load_cmapss(data_home=tmp_path, sensors="all")
    expected = (raw.X_test - raw.X_train.min()) / (raw.X_train.max() - raw.X_train.min())
    pd.testing.assert_frame_equal(scaled.X_test, expected)


def test_load_cmapss_env_var(tmp_path, monkeypatch):
    _write_fake_cmapss(tmp_path / "cmapss")
    monkeypatch.setenv("SKTIME_HEPA_DATA", str(tmp_path))
    assert load_cmapss().X_train.shape == (12, 14)


def test_load_cmapss_missing_folder(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as exc:
        load_cmapss(data_home=missing)
    assert str(missing / "cmapss") in str(exc.value)
    assert "SKTIME_HEPA_DATA" in str(exc.value)


def test_load_cmapss_missing_file(tmp_path):
    _write_fake_cmapss(tmp_path / "cmapss", subset="FD001")
    with pytest.raises(FileNotFoundError, match="train_FD003.txt") as exc:
        load_cmapss("FD003", data_home=tmp_path)
    assert "SKTIME_HEPA_DATA" in str(exc.value)


@pytest.mark.parametrize(
    "kwargs", [{"subset": "FD009"}, {"sensors": "some"}, {"sensors": ["s_99"]}, {"scaling": "z"}]
)
def test_load_cmapss_invalid(tmp_path, kwargs):
    _write_fake_cmapss(tmp_path / "cmapss")
    with pytest.raises(ValueError):
        load_cmapss(data_home=tmp_path, **kwargs)


# --------------------------------------------------------------------- real C-MAPSS


@pytest.mark.data
@requires_cmapss
def test_cmapss_fd001_real():
    data = load_cmapss("FD001")
    assert data.X_train.shape == (20631, 14)
    assert data.X_test.shape == (13096, 14)
    assert _units(data.X_train).max() == 100 and len(np.unique(_units(data.X_train))) == 100
    assert len(np.unique(_units(data.X_test))) == 100
    assert data.X_train.index.is_monotonic_increasing
    assert len(data.y_train) == 20631 and len(data.y_test) == 13096
    np.testing.assert_allclose(data.X_train.min(), 0.0)
    np.testing.assert_allclose(data.X_train.max(), 1.0)
    assert data.y_train["event"].all() and data.y_test["event"].all()

    # RUL alignment: the first test unit's time at its last cycle is RUL_FD001's first line
    rul_file = get_data_home() / "cmapss" / "RUL_FD001.txt.gz"
    with gzip.open(rul_file, "rt") as fh:
        first_rul = float(fh.readline().split()[0])
    last_row_unit1 = np.flatnonzero(_units(data.X_test) == 1)[-1]
    assert data.y_test["time"][last_row_unit1] == first_rul
    assert data.rul_test_last[0] == first_rul
    assert len(data.rul_test_last) == 100
    # times are not capped at 125
    assert data.y_train["time"].max() > 125


@pytest.mark.data
@requires_cmapss
def test_cmapss_fd002_real():
    data = load_cmapss("FD002", sensors="all", scaling=None)
    assert data.X_train.shape == (53759, 21)
    assert data.X_test.shape == (33991, 21)
    assert len(np.unique(_units(data.X_train))) == 260
    assert len(data.rul_test_last) == len(np.unique(_units(data.X_test))) == 259
    # six operating regimes are visible in the raw settings
    assert data.settings_train["setting_3"].nunique() == 2
    assert data.settings_train.round(0).drop_duplicates().shape[0] == 6
