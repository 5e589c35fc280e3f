"""The input contract of the public entry points, checked by generated hostile inputs (issue 20).

Every public method that reads X or a target is called with inputs that
``hypothesis`` generates from a clean one. Each generated input is either

* *equivalent* to the clean one (another dtype of the same numbers, pandas
  nullable dtypes without a missing value, a list of lists): the answer must
  equal the clean answer; or
* *invalid* (NaN or ``pd.NA`` with ``missing="error"``, inf, text, a missing
  or extra sensor, an empty or wrongly shaped input, a duplicated time step,
  a non-binary or misshapen target): the call must raise ``ValueError`` or
  ``TypeError`` from the package's or scikit-learn's own validation, with a
  message, never an error from inside numpy, pandas, torch or scikit-survival,
  and never return an answer.
"""

from __future__ import annotations

import traceback
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_pretrainer
from sklearn.exceptions import NotFittedError

import sktime_hepa.datasets as datasets
from sktime_hepa import AgeBaseline, HEPAEventPredictor, RidgeBaseline
from sktime_hepa.metrics import (
    brier_score,
    event_f1_score,
    expected_calibration_error,
    h_auroc_score,
    point_adjusted_f1_score,
    time_to_event_rmse,
)

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # CI runs the same cases every time
)

#: Where a clear error may come from: the package and scikit-learn's validation.
OWN_FRAMES = ("sktime_hepa", "sklearn/utils/validation.py", "sklearn/utils/_param_validation.py")


