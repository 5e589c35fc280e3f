"""SurfaceCalibrator: per-horizon isotonic / Platt calibration of a fitted surface model."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.utils._param_validation import InvalidParameterError

from sktime_hepa import AgeBaseline, CalibrationWarning, SurfaceCalibrator
from sktime_hepa.calibration import PlattSigmoid
from sktime_hepa.datasets import make_run_to_failure
from sktime_hepa.metrics import (
    brier_score,
    brier_scorer,
    ece_scorer,
    expected_calibration_error,
)
from sktime_hepa.panel import series_ids
from sktime_hepa.targets import horizon_labels, make_survival_target

K = 8


# ------------------------------------------------------------------ a known truth
def _logit(p):
    return np.log(p) - np.log1p(-p)


class SquashedOracle(BaseEstimator):
    """A fitted 'model' that knows each row's true CDF and squashes it toward 0.5.

    X holds one column: the row's per-step hazard h, so the true CDF is
    ``1 - (1 - h) ** dt``. The surface is ``sigmoid(squash * logit(true))``,
    which ranks perfectly and is badly calibrated; both calibration methods
    can undo it (isotonic any monotone map, Platt exactly this one).
    """

    def __init__(self, squash=0.3, n_horizons=K):
        self.squash = squash
        self.n_horizons = n_horizons

    def fit(self, X=None, y=None):
        self.fit_calls_ = getattr(self, "fit_calls_", 0) + 1
        return self

    def true_surface(self, X):
        h = np.asarray(X, dtype=np.float64)[:, :1]  # (n, 1)
        return 1.0 - (1.0 - h) ** np.arange(1, self.n_horizons + 1)  # (n, K)

    def predict_surface(self, X):
        p = np.clip(self.true_surface(X), 1e-9, 1 - 1e-9)
        return 1.0 / (1.0 + np.exp(-self.squash * _logit(p)))


def oracle_data(n, seed):
    """Rows with hazards in [0.02, 0.4], geometric event times, random censoring."""
    rng = np.random.default_rng(seed)
    h = rng.uniform(0.02, 0.4, n)
    event_time = rng.geometric(h)  # steps until the event, >= 1
    censor = rng.integers(1, 3 * K, n)
    event = event_time <= censor
    y = make_survival_target(event, np.where(event, event_time, censor))
    return h[:, None], y


@pytest.fixture(scope="module")
def oracle():
    return SquashedOracle().fit()


@pytest.fixture(scope="module")
def oracle_split():
    return oracle_data(4000, 0), oracle_data(4000, 1)


def _is_cdf(surface):
    return (surface >= 0).all() and (surface <= 1).all() and (np.diff(surface, axis=1) >= 0).all()


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_calibration_recovers_the_true_probabilities(oracle, oracle_split, method):
    (X_cal, y_cal), (X_te, y_te) = oracle_split
    cal = SurfaceCalibrator(FrozenEstimator(oracle), method=method).fit(X_cal, y_cal)
    raw, out = oracle.predict_surface(X_te), cal.predict_surface(X_te)
    assert out.shape == (len(X_te), K) and out.dtype == np.float32 and _is_cdf(out)
    before, after = expected_calibration_error(y_te, raw), expected_calibration_error(y_te, out)
    assert before > 0.1 and after < 0.04 and after < before / 4
    assert brier_score(y_te, out) < brier_score(y_te, raw)
    # the calibrated surface is close to the true CDF, the raw one is not
    truth = oracle.true_surface(X_te)
    assert np.abs(out - truth).mean() < 0.04 < np.abs(raw - truth).mean()
    assert cal.n_horizons_ == K and len(cal.calibrators_) == K
    assert cal.identity_horizons_.size == 0


def test_platt_sigmoid_inverts_a_logit_squash():
    rng = np.random.default_rng(0)
    truth = rng.uniform(0.01, 0.99, 20000)
    y = rng.random(truth.size) < truth
    squashed = 1 / (1 + np.exp(-0.3 * _logit(truth)))
    platt = PlattSigmoid().fit(squashed, y)
    assert platt.a_ == pytest.approx(1 / 0.3, rel=0.1) and abs(platt.b_) < 0.1
    assert np.abs(platt.predict(squashed) - truth).max() < 0.05
    # separable classes: the smoothed targets keep the slope finite
    sep = PlattSigmoid().fit(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1]))
    assert np.isfinite([sep.a_, sep.b_]).all()


def test_running_maximum_restores_the_cdf(oracle, oracle_split):
    """Crossing per-horizon maps would make a row decrease in dt; the running max forbids it."""
    (X_cal, y_cal), (X_te, _) = oracle_split
    cal = SurfaceCalibrator(oracle).fit(X_cal, y_cal)

    class Constant:
        def __init__(self, value):
            self.value = value

        def predict(self, p):
            return np.full(len(p), self.value)

    values = [0.2, 0.6, 0.3, 0.1, 0.7, 0.7, 0.5, 0.9]  # not monotone
    cal.calibrators_ = [Constant(v) for v in values]
    out = cal.predict_surface(X_te[:5])
    np.testing.assert_allclose(out, np.tile(np.maximum.accumulate(values), (5, 1)), atol=1e-7)
    # identity maps leave an already monotone surface as it was
    cal.calibrators_ = [None] * K
    raw = oracle.predict_surface(X_te)
    np.testing.assert_allclose(cal.predict_surface(X_te), raw, atol=1e-6)


def test_identity_fallback_warns_and_names_the_horizons(oracle):
    X, _ = oracle_data(600, 2)
    # every event comes after 3 steps: dt = 1..3 have no positive cell
    rng = np.random.default_rng(2)
    y = make_survival_target(rng.random(600) < 0.7, rng.integers(4, 3 * K, 600))
    with pytest.warns(CalibrationWarning, match=r"3 of 8 horizons \(dt = 1-3\)"):
        cal = SurfaceCalibrator(oracle).fit(X, y)
    assert cal.identity_horizons_.tolist() == [1, 2, 3]
    assert [c is None for c in cal.calibrators_] == [True] * 3 + [False] * 5
    out, raw = cal.predict_surface(X), oracle.predict_surface(X)
    np.testing.assert_allclose(out[:, 0], raw[:, 0], atol=1e-6)  # identity at dt = 1
    assert _is_cdf(out)
    with pytest.warns(CalibrationWarning, match=r"8 of 8 horizons \(dt = 1-8\)"):
        SurfaceCalibrator(oracle, min_cells=10_000).fit(X, y)


def test_errors(oracle, oracle_split):
    (X, y), _ = oracle_split
    with pytest.raises(NotFittedError, match="Fit it on the training series first"):
        SurfaceCalibrator(AgeBaseline(horizons=K)).fit(X, y)
    with pytest.raises(NotFittedError, match="FrozenEstimator of an unfitted AgeBaseline"):
        SurfaceCalibrator(FrozenEstimator(AgeBaseline(horizons=K))).fit(X, y)
    with pytest.raises(InvalidParameterError, match="method"):
        SurfaceCalibrator(oracle, method="beta").fit(X, y)
    with pytest.raises(InvalidParameterError, match="estimator"):
        SurfaceCalibrator("not a model").fit(X, y)
    with pytest.raises(ValueError, match="horizons=9 is beyond the estimator's surface"):
        SurfaceCalibrator(oracle, horizons=K + 1).fit(X, y)
    with pytest.raises(ValueError, match="horizon=5 is beyond horizons=4"):
        SurfaceCalibrator(oracle, horizons=4, horizon=5).fit(X, y)
    with pytest.raises(ValueError, match="rows but X has"):
        SurfaceCalibrator(oracle).fit(X, y[:-1])
    censored = make_survival_target(np.zeros(len(X), bool), np.zeros(len(X)))
    with pytest.raises(ValueError, match="no known cell"):
        SurfaceCalibrator(oracle).fit(X, censored)

    class OutOfRange(SquashedOracle):
        def predict_surface(self, X):
            return 3 * super().predict_surface(X)

    with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
        SurfaceCalibrator(OutOfRange().fit()).fit(X, y)
    with pytest.raises(NotFittedError):
        SurfaceCalibrator(oracle).predict_surface(X)
    cal = SurfaceCalibrator(oracle, horizons=4).fit(X, y)
    assert cal.predict_surface(X).shape == (len(X), 4)
    with pytest.raises(ValueError, match="surface must have shape"):
        cal.calibrate(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="finite probabilities"):
        cal.calibrate(np.full((3, K), 2.0))


def test_sklearn_contract(oracle, oracle_split):
    (X, y), (X_te, _) = oracle_split
    frozen = FrozenEstimator(oracle)
    cal = SurfaceCalibrator(frozen, method="sigmoid", min_cells=5)
    assert cal.get_params()["estimator"] is frozen
    before = dict(cal.get_params(deep=False))
    cal.fit(X, y)
    assert cal.get_params(deep=False) == before and cal.estimator is frozen  # untouched
    assert cal.estimator_ is oracle and oracle.fit_calls_ == 1  # used as is, never refitted
    # a clone of a FrozenEstimator is the same fitted model: the clone fits
    twin = clone(cal)
    assert twin.estimator.estimator is oracle and not hasattr(twin, "calibrators_")
    np.testing.assert_allclose(twin.fit(X, y).predict_surface(X_te), cal.predict_surface(X_te))
    again = pickle.loads(pickle.dumps(cal))
    np.testing.assert_array_equal(again.predict_surface(X_te), cal.predict_surface(X_te))
    # a failed fit leaves a fitted calibrator as it was
    calibrators = cal.calibrators_
    with pytest.raises(ValueError):
        cal.set_params(horizons=K + 1).fit(X, y)
    assert cal.calibrators_ is calibrators and cal.n_horizons_ == K


def test_rows_with_a_model_without_rows(rtf_data):
    """A model whose predict_surface has no rows= is scored whole and then selected."""
    X, y = rtf_data
    age = AgeBaseline(horizons=K).fit(X, y)
    rows = np.arange(0, len(X), 2)
    cal = SurfaceCalibrator(age, method="sigmoid").fit(X, y, rows=rows)
    np.testing.assert_allclose(cal.predict_surface(X, rows=rows), cal.predict_surface(X)[rows])
    # the calibrator of dt = 4 saw the known cells of the selected rows only
    labels, known = horizon_labels(y[rows], K)
    cells = known[:, 3]
    ref = PlattSigmoid().fit(age.predict_surface(X)[rows][cells, 3], labels[cells, 3])
    assert cal.calibrators_[3].a_ == pytest.approx(ref.a_)


# -------------------------------------------------------- a tiny fitted HEPA model
@pytest.fixture(scope="module")
def held_out():
    """Calibration and evaluation units the tiny model never saw (as rtf_data)."""
    kw = dict(n_sensors=3, n_conditions=1, min_life=20, max_life=40)
    return make_run_to_failure(12, random_state=1, **kw), make_run_to_failure(
        12, random_state=2, **kw
    )


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_hepa_surface_calibrated_on_held_out_units(fitted_predictor, held_out, method):
    (X_cal, y_cal), (X_te, y_te) = held_out
    # the paper's weighted surface, whose odds the class weight shifts
    fitted_predictor = copy.deepcopy(fitted_predictor).set_params(probability="weighted")
    raw_before = fitted_predictor.predict_surface(X_te)
    cal = SurfaceCalibrator(FrozenEstimator(fitted_predictor), method=method).fit(X_cal, y_cal)
    # the model was used, not refitted
    np.testing.assert_array_equal(fitted_predictor.predict_surface(X_te), raw_before)
    out = cal.predict_surface(X_te)
    assert out.shape == raw_before.shape and _is_cdf(out)
    assert expected_calibration_error(y_te, out) <= expected_calibration_error(y_te, raw_before)
    assert brier_score(y_te, out) <= brier_score(y_te, raw_before)
    # the classifier face, read off the calibrated surface
    proba = cal.predict_proba(X_te)
    np.testing.assert_allclose(proba[:, 1], out[:, -1], atol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(np.unique(cal.predict(X_te))) <= set(cal.classes_)
    assert 0.0 <= cal.score(X_te, y_te) <= 1.0
    assert cal.n_features_in_ == fitted_predictor.n_features_in_
    rows = np.arange(0, len(X_te), 3)
    np.testing.assert_allclose(cal.predict_surface(X_te, rows=rows), out[rows], atol=1e-6)


def test_plain_fitted_estimator_is_used_as_is(fitted_predictor, held_out):
    (X_cal, y_cal), (X_te, _) = held_out
    cal = SurfaceCalibrator(fitted_predictor).fit(X_cal, y_cal)
    assert cal.estimator_ is fitted_predictor
    frozen = SurfaceCalibrator(FrozenEstimator(fitted_predictor)).fit(X_cal, y_cal)
    np.testing.assert_array_equal(cal.predict_surface(X_te), frozen.predict_surface(X_te))
    # cloning a plain fitted estimator discards its fit: the message says what to do
    with pytest.raises(NotFittedError, match="FrozenEstimator"):
        clone(cal).fit(X_cal, y_cal)


def test_model_selection_with_the_package_scorers(fitted_predictor, held_out):
    (X_cal, y_cal), _ = held_out
    groups = series_ids(X_cal)
    cal = SurfaceCalibrator(FrozenEstimator(fitted_predictor), min_cells=3)
    cv = GroupKFold(n_splits=3)
    scores = cross_validate(
        cal, X_cal, y_cal, groups=groups, cv=cv, scoring={"ece": ece_scorer, "brier": brier_scorer}
    )
    assert np.isfinite(scores["test_ece"]).all() and (scores["test_ece"] <= 0).all()
    search = GridSearchCV(
        cal, {"method": ["isotonic", "sigmoid"]}, scoring=ece_scorer, cv=cv, error_score="raise"
    ).fit(X_cal, y_cal, groups=groups)
    assert search.best_params_["method"] in ("isotonic", "sigmoid")
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert _is_cdf(search.best_estimator_.predict_surface(X_cal))


# ------------------------------------------------------------ benchmarks.calibration
def test_benchmark_holds_out_training_series_without_x_val():
    from benchmarks.calibration import calibration_split
    from benchmarks.protocol import load_dataset

    data = load_dataset("synthetic")
    data.bench_name = "synthetic"
    fit_data, X_cal, y_cal, info = calibration_split(data, seed=0)
    assert X_cal is data.X_val and info == {"source": "X_val"} and fit_data is data
    del data["X_val"], data["y_val"]
    fit_data, X_cal, y_cal, info = calibration_split(data, seed=0)
    units_fit, units_cal = set(series_ids(fit_data.X_train)), set(series_ids(X_cal))
    assert units_fit.isdisjoint(units_cal) and units_fit | units_cal == set(
        series_ids(data.X_train)
    )
    assert info == {"source": "training series", "held_out": 4, "of": 18} and len(y_cal) == len(
        X_cal
    )
    assert len(data.X_train) == len(fit_data.X_train) + len(X_cal)  # the Bunch is not modified
    assert set(series_ids(data.X_test)).isdisjoint(units_cal)


def test_benchmark_quick_run_and_resume(tmp_path):
    import json

    from benchmarks import calibration

    out = tmp_path / "cal.jsonl"
    argv = ["--dataset", "synthetic", "--quick", "--out", str(out)]
    calibration.main(argv)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["calibration"] for r in records] == ["isotonic", "sigmoid"]
    for r in records:
        assert r["budget"] == "smoke" and r["dataset"] == "synthetic"
        assert 0 <= r["ece_after"] <= 1 and 0 <= r["brier_after"] <= 1
        assert r["ece_before"] == records[0]["ece_before"]  # one HEPA fit for both
    calibration.main([*argv, "--skip-existing"])
    assert len(out.read_text().splitlines()) == 2

    from benchmarks import report_heads

    assert report_heads.calibration_section(out) == []  # quick records are never reported
    reported = tmp_path / "reported.jsonl"
    reported.write_text("".join(json.dumps({**r, "budget": "default"}) + "\n" for r in records))
    lines = report_heads.calibration_section(reported)
    row = next(line for line in lines if line.startswith("| synthetic"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "X_val"
    assert cells[2] == f"{records[0]['ece_before']:.4f} (1)"
    assert cells[3] == f"{records[0]['ece_after']:.4f} (1)"
    assert cells[4] == f"{records[1]['ece_after']:.4f} (1)"
    assert cells[-1].endswith("of 20")
