"""Tests of sktime_hepa.surfaces.baselines: the age-only and ridge event-surface baselines."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktime_hepa.datasets import get_data_home, load_cmapss, make_run_to_failure
from sktime_hepa.metrics import h_auroc_score, per_horizon_auroc
from sktime_hepa.panel import series_ids
from sktime_hepa.surfaces.baselines import AgeBaseline, RidgeBaseline, _person_period
from sktime_hepa.targets import horizon_labels, make_survival_target, target_from_event_labels

K = 40
BASELINES = [AgeBaseline, RidgeBaseline]
HAS_CMAPSS = (get_data_home() / "cmapss" / "train_FD001.txt.gz").is_file()


@pytest.fixture(scope="module")
def split():
    """30 units, split 24 / 6 by unit: (X_train, y_train, X_test, y_test)."""
    X, y = make_run_to_failure(
        30, n_sensors=4, n_conditions=1, min_life=40, max_life=90, random_state=0
    )
    test = np.isin(series_ids(X), [3, 8, 13, 18, 23, 28])
    return X[~test], y[~test], X[test], y[test]


def _age(X):
    """0-based position of each row in its series."""
    return X.groupby(level=0, sort=False).cumcount().to_numpy()


def _check_surface(surface, n_rows, horizons):
    assert surface.shape == (n_rows, horizons)
    assert np.isfinite(surface).all()
    assert (surface >= 0).all() and (surface <= 1).all()
    assert (np.diff(surface, axis=1) >= 0).all()


# ------------------------------------------------------------------ surfaces


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.parametrize("Baseline", BASELINES)
def test_surface_valid_on_every_x_format(Baseline, split):
    X, y, X_te, _ = split
    est = Baseline(horizons=K).fit(X, y)
    _check_surface(est.predict_surface(X_te), len(X_te), K)
    # 3-D numpy (equal-length series) and a 2-D single series
    panel3d = np.stack([g.to_numpy().T[:, :10] for _, g in X.groupby(level=0, sort=False)])
    _check_surface(est.predict_surface(panel3d), panel3d.shape[0] * 10, K)
    single = X.xs(1, level=0).to_numpy()
    _check_surface(est.predict_surface(single), len(single), K)


@pytest.mark.parametrize("Baseline", BASELINES)
def test_predict_proba_is_the_horizon_column(Baseline, split):
    X, y, X_te, _ = split
    est = Baseline(horizons=K, horizon=10).fit(X, y)
    proba = est.predict_proba(X_te)
    np.testing.assert_allclose(proba[:, 1], est.predict_surface(X_te)[:, 9])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(est.predict(X_te), proba[:, 1] > 0.5)
    assert est.classes_.tolist() == [0, 1]


def test_surface_monotone_with_negative_slope_and_short_training_series():
    # risk falling with age, and training series far shorter than K: every step
    # past the longest series has no at-risk cell and uses the shared intercept
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 15, size=40)
    X = np.zeros((lengths.sum(), 1))
    units = np.repeat(np.arange(40), lengths)
    age = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    # events early in the series: time to event grows with age
    y = make_survival_target(np.ones(len(X), bool), age + rng.integers(0, 3, len(X)))
    Xf = pd.DataFrame(X, index=pd.MultiIndex.from_arrays([units, age]))
    est = AgeBaseline(horizons=60).fit(Xf, y)
    assert est.hazard_coef_ < 0
    _check_surface(est.predict_surface(Xf), len(X), 60)


# ------------------------------------------------------------------ what they learn


def test_age_baseline_scores_on_held_out_units(split):
    X, y, X_te, y_te = split
    est = AgeBaseline(horizons=K).fit(X, y)
    assert est.hazard_coef_ > 0  # older rows are closer to failure
    assert h_auroc_score(y_te, est.predict_surface(X_te)) > 0.6


def test_age_baseline_auroc_is_that_of_the_age_itself(split):
    # every column is an increasing function of the age: per-horizon ranks are
    # those of the age, so the calibration cannot move the h-AUROC
    X, y, X_te, y_te = split
    surface = AgeBaseline(horizons=K).fit(X, y).predict_surface(X_te)
    age = np.repeat(_age(X_te)[:, None].astype(float), K, axis=1)
    np.testing.assert_allclose(per_horizon_auroc(y_te, surface), per_horizon_auroc(y_te, age))


@pytest.mark.parametrize("features", ["raw", "raw+age"])
def test_ridge_baseline_learns_from_the_sensors(split, features):
    X, y, X_te, y_te = split
    est = RidgeBaseline(horizons=K, features=features).fit(X, y)
    assert est.hazard_coef_ > 0
    assert np.abs(est.ridge_.coef_).max() > 0
    assert h_auroc_score(y_te, est.predict_surface(X_te)) > 0.6
    # and the sensors carry the signal: shuffled rows score near chance
    rng = np.random.default_rng(0)
    shuffled = X.copy()
    shuffled[:] = X.to_numpy()[rng.permutation(len(X))]
    noise = RidgeBaseline(horizons=K).fit(shuffled, y).predict_surface(X_te)
    assert abs(h_auroc_score(y_te, noise) - 0.5) < 0.15


def test_ridge_regresses_capped_time_on_known_rows():
    # one sensor equal to the time to event: the ridge recovers min(time, K + 1)
    time = np.r_[np.arange(80, -1, -1), np.arange(70, 20, -1)].astype(float)
    event = np.r_[np.ones(81, bool), np.zeros(50, bool)]  # second series censored
    X = time[:, None] + 0.0
    idx = pd.MultiIndex.from_arrays([np.r_[np.zeros(81), np.ones(50)], np.r_[range(81), range(50)]])
    est = RidgeBaseline(horizons=K, alpha=1e-6).fit(
        pd.DataFrame(X, index=idx), make_survival_target(event, time)
    )
    used = event | (time >= K + 1)
    np.testing.assert_allclose(
        est.ridge_.predict(est.scaler_.transform(X[used])), np.minimum(time[used], K + 1), atol=20
    )


# ------------------------------------------------------------------ y forms


@pytest.mark.parametrize("Baseline", BASELINES)
def test_per_step_labels_match_the_structured_target(Baseline, split):
    X, y, X_te, _ = split
    labels = (y["event"] & (y["time"] == 0)).astype(int)  # 1 at each failure step
    est = Baseline(horizons=K).fit(X, labels)
    assert est.classes_.tolist() == [0, 1]
    ref = Baseline(horizons=K).fit(X, target_from_event_labels(labels, series_ids(X)))
    np.testing.assert_allclose(est.predict_surface(X_te), ref.predict_surface(X_te))
    # string labels: classes_[1] (sorted) is the event
    words = np.where(labels == 1, "fail", "ok")
    est = Baseline(horizons=K).fit(X, words)
    assert est.classes_.tolist() == ["fail", "ok"]
    assert set(est.predict(X_te)) <= {"fail", "ok"}


def test_person_period_cells_rebuild_horizon_labels():
    y = make_survival_target(
        [True, True, True, False, False, True, False], [0, 1, 2.5, 3, 0, 50, 7.5]
    )
    rows, steps, cell = _person_period(y, 5)
    labels, known = horizon_labels(y, 5)
    for i in range(len(y)):
        s, c = steps[rows == i], cell[rows == i]
        np.testing.assert_array_equal(s, np.arange(len(s)))  # steps 1..m in order
        assert c.sum() <= 1 and (c.sum() == 0 or c[-1])  # at most the last is the event
        # positive at dt from the event step on; known while at risk or after the event
        np.testing.assert_array_equal(labels[i], c.any() & (np.arange(5) >= len(s) - 1))
        np.testing.assert_array_equal(known[i], c.any() | (np.arange(5) < len(s)))


# ------------------------------------------------------------------ sklearn contract


@pytest.mark.parametrize("Baseline", BASELINES)
def test_clone_and_pickle(Baseline, split):
    X, y, X_te, _ = split
    est = Baseline(horizons=K, horizon=5)
    assert clone(est).get_params() == est.get_params()
    est.fit(X, y)
    assert not hasattr(clone(est), "hazard_intercepts_")
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict_surface(X_te), est.predict_surface(X_te))
    assert est.n_features_in_ == X.shape[1]
    assert est.feature_names_in_.tolist() == X.columns.tolist()


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.parametrize("Baseline", BASELINES)
def test_bad_inputs_raise(Baseline, split):
    X, y, X_te, _ = split
    with pytest.raises(NotFittedError):
        Baseline(horizons=K).predict_surface(X_te)
    nan = X.copy()
    nan.iloc[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        Baseline(horizons=K).fit(nan, y)
    est = Baseline(horizons=K).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        est.predict_surface(nan)
    with pytest.raises(ValueError, match="features"):
        est.predict_surface(X.iloc[:, :2].to_numpy())
    with pytest.raises(ValueError, match="horizon=50 is beyond"):
        Baseline(horizons=K, horizon=50).fit(X, y)
    with pytest.raises(ValueError, match="horizons"):
        Baseline(horizons=0).fit(X, y)
    with pytest.raises(ValueError, match="rows"):
        Baseline(horizons=K).fit(X, y[:-1])
    with pytest.raises(ValueError, match="one class"):
        Baseline(horizons=K).fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Only binary"):
        Baseline(horizons=K).fit(X, np.arange(len(X)) % 3)
    late = make_survival_target(np.ones(len(X), bool), np.full(len(X), 500.0))
    with pytest.raises(ValueError, match="no positive cell"):
        Baseline(horizons=K).fit(X, late)
    with pytest.raises(ValueError, match="y is None"):
        Baseline(horizons=K).fit(X, None)


def test_ridge_bad_params():
    X, y = make_run_to_failure(4, min_life=20, max_life=30, random_state=0)
    with pytest.raises(ValueError, match="features"):
        RidgeBaseline(features="windows").fit(X, y)
    with pytest.raises(ValueError, match="alpha"):
        RidgeBaseline(alpha=-1.0).fit(X, y)


# the age of a row is its position in X, so reordering or subsetting rows
# changes the prediction by design (X rows are the time points of a series)
_ROW_ORDER = {
    "check_methods_sample_order_invariance": "age = position of the row in its series",
    "check_methods_subset_invariance": "age = position of the row in its series",
}


@parametrize_with_checks(
    [AgeBaseline(horizons=5), RidgeBaseline(horizons=5)],
    expected_failed_checks=lambda est: _ROW_ORDER if isinstance(est, AgeBaseline) else {},
)
def test_sklearn_compatible_baseline(estimator, check):
    check(estimator)


# ------------------------------------------------------------------ real data


@pytest.mark.data
@pytest.mark.skipif(not HAS_CMAPSS, reason="shared C-MAPSS data not found")
def test_fd001_age_baseline_matches_the_known_value():
    data = load_cmapss("FD001")
    est = AgeBaseline(horizons=150).fit(data.X_train, data.y_train)
    score = h_auroc_score(data.y_test, est.predict_surface(data.X_test))
    assert 0.87 < score < 0.91
    # equal to the raw age's own h-AUROC
    age = np.repeat(_age(data.X_test)[:, None].astype(float), 150, axis=1)
    assert score == pytest.approx(h_auroc_score(data.y_test, age), abs=1e-9)
