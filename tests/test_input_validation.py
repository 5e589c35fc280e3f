"""Bad inputs give a ValueError that names the problem, never a torch traceback."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_predictor, tiny_pretrainer
from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import InvalidParameterError

from sktime_hepa.targets import SURVIVAL_DTYPE, make_survival_target


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


def _labels(n, every=5):
    y = np.zeros(n, dtype=int)
    y[every - 1 :: every] = 1
    return y


@pytest.fixture(scope="module")
def series():
    return np.random.default_rng(0).normal(size=(30, 3))


@pytest.fixture(scope="module")
def fitted(series):
    """(fitted pretrainer, fitted predictor) on the 3-sensor ``series``."""
    pre = tiny_pretrainer().fit(series)
    return pre, tiny_predictor(FrozenEstimator(pre)).fit(series, _labels(len(series)))


# -- X -----------------------------------------------------------------------------


@pytest.mark.parametrize("bad, match", [(np.nan, "NaN"), (np.inf, "infinity")])
@pytest.mark.parametrize("kind", ["2d", "multiindex", "3d"])
def test_nan_inf_in_X(series, bad, match, kind):
    X = series.copy()
    X[4, 1] = bad
    if kind == "multiindex":
        X = _frame((20, 10))
        X.iloc[4, 1] = bad
    elif kind == "3d":
        X = np.stack([X.T, X.T])
    with pytest.raises(ValueError, match=match):
        tiny_pretrainer().fit(X)
    with pytest.raises(ValueError, match=match):
        tiny_predictor().fit(X, _labels(len(series) * (2 if kind == "3d" else 1)))


def test_nan_in_X_at_predict(series, fitted):
    pre, est = fitted
    X = series.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        pre.transform(X)
    with pytest.raises(ValueError, match="NaN"):
        est.predict_surface(X)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros(10), "Expected 2D array, got 1D array"),
        (np.zeros((2, 3, 4, 5)), "dim 4"),
    ],
    ids=["1d", "4d"],
)
def test_wrong_dimensionality(X, match, fitted):
    pre, est = fitted
    with pytest.raises(ValueError, match=match):
        tiny_pretrainer().fit(X)
    with pytest.raises(ValueError, match=match):
        tiny_predictor().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match=match):
        pre.transform(X)
    with pytest.raises(ValueError, match=match):
        est.predict_surface(X)


def test_unsorted_time_index_multiindex():
    X = _frame()
    order = np.arange(len(X))
    order[[3, 4]] = order[[4, 3]]
    with pytest.raises(ValueError, match="not sorted within a series"):
        tiny_pretrainer().fit(X.iloc[order])


def test_unsorted_time_index_single_series_frame(series):
    X = pd.DataFrame(series, index=np.r_[np.arange(10), np.arange(20)[::-1] + 10])
    with pytest.raises(ValueError, match="not sorted"):
        tiny_pretrainer().fit(X)
    with pytest.raises(ValueError, match="not sorted"):
        tiny_predictor().fit(X, _labels(len(X)))


@pytest.mark.parametrize("kind", ["multiindex", "single"])
def test_duplicate_time_stamps(kind, series):
    if kind == "multiindex":
        X = _frame()
        codes = X.index.codes[1].copy()
        codes[5] = codes[4]
        X.index = X.index.set_codes(codes, level=1, verify_integrity=False)
    else:
        X = pd.DataFrame(series, index=np.r_[0, np.arange(len(series) - 1)])
    with pytest.raises(ValueError, match="duplicate time stamps"):
        tiny_pretrainer().fit(X)


def test_missing_or_non_numeric_index_values():
    X = _frame((5, 5))
    times = X.index.get_level_values(1).to_numpy(float)
    times[2] = np.nan
    with pytest.raises(ValueError, match="time index of X contains missing values"):
        tiny_pretrainer().fit(X.set_axis([X.index.get_level_values(0), times]))
    ids = X.index.get_level_values(0).to_numpy(float)
    ids[7] = np.nan
    with pytest.raises(ValueError, match="series ids of X .* missing values"):
        tiny_pretrainer().fit(X.set_axis([ids, X.index.get_level_values(1)]))
    with pytest.raises(ValueError, match="numeric or datetime-like"):
        tiny_pretrainer().fit(X.set_axis([X.index.get_level_values(0), [*"abcdeabcde"]]))
    single = pd.DataFrame(np.zeros((5, 2)), index=[*"abcde"])
    with pytest.raises(ValueError, match="numeric or datetime-like"):
        tiny_pretrainer().fit(single)


def test_datetime_time_index_and_string_ids_are_accepted():
    X = _frame((10, 10))
    stamps = pd.date_range("2024-01-01", periods=10, freq="h")
    X.index = pd.MultiIndex.from_product([["pump-a", "pump-b"], stamps])
    assert tiny_pretrainer(max_epochs=1).fit(X).transform(X).shape == (20, 16)
    single = X.loc["pump-a"]
    assert tiny_pretrainer(max_epochs=1).fit(single).transform(single).shape == (10, 16)


def test_non_contiguous_series_rows():
    X = _frame((6, 6, 6))
    order = np.r_[0:6, 12:15, 6:12, 15:18]  # unit 2 split around unit 1
    with pytest.raises(ValueError, match="contiguous"):
        tiny_pretrainer().fit(X.iloc[order])


def test_multiindex_with_three_levels():
    X = _frame()
    X.index = pd.MultiIndex.from_arrays(
        [np.zeros(len(X), int), *[X.index.get_level_values(i) for i in range(2)]]
    )
    with pytest.raises(ValueError, match="3 levels"):
        tiny_pretrainer().fit(X)


def test_feature_count_differs_at_predict(series, fitted):
    pre, est = fitted
    X4 = np.c_[series, series[:, :1]]
    with pytest.raises(ValueError, match="features"):
        pre.transform(X4)
    with pytest.raises(ValueError, match="features"):
        est.predict_surface(X4)
    with pytest.raises(ValueError, match="features"):
        est.predict_proba(np.stack([X4.T]))


def test_empty_X():
    with pytest.raises(ValueError, match="0 sample"):
        tiny_pretrainer().fit(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="0 sample"):
        tiny_pretrainer().fit(_frame().iloc[:0])
    with pytest.raises(ValueError, match="no series or no time points"):
        tiny_pretrainer().fit(np.zeros((0, 3, 10)))
    with pytest.raises(ValueError, match="no series or no time points"):
        tiny_pretrainer().fit(np.zeros((2, 3, 0)))
    with pytest.raises(ValueError, match="0 feature"):
        tiny_pretrainer().fit(np.zeros((10, 0)))


def test_X_too_short_to_pretrain():
    with pytest.raises(ValueError, match="2 or more steps"):
        tiny_pretrainer().fit(np.zeros((1, 3)))
    # series of one step each: nothing after any observation time
    with pytest.raises(ValueError, match="2 or more steps"):
        tiny_pretrainer().fit(np.zeros((5, 3, 1)))


def test_validation_split_leaves_nothing_to_train_on():
    # 3 of the 6 series are held out whole, the long one depending on the seed
    X = _frame((1, 1, 1, 1, 1, 40))
    raised = 0
    for seed in range(6):
        try:
            tiny_pretrainer(validation_fraction=0.5, max_epochs=1, random_state=seed).fit(X)
        except ValueError as exc:  # the long series was held out
            assert "lower validation_fraction" in str(exc)
            raised += 1
    assert 0 < raised < 6
    tiny_pretrainer(validation_fraction=0, max_epochs=1).fit(X)


# -- y -----------------------------------------------------------------------------


def test_y_wrong_length(series):
    with pytest.raises(ValueError, match="y has 29 rows but X has 30"):
        tiny_predictor().fit(series, _labels(29))
    y = make_survival_target(np.ones(31, bool), np.arange(31)[::-1])
    with pytest.raises(ValueError, match="y has 31 rows but X has 30"):
        tiny_predictor().fit(series, y)


def test_y_2d_not_a_column(series):
    y = np.c_[_labels(30), _labels(30)]
    with pytest.raises(ValueError, match="1d array"):
        tiny_predictor().fit(series, y)


def test_y_column_vector_is_accepted(series):
    with pytest.warns(Warning, match="column-vector y"):
        tiny_predictor(max_epochs=1).fit(series, _labels(30)[:, None])


def test_y_structured_with_wrong_fields(series):
    # scikit-survival's rule: (bool, number) under any names is a target (an all-censored
    # one here); a time first, or three fields, is not
    y = np.zeros(30, dtype=[("status", bool), ("duration", float)])
    with pytest.raises(ValueError, match="no row of y has a known label"):
        tiny_predictor().fit(series, y)
    for dtype in ([("duration", float), ("status", bool)], [("a", bool), ("b", float), ("c", int)]):
        with pytest.raises(ValueError, match="fields 'event' and 'time'"):
            tiny_predictor().fit(series, np.zeros(30, dtype=dtype))


def test_y_structured_with_bad_values(series):
    y = np.zeros(30, dtype=SURVIVAL_DTYPE)
    y["time"] = -1.0
    with pytest.raises(ValueError, match="non-negative"):
        tiny_predictor().fit(series, y)
    y["time"] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        tiny_predictor().fit(series, y)


def test_y_one_class(series):
    with pytest.raises(ValueError, match="only one class"):
        tiny_predictor().fit(series, np.zeros(30, int))


def test_y_three_classes(series):
    y = np.arange(30) % 3
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        tiny_predictor().fit(series, y)


def test_y_continuous(series):
    with pytest.raises(ValueError, match="Unknown label type"):
        tiny_predictor().fit(series, np.linspace(0, 1, 30))


def test_y_with_no_positive_cell(series):
    # every row censored: no event at any horizon
    y = make_survival_target(np.zeros(30, bool), np.arange(30)[::-1])
    with pytest.raises(ValueError, match="no positive cell"):
        tiny_predictor().fit(series, y)
    # the only event is the first step: no row has a later one
    y = np.zeros(30, int)
    y[0] = 1
    with pytest.raises(ValueError, match="no positive cell"):
        tiny_predictor().fit(series, y)


def test_y_none(series):
    with pytest.raises(ValueError, match="requires y"):
        tiny_predictor().fit(series, None)


# -- parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: tiny_predictor(finetune="bogus"), "'finetune' parameter"),
        (lambda: tiny_predictor(horizons=0), "'horizons' parameter"),
        (lambda: tiny_predictor(pretrainer="encoder"), "'pretrainer' parameter"),
        (lambda: tiny_pretrainer(normalization="batch"), "'normalization' parameter"),
        (lambda: tiny_pretrainer(patch_size=0), "'patch_size' parameter"),
        (lambda: tiny_pretrainer(validation_fraction=1.0), "'validation_fraction' parameter"),
    ],
)
def test_invalid_parameters(series, make, match):
    est = make()
    args = (series,) if hasattr(est, "transform") else (series, _labels(30))
    with pytest.raises(InvalidParameterError, match=match):
        est.fit(*args)
    assert issubclass(InvalidParameterError, ValueError)


def test_horizon_beyond_horizons(series, fitted):
    with pytest.raises(ValueError, match="horizon=9 is beyond horizons=8"):
        tiny_predictor(horizon=9).fit(series, _labels(30))
    # set after fit: predict_proba checks it against the fitted surface
    est = copy.deepcopy(fitted[1]).set_params(horizon=12)
    with pytest.raises(ValueError, match="horizon=12 is beyond horizons=8"):
        est.predict_proba(series)


def test_d_model_not_divisible_by_n_heads(series):
    with pytest.raises(ValueError, match="d_model=15 must be divisible by n_heads=2"):
        tiny_pretrainer(d_model=15).fit(series)
    with pytest.raises(ValueError, match="d_model=15 must be divisible by n_heads=2"):
        tiny_predictor(tiny_pretrainer(d_model=15)).fit(series, _labels(30))


def test_device_cuda_unavailable(series):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ValueError, match="CUDA is not available"):
        tiny_pretrainer(device="cuda").fit(series)


# -- pretrainer argument of HEPAEventPredictor -------------------------------------------


def test_frozen_unfitted_pretrainer(series):
    est = tiny_predictor(FrozenEstimator(tiny_pretrainer()))
    with pytest.raises(ValueError, match="FrozenEstimator of an unfitted HEPAPretrainer"):
        est.fit(series, _labels(30))


def test_frozen_pretrainer_with_other_n_features(series, fitted):
    pre = fitted[0]  # 3 sensors
    X4 = np.c_[series, series[:, :1]]
    with pytest.raises(ValueError, match="X has 4 features, but the pretrainer was fitted with 3"):
        tiny_predictor(FrozenEstimator(pre)).fit(X4, _labels(30))


def test_frozen_pretrainer_with_other_feature_names():
    X = _frame((12, 12))
    pre = tiny_pretrainer().fit(X)
    other = X.rename(columns={"s0": "t0"})
    with pytest.raises(ValueError, match="feature names of X differ"):
        tiny_predictor(FrozenEstimator(pre)).fit(other, _labels(len(X)))


def test_pretrainer_of_wrong_type(series):
    from sklearn.preprocessing import StandardScaler

    for bad in (StandardScaler(), FrozenEstimator(StandardScaler().fit(series))):
        with pytest.raises(ValueError, match="pretrainer must be an encoder estimator"):
            tiny_predictor(bad).fit(series, _labels(30))


@pytest.mark.parametrize("finetune", ["end_to_end", "scratch"])
def test_embeddings_input_needs_predictor_finetune(series, fitted, finetune):
    H = fitted[0].transform(series)
    est = tiny_predictor("passthrough", finetune=finetune)
    with pytest.raises(ValueError, match="holds embeddings"):
        est.fit(H, _labels(30))


@pytest.mark.parametrize("horizon", [0, -3, 2.5, "4", True])
def test_horizon_set_after_fit_is_checked_at_every_call(horizon):
    from sktime_hepa import AgeBaseline
    from sktime_hepa.datasets import make_run_to_failure

    X, y = make_run_to_failure(6, min_life=30, max_life=40, random_state=0)
    model = AgeBaseline(horizons=8).fit(X, y)
    model.set_params(horizon=horizon)
    with pytest.raises(ValueError, match=r"horizon.*1\.\.(horizons=)?8"):
        model.predict_proba(X)
    model.set_params(horizon=3)
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], model.predict_surface(X)[:, 2])


def test_pandas_nullable_and_series_inputs():
    import pandas as pd

    from sktime_hepa import AgeBaseline, HEPAPretrainer
    from sktime_hepa.datasets import make_run_to_failure

    X, y = make_run_to_failure(6, n_sensors=2, min_life=30, max_life=40, random_state=0)
    nullable = X.astype("Float64")
    pre = HEPAPretrainer(
        d_model=8,
        n_heads=2,
        n_layers=1,
        patch_size=4,
        predictor_hidden=8,
        context_length=8,
        max_horizon=4,
        max_epochs=0,
        device="cpu",
        random_state=0,
    )
    np.testing.assert_array_equal(pre.fit(nullable).transform(nullable), pre.fit(X).transform(X))
    with_na = nullable.copy()
    with_na.iloc[3, 0] = pd.NA
    with pytest.raises(ValueError, match="missing='mask'|missing=\"mask\""):
        pre.fit(with_na)
    pre.set_params(missing="mask").fit(with_na)  # pd.NA is a missing value like NaN
    assert np.isfinite(pre.transform(with_na)).all()
    with pytest.raises(ValueError, match="1-D pandas Series.*to_frame"):
        AgeBaseline(horizons=4).fit(X.iloc[:, 0], y)


def test_pandas_y_in_another_row_order_is_refused_not_misread():
    import pandas as pd

    from sktime_hepa import AgeBaseline
    from sktime_hepa.datasets import make_run_to_failure

    X, y = make_run_to_failure(6, min_life=30, max_life=40, random_state=0)
    labels = pd.Series((y["event"] & (y["time"] <= 3)).astype(int), index=X.index)
    shuffled = labels.sample(frac=1.0, random_state=0)
    with pytest.raises(ValueError, match=r"y = y.loc\[X.index\]"):
        AgeBaseline(horizons=4).fit(X, shuffled)
    aligned = AgeBaseline(horizons=4).fit(X, shuffled.loc[X.index]).predict_surface(X)
    np.testing.assert_array_equal(
        aligned, AgeBaseline(horizons=4).fit(X, labels).predict_surface(X)
    )
    AgeBaseline(horizons=4).fit(X, labels.to_numpy())  # arrays are read by position, as always


def test_zero_epochs_say_the_model_is_untrained():
    """max_epochs=0 fits a random-init control, with a warning; the internal uses stay quiet."""
    import warnings

    from sktime_hepa import UntrainedWarning
    from sktime_hepa.datasets import make_run_to_failure

    X, y = make_run_to_failure(6, n_sensors=2, min_life=30, max_life=40, random_state=0)
    with pytest.warns(UntrainedWarning, match="max_epochs=0.*random weights"):
        tiny_pretrainer(max_epochs=0).fit(X)
    with pytest.warns(UntrainedWarning):
        tiny_predictor(tiny_pretrainer(max_epochs=1), max_epochs=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UntrainedWarning)
        # finetune="scratch" runs its encoder for zero epochs by design
        model = tiny_predictor(tiny_pretrainer(), finetune="scratch", max_epochs=1).fit(X, y)
        # a warm start with zero more epochs keeps the fitted network
        model.set_params(warm_start=True, max_epochs=0).fit(X, y)


def test_head_readout_on_embeddings_is_refused_before_fitting(rtf_data, fitted_pretrainer):
    from sktime_hepa import HEPAEventPredictor

    X, y = rtf_data
    H = fitted_pretrainer.transform(X)
    with pytest.raises(ValueError, match="finetune='head' reads out a pretrained predictor"):
        HEPAEventPredictor("passthrough", finetune="head", horizons=5).fit(H, y)
