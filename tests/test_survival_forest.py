"""SurvivalForestBaseline (scikit-survival's RandomSurvivalForest; optional dependency)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from sktime_hepa.datasets import make_run_to_failure
from sktime_hepa.panel import Panel, series_ids
from sktime_hepa.surfaces.baselines import SurvivalForestBaseline, _ema_features
from sktime_hepa.targets import SURVIVAL_DTYPE

pytest.importorskip("sksurv")

K = 30


@pytest.fixture(scope="module")
def split():
    """20 units, split 16 / 4 by unit: (X_train, y_train, X_test, y_test)."""
    X, y = make_run_to_failure(
        20, n_sensors=3, n_conditions=1, min_life=30, max_life=60, random_state=0
    )
    test = np.isin(series_ids(X), [2, 7, 12, 17])
    return X[~test], y[~test], X[test], y[test]


def _forest(**params):
    return SurvivalForestBaseline(
        **{"horizons": K, "n_estimators": 8, "min_samples_leaf": 5, "random_state": 0, **params}
    )


@pytest.fixture(scope="module")
def fitted(split):
    X, y, _, _ = split
    return _forest().fit(X, y)


def test_surface_shape_range_monotone(split, fitted):
    _, _, X_te, _ = split
    surface = fitted.predict_surface(X_te)
    assert surface.shape == (len(X_te), K) and surface.dtype == np.float64
    assert np.isfinite(surface).all()
    assert (surface >= 0).all() and (surface <= 1).all()
    assert (np.diff(surface, axis=1) >= 0).all()
    assert surface[:, -1].max() > surface[:, -1].min()  # not a constant surface


def test_predict_proba_and_predict(split):
    X, y, X_te, _ = split
    est = _forest(horizon=10).fit(X, y)
    proba = est.predict_proba(X_te)
    np.testing.assert_allclose(proba[:, 1], est.predict_surface(X_te)[:, 9])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(est.predict(X_te), (proba[:, 1] > 0.5).astype(int))


def test_reproducible_with_random_state(split, fitted):
    X, y, X_te, _ = split
    again = _forest().fit(X, y)
    np.testing.assert_array_equal(again.predict_surface(X_te), fitted.predict_surface(X_te))
    other = _forest(random_state=1).fit(X, y)
    assert not np.array_equal(other.predict_surface(X_te), fitted.predict_surface(X_te))


def test_unlabelled_rows_are_ignored(split, fitted):
    """Unlabelled series change nothing: the same forest as without them."""
    X, y, X_te, y_te = split
    # the test units join the training X, all unlabelled
    X_all = pd.concat([X, X_te])
    y_all = np.r_[y, np.zeros(len(y_te), dtype=SURVIVAL_DTYPE)]
    with_unlabelled = _forest().fit(X_all, y_all)
    n_labelled = int((y["event"] | (y["time"] >= 1)).sum())
    assert with_unlabelled.forest_.estimators_[0].tree_.weighted_n_node_samples[0] == n_labelled
    np.testing.assert_array_equal(
        with_unlabelled.predict_surface(X_te), fitted.predict_surface(X_te)
    )


def test_nothing_labelled_is_a_clear_error(split):
    X, y, _, _ = split
    with pytest.raises(ValueError, match="no row of y has a known label"):
        _forest().fit(X, np.zeros(len(y), dtype=SURVIVAL_DTYPE))


def test_max_rows_caps_the_training_rows(split):
    X, y, X_te, _ = split
    est = _forest(max_rows=50, n_estimators=2).fit(X, y)
    tree = est.forest_.estimators_[0].tree_
    assert tree.weighted_n_node_samples[0] == 50  # bootstrap of the 50 rows kept
    assert est.predict_surface(X_te).shape == (len(X_te), K)


def test_errors(split):
    X, y, X_te, _ = split
    with pytest.raises(NotFittedError):
        _forest().predict(X_te)
    with pytest.raises(ValueError, match="beyond horizons"):
        _forest(horizon=K + 1).fit(X, y)


@pytest.mark.parametrize("alpha", [0.1, 1.0])
def test_ema_features_match_a_loop(alpha):
    rng = np.random.default_rng(0)
    series = [rng.normal(size=(7, 2)).astype(np.float32), rng.normal(size=(4, 2))]
    panel = Panel(series=series, offsets=np.array([0, 7, 11]))
    expected = []
    for s in series:  # restarted per series
        ema = s[0].astype(np.float64)
        for x in s:
            ema = alpha * x + (1 - alpha) * ema  # a no-op at the first step: ema[0] = x[0]
            expected.append(ema)
    np.testing.assert_allclose(_ema_features(panel, alpha), np.array(expected), rtol=1e-6)