def outcome(fn, *args, **kwargs):
    """``("ok", result)`` or ``("error", exception)``; any other exception fails the test."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", fn(*args, **kwargs)
    except (ValueError, TypeError, NotFittedError) as exc:
        return "error", exc


def assert_clear_error(exc, what: str) -> None:
    """Raised by our (or sklearn's) validation, with a message that says something."""
    origin = traceback.extract_tb(exc.__traceback__)[-1].filename.replace("\\", "/")
    assert any(part in origin for part in OWN_FRAMES), (
        f"{what}: {type(exc).__name__} raised inside {origin}: {exc}"
    )
    assert len(str(exc)) >= 20, f"{what}: a message too short to name the problem: {exc!r}"


# -- mutations of X --------------------------------------------------------------------


def _frame_equivalents(X: pd.DataFrame):
    return {
        "float32": lambda r, c: X.astype(np.float32),
        "Float64 (nullable, no NA)": lambda r, c: X.astype("Float64"),
        "object of floats": lambda r, c: X.astype(object),
    }


def _set(X, r, c, value, dtype=None):
    out = X.astype(dtype) if dtype is not None else X.copy()
    out.iloc[r % len(out), c % out.shape[1]] = value
    return out


def _frame_invalid(X: pd.DataFrame):
    index = X.index
    return {
        "NaN": lambda r, c: _set(X, r, c, np.nan),
        "pd.NA in Float64": lambda r, c: _set(X, r, c, pd.NA, "Float64"),
        "inf": lambda r, c: _set(X, r, c, np.inf),
        "-inf": lambda r, c: _set(X, r, c, -np.inf),
        "text": lambda r, c: _set(X, r, c, "broken", object),
        "a sensor missing": lambda r, c: X.drop(columns=X.columns[c % X.shape[1]]),
        "an extra sensor": lambda r, c: X.assign(extra=1.0),
        "empty": lambda r, c: X.iloc[:0],
        "duplicated time step": lambda r, c: X.iloc[np.r_[0, 0, 1 : len(X)]],
        "flat frame": lambda r, c: X.reset_index(),
        "one column as a Series": lambda r, c: X.iloc[:, c % X.shape[1]],
        "a scalar": lambda r, c: 3.0,
        "None": lambda r, c: None,
        "3-D with the wrong channels": lambda r, c: np.zeros((2, X.shape[1] + 1, 10)),
        "unnamed time as strings": lambda r, c: X.set_axis(
            pd.MultiIndex.from_arrays(
                [index.get_level_values(0), index.get_level_values(1).astype(str)],
                names=index.names,
            ),
            axis=0,
        ),
    }


@pytest.fixture(scope="module")
def data(rtf_data):
    X, y = rtf_data
    return X, y


@pytest.fixture(scope="module")
def models(data):
    """One fitted model per kind of entry point: encoder, HEPA, two baselines."""
    X, y = data
    pre = tiny_pretrainer().fit(X)
    hepa = HEPAEventPredictor(pre, horizons=5, max_epochs=1, random_state=0).fit(X, y)
    return {
        "HEPAPretrainer.transform": pre.transform,
        "HEPAEventPredictor.predict_surface": hepa.predict_surface,
        "HEPAEventPredictor.predict_proba": hepa.predict_proba,
        "HEPAEventPredictor.predict": hepa.predict,
        "AgeBaseline.predict_surface": AgeBaseline(horizons=5).fit(X, y).predict_surface,
        "RidgeBaseline.predict_surface": RidgeBaseline(horizons=5).fit(X, y).predict_surface,
    }


ENTRY_POINTS = [
    "HEPAPretrainer.transform",
    "HEPAEventPredictor.predict_surface",
    "HEPAEventPredictor.predict_proba",
    "HEPAEventPredictor.predict",
    "AgeBaseline.predict_surface",
    "RidgeBaseline.predict_surface",
]
_MUTATIONS = st.tuples(
    st.integers(0, 10_000), st.integers(0, 100)
)  # (row, column) the mutation touches


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@SETTINGS
@given(name=st.sampled_from(sorted(_frame_invalid(pd.DataFrame([[0.0]])))), at=_MUTATIONS)
def test_invalid_X_gets_a_clear_error(models, data, entry, name, at):
    X, _ = data
    bad = _frame_invalid(X)[name](*at)
    kind, result = outcome(models[entry], bad)
    assert kind == "error", f"{entry} answered X with {name} instead of refusing it"
    assert_clear_error(result, f"{entry} with {name}")


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@SETTINGS
@given(name=st.sampled_from(sorted(_frame_equivalents(pd.DataFrame([[0.0]])))), at=_MUTATIONS)
def test_equivalent_X_gives_the_same_answer(models, data, entry, name, at):
    X, _ = data
    same = _frame_equivalents(X)[name](*at)
    kind, result = outcome(models[entry], same)
    assert kind == "ok", f"{entry} refused X as {name}: {result}"
    np.testing.assert_allclose(
        np.asarray(result, dtype=np.float64),
        np.asarray(models[entry](X), dtype=np.float64),
        rtol=1e-5,
        atol=1e-6,
        err_msg=f"{entry} with X as {name}",
    )


# -- metrics: (y, surface) and (labels, flags) ----------------------------------------

K = 5


@pytest.fixture(scope="module")
def scored(data, models):
    X, y = data
    return y, models["HEPAEventPredictor.predict_surface"](X)


def _surface_invalid(surface):
    return {
        "NaN in the surface": lambda r, c: _set(pd.DataFrame(surface), r, c, np.nan).to_numpy(),
        "a 1-D surface": lambda r, c: surface[:, 0],
        "too few rows": lambda r, c: surface[: 1 + r % (len(surface) - 1)],
        "text": lambda r, c: np.full(surface.shape, "x", dtype=object),
        # float64: adding 1.5 merges no two probabilities, so the ranks stay
        "probabilities above 1": lambda r, c: surface.astype(np.float64) + 1.5,
    }


def _target_invalid(y):
    return {
        "a plain 1-D int array": lambda r, c: y["event"].astype(int),
        "negative times": lambda r, c: np.array(
            [(e, -1.0 - t) for e, t in zip(y["event"], y["time"], strict=True)], dtype=y.dtype
        ),
        "too few rows": lambda r, c: y[: 1 + r % (len(y) - 1)],
        "None": lambda r, c: None,
    }


SURFACE_METRICS = {
    "h_auroc_score": lambda y, s: h_auroc_score(y, s),
    "brier_score": lambda y, s: brier_score(y, s),
    "expected_calibration_error": lambda y, s: expected_calibration_error(y, s),
    "time_to_event_rmse": lambda y, s: time_to_event_rmse(y, s),
}


@pytest.mark.parametrize("metric", sorted(SURFACE_METRICS))
@SETTINGS
@given(name=st.sampled_from(sorted(_surface_invalid(np.zeros((3, 2))))), at=_MUTATIONS)
def test_metrics_refuse_a_bad_surface(scored, metric, name, at):
    y, surface = scored
    kind, result = outcome(SURFACE_METRICS[metric], y, _surface_invalid(surface)[name](*at))
    if metric == "h_auroc_score" and name == "probabilities above 1":
        # a ranking metric: any scores rank rows (documented); same ranks, same score
        assert kind == "ok" and result == pytest.approx(h_auroc_score(y, surface))
        return
    assert kind == "error", f"{metric} scored a surface with {name}: {result}"
    assert_clear_error(result, f"{metric} with {name}")


@pytest.mark.parametrize("metric", sorted(SURFACE_METRICS))
@SETTINGS
@given(name=st.sampled_from(sorted(_target_invalid(np.zeros(3)))), at=_MUTATIONS)
def test_metrics_refuse_a_bad_target(scored, metric, name, at):
    y, surface = scored
    kind, result = outcome(SURFACE_METRICS[metric], _target_invalid(y)[name](*at), surface)
    assert kind == "error", f"{metric} scored a target that is {name}: {result}"
    assert_clear_error(result, f"{metric} with a target that is {name}")


@SETTINGS
@given(
    labels=st.lists(st.integers(0, 1), min_size=2, max_size=60),
    flip=st.integers(0, 10_000),
    name=st.sampled_from(["2 as a label", "NaN flag", "length mismatch", "2-D flags"]),
)
def test_f1_scores_refuse_bad_labels_and_flags(labels, flip, name):
    labels = np.asarray(labels)
    flags = labels.copy()
    if name == "2 as a label":
        labels = labels.copy()
        labels[flip % len(labels)] = 2
    elif name == "NaN flag":
        flags = flags.astype(float)
        flags[flip % len(flags)] = np.nan
    elif name == "length mismatch":
        flags = flags[:-1]
    else:
        flags = np.stack([flags, flags], axis=1)
    for fn in (point_adjusted_f1_score, event_f1_score):
        kind, result = outcome(fn, labels, flags)
        assert kind == "error", f"{fn.__name__} scored labels/flags with {name}"
        assert_clear_error(result, f"{fn.__name__} with {name}")


@SETTINGS
@given(labels=st.lists(st.integers(0, 1), min_size=2, max_size=60))
def test_f1_scores_of_a_perfect_detector(labels):
    """1 for flags equal to the labels; labels without an anomaly: F1 is undefined, said so."""
    labels = np.asarray(labels)
    for fn in (point_adjusted_f1_score, event_f1_score):
        kind, result = outcome(fn, labels, labels)
        if labels.any():
            assert kind == "ok", f"{fn.__name__} refused valid input: {result}"
            assert result == pytest.approx(1.0), (fn.__name__, labels)
        else:
            assert kind == "error" and "no positive" in str(result), (fn.__name__, result)
            assert_clear_error(result, fn.__name__)


# -- arguments of the methods beside X -------------------------------------------------

BAD_INTEGERS = [0, -1, 1.5, "1", None, True, np.nan]


@SETTINGS
@given(value=st.sampled_from(BAD_INTEGERS), which=st.sampled_from(["rows", "batch_size"]))
def test_bad_rows_and_batch_size_get_a_clear_error(data, models, value, which):
    """``rows`` and ``batch_size`` of the inference methods: refused, named."""
    X, _ = data
    pre = models["HEPAPretrainer.transform"].__self__
    if which == "rows":
        if value == 0:  # row 0 is a valid row number
            value = [len(X)]
        kwargs = {"rows": value if isinstance(value, list) else [value]}
    else:
        kwargs = {"batch_size": value}
    kind, result = outcome(pre.transform_rows, X, **kwargs)
    assert kind == "error", f"transform_rows answered {which}={value!r}"
    assert_clear_error(result, f"transform_rows with {which}={value!r}")
    assert which in str(result)


@SETTINGS
@given(horizon=st.sampled_from([0, -1, 2.5, 6, "1", np.nan, True]))
def test_bad_horizon_set_after_fit_gets_a_clear_error(data, models, horizon):
    """``horizon`` is read at every predict_proba: a value set after fit is checked there."""
    X, _ = data
    hepa = models["HEPAEventPredictor.predict_surface"].__self__
    old = hepa.horizon
    try:
        hepa.horizon = horizon  # as set_params would, without validation
        kind, result = outcome(hepa.predict_proba, X)
    finally:
        hepa.horizon = old
    assert kind == "error", f"predict_proba answered horizon={horizon!r}"
    assert_clear_error(result, f"predict_proba with horizon={horizon!r}")
    assert "horizon" in str(result)


# -- loaders: every argument checked before a file is read -----------------------------

LOADERS = sorted(n for n in datasets.__all__ if n.startswith("load_"))


@pytest.mark.parametrize("loader", LOADERS)
@SETTINGS
@given(
    arg=st.sampled_from(
        ["event", "fill", "quantile", "merge_gap", "window", "subset", "split", "data_home"]
    ),
    value=st.sampled_from(["bogus", -1, 2.5, None, [], object()]),
)
def test_loaders_refuse_bad_arguments_by_name(loader, arg, value, tmp_path_factory):
    """A bad argument is named before any file is read; a missing folder names the variable."""
    import inspect

    fn = getattr(datasets, loader)
    params = inspect.signature(fn).parameters
    if arg not in params:
        return
    default = params[arg].default
    if arg == "data_home":
        value = tmp_path_factory.mktemp("empty")  # a folder without the data
    elif value is default or (value is None and (default is None or arg == "fill")):
        return  # the default, and fill=None (keep gaps), are not hostile
    elif arg == "merge_gap" and value == 2.5:
        value = -2.5
    try:
        fn(**{arg: value})
    except FileNotFoundError as exc:
        assert arg == "data_home" or "SKTIME_HEPA_DATA" in str(exc) or "not found" in str(exc)
        return
    except (ValueError, TypeError) as exc:
        assert_clear_error(exc, f"{loader}({arg}={value!r})")
        return
    pytest.fail(f"{loader} accepted {arg}={value!r}")
