"""Tests of the threshold-event stream loaders (ETTm1, Weather, Beijing-AQ, VIX) and of
the per-regime C-MAPSS normalisation. Real-data tests skip when a data folder is absent."""

import gzip

import numpy as np
import pandas as pd
import pytest

from sktime_hepa.datasets import (
    get_data_home,
    load_beijing_air,
    load_cmapss,
    load_ettm1,
    load_vix,
    load_weather,
)
from sktime_hepa.datasets._threshold_events import merge_short_gaps, trailing_zscore

HOME = get_data_home()


def _requires(folder):
    return pytest.mark.skipif(
        not (HOME / folder).is_dir(),
        reason=f"shared {folder} data not found (set SKTIME_HEPA_DATA)",
    )


# loader, data folder, number of features, series count
SPECS = {
    "ettm1": (load_ettm1, "ett", 7, 1),
    "weather": (load_weather, "weather", 21, 1),
    "beijing": (load_beijing_air, "beijing_air", 11, 12),
    "vix": (load_vix, "vix", 6, 1),
}
_cache = {}


def _load(key):
    # each real file is read once per session (Beijing takes ~1.5 s)
    if key not in _cache:
        _cache[key] = SPECS[key][0]()
    return _cache[key]


def _params(keys=SPECS):
    return [pytest.param(k, marks=[pytest.mark.data, _requires(SPECS[k][1])]) for k in keys]


# --------------------------------------------------------------------- helpers


def test_merge_short_gaps():
    a = np.array([0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0], dtype=bool)
    np.testing.assert_array_equal(merge_short_gaps(a, 0), a)
    np.testing.assert_array_equal(
        merge_short_gaps(a, 2).astype(int), [0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0]
    )
    np.testing.assert_array_equal(
        merge_short_gaps(a, 3).astype(int), [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]
    )
    # gaps at the edges are not runs between two episodes
    assert not merge_short_gaps(a, 10)[[0, -1]].any()
    assert not merge_short_gaps(np.zeros(5, bool), 3).any()


def test_trailing_zscore_is_causal_and_floored():
    rng = np.random.default_rng(0)
    x = pd.Series(rng.normal(size=200))
    z = trailing_zscore(x, 10, 0.01)
    assert np.isnan(z[:10]).all() and np.isfinite(z[10:]).all()
    # step t is scored against steps t-10 .. t-1 only
    past = x.iloc[40:50]
    assert z[50] == pytest.approx((x[50] - past.mean()) / past.std(ddof=0))
    x2 = x.copy()
    x2.iloc[120:] += 100.0
    np.testing.assert_array_equal(trailing_zscore(x2, 10, 0.01)[:120], z[:120])
    # a flat stretch uses the floor instead of dividing by zero
    flat = pd.Series(np.r_[np.zeros(20), 1.0])
    assert trailing_zscore(flat, 10, 0.5)[-1] == pytest.approx(2.0)


# --------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("loader", [load_ettm1, load_weather, load_beijing_air, load_vix])
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"event": "start"}, "event"),
        ({"quantile": 1.0}, "quantile"),
        ({"quantile": 0}, "quantile"),
        ({"quantile": "0.9"}, "quantile"),
        ({"merge_gap": -1}, "merge_gap"),
        ({"merge_gap": 1.5}, "merge_gap"),
    ],
)
def test_invalid_arguments(tmp_path, loader, kwargs, match):
    # validated before any file is read
    with pytest.raises(ValueError, match=match):
        loader(data_home=tmp_path, **kwargs)


