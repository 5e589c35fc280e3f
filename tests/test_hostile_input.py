"""Inputs a hostile (or hurried) user passes: a clear ValueError or a named warning.

Each test is one input that used to be read wrongly without a word, or to fail
with a torch / pandas / numpy message instead of one naming the problem.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_predictor, tiny_pretrainer
from sklearn.base import BaseEstimator

from sktime_hepa._training import resolve_device
from sktime_hepa.panel import SeriesLayoutWarning, as_panel, fit_channel_scaling
from sktime_hepa.targets import (
    EventLabelWarning,
    target_from_event_labels,
    validate_event_target,
)


class _Reader(BaseEstimator):
    """A bare estimator for reading X with ``as_panel`` without training anything."""


def _read(X, reset=True, estimator=None):
    return as_panel(X, estimator=_Reader() if estimator is None else estimator, reset=reset)


def _frame(lengths=(12, 10), n_sensors=3, seed=0):
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_tuples(
        [(u, t) for u, n in enumerate(lengths) for t in range(n)], names=["unit", "cycle"]
    )
    return pd.DataFrame(
        rng.normal(size=(len(index), n_sensors)),
        index=index,
        columns=[f"s{i}" for i in range(n_sensors)],
    )


@pytest.fixture
def no_layout_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeriesLayoutWarning)
        yield


# -- 1. flat frames ------------------------------------------------------------------


def test_flat_frame_is_refused(rtf_data, fitted_pretrainer):
    X, _ = rtf_data
    flat = X.reset_index()
    match = r"flat frame.*'unit'.*'cycle'.*X\.set_index\(\['unit', 'cycle'\]\)"
    with pytest.raises(ValueError, match=match):
        tiny_pretrainer().fit(flat)
    with pytest.raises(ValueError, match=match):
        fitted_pretrainer.transform(flat)
    # unnamed index levels become level_0 / level_1
    unnamed = X.rename_axis([None, None]).reset_index()
    with pytest.raises(ValueError, match=r"X\.set_index\(\['level_0', 'level_1'\]\)"):
        _read(unnamed)
    # names that say nothing: integer ids in runs, a time that restarts with every id
    anonymous = flat.set_axis(["a", "b", *X.columns], axis=1)
    with pytest.raises(ValueError, match=r"X\.set_index\(\['a', 'b'\]\)"):
        _read(anonymous)
    # string ids and datetime stamps are found too
    stamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(flat["cycle"], unit="h")
    named = flat.assign(unit="pump-" + flat["unit"].astype(str), cycle=stamps)
    with pytest.raises(ValueError, match="flat frame"):
        _read(named)
    # an id column without a time column
    with pytest.raises(ValueError, match=r"groupby\('unit'\)\.cumcount\(\)"):
        _read(flat.drop(columns="cycle"))


def test_flat_frame_check_leaves_single_series_alone(no_layout_warning):
    rng = np.random.default_rng(0)
    n = 60
    sensors = pd.DataFrame(rng.normal(size=(n, 3)), columns=["s0", "s1", "s2"])
    mode = np.repeat(np.arange(6), 10)  # a step-wise operating setting
    frames = [
        sensors,
        pd.DataFrame(rng.normal(size=(n, 3))),  # integer column labels
        sensors.assign(mode=mode)[["mode", "s0", "s1"]],  # runs, but no time column
        sensors.assign(cycle=np.arange(n))[["cycle", "s0"]],  # a time, no ids
        sensors.assign(counts=rng.integers(0, 5, n))[["counts", "s0"]],
        sensors.assign(unit=0)[["unit", "s0", "s1"]],  # one "unit", no time column
    ]
    for X in frames:
        panel = _read(X)
        assert len(panel.series) == 1 and panel.n_rows == n


# -- 2. a 2-D X after a multi-series fit ------------------------------------------------


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_2d_input_after_multi_series_fit_warns(rtf_data, fitted_predictor):
    X, _ = rtf_data
    pre = fitted_predictor.pretrainer_
    assert fitted_predictor._panel_format_ == "multiindex"
    assert fitted_predictor._panel_n_series_ == 12
    with pytest.warns(SeriesLayoutWarning, match=r"read as ONE series of \d+ steps.*12 series"):
        surface = fitted_predictor.predict_surface(X.to_numpy())
    assert surface.shape[0] == len(X)
    with pytest.warns(SeriesLayoutWarning, match="MultiIndex"):
        pre.transform(X.reset_index(drop=True))


def test_2d_input_not_flagged_when_it_fits_one_series(rtf_data, fitted_predictor):
    X, _ = rtf_data
    one = X.loc[X.index.get_level_values(0)[0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeriesLayoutWarning)
        warnings.filterwarnings("ignore", "X does not have valid feature names")
        fitted_predictor.predict_surface(one.to_numpy())  # one unit, as a 2-D array
        fitted_predictor.predict_surface(X)
        # embeddings never reach the series reader
        H = fitted_predictor.pretrainer_.transform(X)
        est = tiny_predictor("passthrough", max_epochs=1).fit(H, rtf_data[1])
        est.predict_surface(H)
    # a single-series fit: any 2-D X is read as that single series was
    series = np.random.default_rng(0).normal(size=(30, 3))
    reader = _Reader()
    _read(series, estimator=reader)
    assert reader._panel_format_ == "array2d" and reader._panel_n_series_ == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeriesLayoutWarning)
        _read(np.r_[series, series], reset=False, estimator=reader)


# -- 3. labels -----------------------------------------------------------------------


def _steps(n=30, every=5):
    y = np.zeros(n, dtype=int)
    y[every - 1 :: every] = 1
    return y


@pytest.mark.parametrize(
    "labels, first, second",
    [
        (np.array(["normal", "failure"]), "failure", "normal"),
        (np.array([-1, 1]), -1, 1),
        (np.array([1, -1]), -1, 1),
        (np.array([1, 2]), 1, 2),
        (np.array(["0", "1"]), "0", "1"),
    ],
    ids=["strings", "signed", "signed-event-first", "one-two", "digit-strings"],
)
def test_two_labels_other_than_0_1_warn_and_name_the_event(labels, first, second):
    y = labels[_steps()]
    match = (
        rf"two labels {first!r} and {second!r}, not 0/1 or booleans.*ambiguous: the "
        rf"larger, {second!r}, is taken as the event.*pass y == {first!r}.*0/1 \(1 = event\)"
    )
    with pytest.warns(EventLabelWarning, match=match):
        target, classes = validate_event_target(y, n_rows=30, groups=None, estimator_name="E")
    assert classes.tolist() == [first, second]  # sklearn's classes_, the event last
    np.testing.assert_array_equal(target, target_from_event_labels(y == second))
    with pytest.warns(EventLabelWarning):
        est = tiny_predictor(max_epochs=1).fit(np.zeros((30, 2)), y)
    assert est.classes_.tolist() == [first, second]
    # saying which label is the event silences it
    with warnings.catch_warnings():
        warnings.simplefilter("error", EventLabelWarning)
        validate_event_target(y == first, n_rows=30, groups=None, estimator_name="E")


@pytest.mark.parametrize(
    "y, classes",
    [
        (_steps(), [0, 1]),
        (_steps().astype(float), [0.0, 1.0]),
        (_steps().astype(bool), [False, True]),
        (pd.Series(_steps().astype(bool)), [False, True]),
        (_steps().astype(np.uint8), [0, 1]),
    ],
    ids=["int", "float", "bool", "bool-series", "uint8"],
)
def test_0_1_and_boolean_labels_are_accepted(y, classes):
    with warnings.catch_warnings():
        warnings.simplefilter("error", EventLabelWarning)
        target, found = validate_event_target(y, n_rows=30, groups=None, estimator_name="E")
    assert found.tolist() == classes
    np.testing.assert_array_equal(target, target_from_event_labels(_steps()))


def test_one_label_only_still_says_so():
    with pytest.raises(ValueError, match="only one class \\('failure'\\)"):
        validate_event_target(
            np.array(["failure"] * 30), n_rows=30, groups=None, estimator_name="E"
        )


# -- 4. values near the float32 limit ----------------------------------------------------


def test_values_near_1e30_keep_their_scale(rtf_data):
    X, _ = rtf_data
    big = X * 1e30
    pre = tiny_pretrainer(max_epochs=1).fit(big)
    assert np.isfinite(pre.scale_).all() and np.isfinite(pre.mean_).all()
    np.testing.assert_allclose(pre.scale_, big.to_numpy().std(axis=0), rtol=1e-5)
    assert np.isfinite(pre.transform(big)).all()


def test_values_beyond_float32_are_refused():
    X = _frame()
    X.iloc[3, 1] = 1e39
    with pytest.raises(ValueError, match=r"1e\+39 in column 's1', beyond float32"):
        tiny_pretrainer().fit(X)
    arr = np.random.default_rng(0).normal(size=(3, 2, 10))
    arr[1, 1, 4] = -5e38
    with pytest.raises(ValueError, match="5e\\+38 in channel 1, beyond float32"):
        _read(arr)


def test_fit_channel_scaling_refuses_what_float32_cannot_scale():
    ok = np.random.default_rng(0).normal(size=(20, 1)).astype(np.float32)
    span = np.array([[3e38]] * 9 + [[-3e38]], dtype=np.float32)  # x - mean overflows
    with pytest.raises(ValueError, match="channel 1 of X span more than float32"):
        fit_channel_scaling([np.c_[ok[:10], span]])
    with pytest.raises(ValueError, match="'temp' of X span more than float32"):
        fit_channel_scaling([np.c_[ok[:10], span]], names=["p", "temp"])
    huge = np.array([[1e200], [-1e200]])  # float64 in: its std is beyond float32
    with pytest.raises(ValueError, match="std of channel 0 of X is not finite"):
        fit_channel_scaling([huge])
    mean, scale = fit_channel_scaling([np.full((5, 1), 1e30, np.float32), ok[:5]])
    assert scale.dtype == mean.dtype == np.float32 and np.isfinite(scale).all()
    constant = fit_channel_scaling([np.full((5, 2), 7.0, np.float32)])[1]
    np.testing.assert_array_equal(constant, [1.0, 1.0])


# -- 5. 3-D layout ---------------------------------------------------------------------


def test_3d_with_more_channels_than_timepoints_warns():
    X = np.random.default_rng(0).normal(size=(4, 30, 5))  # (n, T, C) by mistake
    with pytest.warns(SeriesLayoutWarning, match=r"np\.transpose\(X, \(0, 2, 1\)\)"):
        panel = _read(X)
    assert panel.n_channels == 30  # read as asked, in sktime's layout
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeriesLayoutWarning)
        assert _read(np.transpose(X, (0, 2, 1))).n_channels == 5


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_transposed_3d_at_predict(fitted_pretrainer):
    X = np.random.default_rng(0).normal(size=(2, 3, 20))  # 3 channels, as fitted
    assert fitted_pretrainer.transform(X).shape == (40, 16)
    with pytest.raises(ValueError, match=r"looks transposed.*np\.transpose\(X, \(0, 2, 1\)\)"):
        fitted_pretrainer.transform(np.transpose(X, (0, 2, 1)))


# -- 6. raw library messages replaced ---------------------------------------------------


def test_string_column_is_named():
    X = _frame()
    X["s1"] = X["s1"].astype(str)
    with pytest.raises(ValueError, match="column 's1' of X holds strings"):
        tiny_pretrainer().fit(X)
    X["s1"] = "a"
    with pytest.raises(ValueError, match="column 's1' of X holds strings"):
        tiny_pretrainer().fit(X)
    with pytest.raises(ValueError, match="column 2 of X holds strings"):
        _read(np.array([[1.0, 2, "x"]] * 4, dtype=object))
    with pytest.raises(TypeError, match="column 1 of X holds values that are not numbers"):
        _read(np.array([[1.0, {"foo": "bar"}]] * 4, dtype=object))
    with pytest.raises(ValueError, match="column 's0' of X is categorical"):
        _read(_frame().assign(s0=pd.Categorical(["a", "b"] * 11)))
    dates = pd.date_range("2024", periods=22, freq="D")
    with pytest.raises(ValueError, match="column 'when' of X holds datetime64"):
        _read(_frame().reset_index(drop=True).assign(when=dates))


def test_zero_columns_and_zero_rows():
    X = _frame()
    with pytest.raises(ValueError, match=r"X has 0 feature\(s\).*at least one sensor"):
        tiny_pretrainer().fit(X[[]])
    with pytest.raises(ValueError, match=r"X has 0 feature\(s\).*at least one sensor"):
        _read(np.zeros((3, 0, 5)))
    for empty in (X.iloc[:0], X.reset_index(drop=True).iloc[:0], np.zeros((0, 3))):
        with pytest.raises(ValueError, match=r"X has 0 sample\(s\).*no time step"):
            tiny_pretrainer().fit(empty)


def test_zero_rows_at_predict(fitted_pretrainer, rtf_data):
    X, _ = rtf_data
    with pytest.raises(ValueError, match=r"X has 0 sample\(s\).*no time step"):
        fitted_pretrainer.transform(X.iloc[:0])


def test_list_of_frames_or_arrays():
    X = _frame()
    frames = [X.loc[0], X.loc[1]]
    with pytest.raises(ValueError, match=r"list of 2 DataFrames.*pd\.concat\(frames, keys="):
        tiny_pretrainer().fit(frames)
    joined = pd.concat(frames, keys=range(len(frames)))
    assert _read(joined).lengths.tolist() == [12, 10]
    with pytest.raises(ValueError, match="list of 2 2-D arrays.*np.stack"):
        _read([f.to_numpy() for f in frames])
    assert _read([[0.0, 1.0], [2.0, 3.0]]).n_rows == 2  # a list of rows is still 2-D


def test_tz_aware_and_period_time_levels_are_accepted():
    X = _frame()
    cycles = X.index.get_level_values(1).to_numpy()
    # hourly across the spring DST change, in a tz-aware local time
    start = pd.Timestamp("2024-03-30 22:00", tz="Europe/Paris")
    stamps = pd.DatetimeIndex(start + pd.to_timedelta(cycles, unit="h"))
    periods = pd.PeriodIndex([pd.Period("2024-01", freq="M") + int(c) for c in cycles])
    expected = _read(X)
    for times in (stamps, periods):
        other = X.set_axis(pd.MultiIndex.from_arrays([X.index.get_level_values(0), times]))
        panel = _read(other)
        np.testing.assert_array_equal(panel.offsets, expected.offsets)
        single = other.loc[0]
        assert _read(single).n_rows == 12
        with pytest.raises(ValueError, match="not sorted within a series"):
            _read(single.iloc[::-1])
        with pytest.raises(ValueError, match="duplicate time stamps"):
            _read(single.iloc[[0, 0, 1]])
    assert tiny_pretrainer(max_epochs=1).fit(other).transform(other).shape == (22, 16)


@pytest.mark.parametrize("device", ["banana", "CPU", "cuda:x", ""])
def test_bad_device_string(device):
    match = r"is not a device; use one of \"auto\", \"cpu\", \"cuda\", \"cuda:N\".*\"mps\""
    with pytest.raises(ValueError, match=match):
        resolve_device(device)
    with pytest.raises(ValueError, match="is not a device"):
        tiny_pretrainer(device=device).fit(np.zeros((10, 2)))


def test_valid_device_strings():
    import torch

    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in ("cpu", "cuda")
    if not torch.backends.mps.is_available():
        with pytest.raises(ValueError, match="MPS is not available"):
            resolve_device("mps")


def test_series_split_across_folds_is_flagged(rtf_data):
    """An integer cv scatters a series' rows over folds: holes in every time index."""
    from sktime_hepa import SeriesLayoutWarning

    X, y = rtf_data
    keep = np.arange(len(X)) % 3 != 0  # what a row-wise fold would leave for training
    with pytest.warns(SeriesLayoutWarning, match="GroupKFold"):
        tiny_pretrainer(max_epochs=1).fit(X.iloc[keep])
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeriesLayoutWarning)
        tiny_pretrainer(max_epochs=1).fit(X)  # whole series: silent


def test_a_gap_at_predict_time_is_named(rtf_data, fitted_pretrainer):
    """Irregular time steps are checked at predict time too, against the training step."""
    X, _ = rtf_data
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeriesLayoutWarning)
        fitted_pretrainer.transform(X)  # the training layout: silent
    holed = X.drop(index=X.index[5])
    with pytest.warns(SeriesLayoutWarning, match=r"time steps of X differ.*steps by 2"):
        fitted_pretrainer.transform(holed)
    slower = X.set_axis(
        X.index.set_levels(X.index.levels[1] * 10, level=1), axis=0
    )  # another sampling rate
    with pytest.warns(SeriesLayoutWarning, match="steps by 10"):
        fitted_pretrainer.transform(slower)