@pytest.mark.parametrize(
    "loader, kwargs",
    [
        (load_ettm1, {"window": 1}),
        (load_weather, {"window": "day"}),
        (load_beijing_air, {"stations": ["Nowhere"]}),
        (load_beijing_air, {"stations": "Dongsi"}),
        (load_beijing_air, {"stations": ["Dongsi", "Dongsi"]}),
        (load_beijing_air, {"stations": []}),
    ],
)
def test_invalid_loader_specific(tmp_path, loader, kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        loader(data_home=tmp_path, **kwargs)


@pytest.mark.parametrize("loader", [load_ettm1, load_weather, load_beijing_air, load_vix])
def test_missing_folder(tmp_path, loader):
    with pytest.raises(FileNotFoundError, match="SKTIME_HEPA_DATA"):
        loader(data_home=tmp_path)


# --------------------------------------------------------------------- real data: contract


@pytest.mark.parametrize("key", _params())
def test_stream_contract(key):
    _, _, n_features, n_series = SPECS[key]
    data = _load(key)
    assert data.context_length == 512 and data.horizons == 200 and data.event == "onset"
    assert len(data.feature_names) == n_features
    n_rows = {}
    for split in ("train", "val", "test"):
        X, y, lab = data[f"X_{split}"], data[f"y_{split}"], data[f"labels_{split}"]
        assert list(X.columns) == data.feature_names
        assert (X.dtypes == np.float64).all() and np.isfinite(X.to_numpy()).all()
        assert X.index.names == ["series", "time"] and X.index.is_monotonic_increasing
        assert X.index.get_level_values(0).nunique() == n_series
        assert len(y) == len(X) == len(lab) == len(data[f"dates_{split}"])
        n_rows[split] = len(X) // n_series
    # 60/20/20 of every series
    total = sum(n_rows.values())
    assert n_rows["train"] == round(0.6 * total)
    assert n_rows["val"] == round(0.8 * total) - round(0.6 * total)
    # chronological: every training row precedes every validation row, and so on
    assert data.dates_train.max() < data.dates_val.min()
    assert data.dates_val.max() < data.dates_test.min()
    # z-score fitted on train
    np.testing.assert_allclose(data.X_train.mean(), 0.0, atol=1e-9)
    np.testing.assert_allclose(data.X_train.std(ddof=0), 1.0, atol=1e-9)
    assert abs(data.X_test.mean()).max() > 1e-3  # not re-fitted on test
    # the event exists in train and in test
    for split in ("train", "test"):
        prev = data.prevalence[split]
        assert prev["events"] > 0 and 0 < prev["active_rate"] < 0.25
        assert 0 < prev["dt=1"] < prev["dt=100"] < prev["dt=200"] < 1


@pytest.mark.parametrize("key", _params())
def test_targets_aligned_with_onsets(key):
    data = _load(key)
    X, y, lab = data.X_test, data.y_test, data.labels_test.astype(bool)
    series = X.index.get_level_values(0).to_numpy()
    same = np.r_[False, series[1:] == series[:-1]]
    onset = lab & ~(np.r_[False, lab[:-1]] & same)
    assert onset.sum() == data.prevalence["test"]["events"]
    # the row right before an onset sees the event one step ahead
    before = np.flatnonzero(onset[1:] & same[1:])
    assert y["event"][before].all() and (y["time"][before] == 1).all()
    # a series' last row has nothing after it: censored, time 0
    last = np.r_[series[1:] != series[:-1], True]
    assert (~y["event"][last]).all() and (y["time"][last] == 0).all()


def _raw_target_train(key, data):
    """The training values of the thresholded score, recomputed from the raw file."""
    n = len(data.X_train) // len(pd.unique(data.X_train.index.get_level_values(0)))
    if key == "vix":
        raw = pd.read_csv(HOME / "vix" / "VIX_History.csv.gz")
        return raw["CLOSE"].to_numpy()[:n]
    if key == "beijing":
        vals = []
        for station in data.stations:
            raw = pd.read_csv(
                HOME / "beijing_air" / f"PRSA_Data_{station}_20130301-20170228.csv.gz",
                usecols=["PM2.5"],
            )
            vals.append(raw["PM2.5"].ffill().bfill().to_numpy()[:n])
        return np.concatenate(vals)
    path, col = {
        "ettm1": ("ett/ETTm1.csv.gz", "OT"),
        "weather": ("weather/weather.csv.gz", "T (degC)"),
    }[key]
    x = pd.read_csv(HOME / path, usecols=[col])[col]
    z = trailing_zscore(x, data.window, data.std_floor)[:n]
    return z[np.isfinite(z)]


@pytest.mark.parametrize("key", _params())
def test_threshold_is_training_quantile(key):
    data = _load(key)
    expected = np.quantile(_raw_target_train(key, data), data.quantile)
    assert data.threshold == pytest.approx(expected)
    assert f"{data.quantile:g}-quantile" in data.event_definition


@pytest.mark.data
@_requires("vix")
def test_vix_threshold_ignores_test_period(tmp_path):
    data = _load("vix")
    raw = pd.read_csv(HOME / "vix" / "VIX_History.csv.gz")
    cut = round(0.8 * len(raw))
    raw.loc[cut:, ["OPEN", "HIGH", "LOW", "CLOSE"]] *= 10  # a wildly different test period
    (tmp_path / "vix").mkdir()
    with gzip.open(tmp_path / "vix" / "VIX_History.csv.gz", "wt") as fh:
        raw.to_csv(fh, index=False)
    moved = load_vix(data_home=tmp_path)
    assert moved.threshold == data.threshold
    np.testing.assert_array_equal(moved.labels_train, data.labels_train)
    np.testing.assert_array_equal(moved.labels_val, data.labels_val)
    pd.testing.assert_series_equal(moved.zscore_mean, data.zscore_mean)
    assert moved.labels_test.all()  # x10 puts every test close above the level


@pytest.mark.data
@_requires("vix")
def test_vix_features_and_event_modes():
    data = _load("vix")
    assert data.feature_names == ["open", "high", "low", "close", "log_return", "log_range"]
    raw = data.X_train * data.zscore_std + data.zscore_mean
    assert (raw["open"] >= raw["low"] - 1e-9).all() and (raw["open"] <= raw["high"] + 1e-9).all()
    assert raw["log_return"].iloc[0] == pytest.approx(0.0)
    active = load_vix(event="active", merge_gap=0)
    np.testing.assert_array_equal(active.labels_train, (raw["close"] > data.threshold).to_numpy())
    assert active.prevalence["train"]["events"] == active.labels_train.sum()
    # merging gaps only adds active days and removes onsets
    assert (data.labels_train >= active.labels_train).all()
    assert data.prevalence["train"]["events"] < (np.diff(np.r_[0, active.labels_train]) == 1).sum()


@pytest.mark.data
@_requires("beijing_air")
def test_beijing_stations():
    data = _load("beijing")
    assert data.feature_names == [
        "PM2.5", "PM10", "SO2", "NO2", "CO", "O3", "TEMP", "PRES", "DEWP", "RAIN", "WSPM",
    ]  # fmt: skip
    assert len(data.stations) == 12 and data.threshold == 345.0
    # every station is split at the same hour: 35,064 hours = 21,038 + 7,013 + 7,013
    sizes = data.X_train.groupby(level="series").size()
    assert (sizes == 21038).all() and list(sizes.index) == sorted(data.stations)
    t = data.X_val.index.get_level_values("time")
    assert t.min() == 21038 and t.max() == 28050
    sub = load_beijing_air(stations=["Dongsi", "Huairou"])
    assert sub.X_train.index.get_level_values(0).unique().tolist() == ["Dongsi", "Huairou"]


@pytest.mark.data
@_requires("weather")
def test_weather_missing_code_filled():
    data = _load("weather")
    raw = pd.concat([data.X_train, data.X_val, data.X_test]) * data.zscore_std + data.zscore_mean
    assert (raw > -9000).all().all()  # the -9999 missing code is gone
    assert data.target == "T (degC)"


# --------------------------------------------------------------------- C-MAPSS regimes


requires_cmapss = pytest.mark.skipif(
    not (HOME / "cmapss" / "train_FD002.txt.gz").is_file(), reason="shared C-MAPSS not found"
)


@pytest.mark.data
@requires_cmapss
def test_cmapss_fd002_regime_scaling():
    data = load_cmapss("FD002", scaling="regime")
    assert data.context_length is None and data.horizons == 150
    assert data.regime_centers.shape == (6, 3)
    np.testing.assert_allclose(data.regime_centers["setting_1"], [0, 10, 20, 25, 35, 42], atol=0.01)
    # six regimes, found exactly: one per rounded altitude, in train and in test
    for split in ("train", "test"):
        regime = data[f"regime_{split}"]
        alt = data[f"settings_{split}"]["setting_1"].round().to_numpy()
        assert len(regime) == len(data[f"X_{split}"])
        assert pd.crosstab(regime, alt).gt(0).sum(axis=1).eq(1).all()
        assert np.unique(regime).tolist() == list(range(6))
    assert np.bincount(data.regime_train).tolist() == [8044, 8096, 8122, 8002, 8037, 13458]
    # every sensor z-scored within its regime on train
    grouped = data.X_train.groupby(data.regime_train)
    np.testing.assert_allclose(grouped.mean(), 0.0, atol=1e-8)
    np.testing.assert_allclose(grouped.std(ddof=0), 1.0, atol=1e-8)
    # test rows use the training parameters of their regime
    raw = load_cmapss("FD002", scaling=None)
    r = data.regime_test
    expected = (raw.X_test - data.regime_mean.to_numpy()[r]) / data.regime_std.to_numpy()[r]
    pd.testing.assert_frame_equal(data.X_test, expected)
    # regime normalisation removes the operating-condition jumps of the raw sensors
    assert grouped.mean().abs().max().max() < 1e-8
    assert raw.X_train.groupby(data.regime_train).mean().std().min() > 0


@pytest.mark.data
@requires_cmapss
def test_cmapss_fd001_regime_auto_is_one():
    data = load_cmapss("FD001", scaling="regime")
    assert (data.regime_train == 0).all() and (data.regime_test == 0).all()
    np.testing.assert_allclose(data.X_train.mean(), 0.0, atol=1e-8)
    forced = load_cmapss("FD001", scaling="regime", n_regimes=2)
    assert np.unique(forced.regime_train).tolist() == [0, 1]
    minmax = load_cmapss("FD001")
    assert minmax.regime_train is None and minmax.horizons == 150
    np.testing.assert_allclose(minmax.X_train.min(), 0.0)


def _write_two_regime_cmapss(folder):
    """Official-format FD002 files whose rows alternate between two flight conditions."""
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    conditions = np.array([[0.0, 0.0, 100.0], [20.0, 0.7, 100.0]])
    offsets = np.array([0.0, 50.0])  # the condition shifts every sensor by 50

    def rows(lengths, first):
        out = []
        for unit, n in enumerate(lengths, start=1):
            for cycle in range(1, n + 1):
                k = (cycle + first) % 2
                settings = conditions[k] + rng.normal(scale=1e-3, size=3)
                sensors = offsets[k] + rng.normal(size=21)
                vals = " ".join(f"{v:.4f}" for v in np.r_[settings, sensors])
                out.append(f"{unit} {cycle} {vals}  ")
        return "\n".join(out) + "\n"

    for name, text in [
        ("train_FD002.txt", rows([20, 30], 0)),
        ("test_FD002.txt", rows([7, 8], 1)),
        ("RUL_FD002.txt", "10\n20\n"),
    ]:
        with gzip.open(folder / f"{name}.gz", "wt") as fh:
            fh.write(text)


def test_cmapss_regime_fake_files(tmp_path):
    _write_two_regime_cmapss(tmp_path / "cmapss")
    raw = load_cmapss("FD002", data_home=tmp_path, scaling=None)
    data = load_cmapss("FD002", data_home=tmp_path, scaling="regime")
    np.testing.assert_allclose(data.regime_centers["setting_1"], [0, 20], atol=0.01)
    expected = (raw.settings_train["setting_1"] > 10).to_numpy().astype(int)
    np.testing.assert_array_equal(data.regime_train, expected)
    expected = (raw.settings_test["setting_1"] > 10).to_numpy().astype(int)
    np.testing.assert_array_equal(data.regime_test, expected)
    grouped = data.X_train.groupby(data.regime_train)
    np.testing.assert_allclose(grouped.mean(), 0.0, atol=1e-9)
    np.testing.assert_allclose(grouped.std(ddof=0), 1.0, atol=1e-9)
    # the 50-unit condition offset is gone from test too
    assert data.X_test.abs().to_numpy().max() < 6
    assert raw.X_test.to_numpy().max() > 40
    # "auto" found 2; forcing 1 is a plain z-score that keeps the offset
    one = load_cmapss("FD002", data_home=tmp_path, scaling="regime", n_regimes=1)
    assert (one.regime_train == 0).all()
    assert one.X_train.groupby(data.regime_train).mean().abs().min().min() > 0.9
    with pytest.raises(ValueError, match="n_regimes"):
        load_cmapss("FD002", data_home=tmp_path, scaling="regime", n_regimes=500)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scaling": "regimes"},
        {"scaling": "zscore"},
        {"scaling": "regime", "n_regimes": 0},
        {"scaling": "regime", "n_regimes": "six"},
        {"scaling": "regime", "n_regimes": 2.5},
    ],
)
def test_cmapss_bad_scaling(tmp_path, kwargs):
    with pytest.raises(ValueError, match="scaling|n_regimes"):
        load_cmapss(data_home=tmp_path, **kwargs)
