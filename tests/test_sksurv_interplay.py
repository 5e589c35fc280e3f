"""scikit-survival reads our surface estimators as it reads its own models."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import tiny_pretrainer
from sklearn.model_selection import GroupShuffleSplit

from sktime_hepa import AgeBaseline, HEPAEventPredictor
from sktime_hepa.datasets import make_run_to_failure
from sktime_hepa.metrics import time_dependent_auc_score
from sktime_hepa.panel import series_ids

sksurv_metrics = pytest.importorskip("sksurv.metrics")
from sksurv.functions import StepFunction  # noqa: E402

K = 20


@pytest.fixture(scope="module")
def split():
    X, y = make_run_to_failure(16, min_life=40, max_life=70, random_state=0)
    train, test = next(
        GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=0).split(X, groups=series_ids(X))
    )
    return X.iloc[train], y[train], X.iloc[test], y[test]


@pytest.fixture(scope="module")
def fitted(split):
    X_tr, y_tr, _, _ = split
    pre = tiny_pretrainer(max_horizon=K, max_epochs=1)
    return HEPAEventPredictor(pre, horizons=K, max_epochs=3, device="cpu", random_state=0).fit(
        X_tr, y_tr
    )


@pytest.mark.parametrize("model", ["hepa", "age"])
def test_step_functions_match_the_surface(split, fitted, model):
    X_tr, y_tr, X_te, _ = split
    est = fitted if model == "hepa" else AgeBaseline(horizons=K).fit(X_tr, y_tr)
    surface = est.predict_surface(X_te).astype(np.float64)
    np.testing.assert_array_equal(est.unique_times_, np.arange(1, K + 1))
    S = est.predict_survival_function(X_te, return_array=True)
    H = est.predict_cumulative_hazard_function(X_te, return_array=True)
    np.testing.assert_allclose(S, 1 - surface)
    np.testing.assert_allclose(H, -np.log(np.clip(1 - surface, 1e-300, 1)))
    assert (np.diff(H, axis=1) >= -1e-12).all()
    fns = est.predict_survival_function(X_te.iloc[:5])
    assert fns.shape == (5,) and all(isinstance(f, StepFunction) for f in fns)
    np.testing.assert_allclose(fns[2](np.array([1.0, 7.0, K])), S[2, [0, 6, K - 1]])
    with pytest.raises(ValueError, match="return_array"):
        est.predict_survival_function(X_te, return_array="yes")


def test_sksurv_metrics_on_our_functions_agree_with_ours(split, fitted):
    X_tr, y_tr, X_te, y_te = split
    times = np.array([2, 5, 10, 15])
    # sksurv's time-dependent AUC with our cumulative hazard at each time as the risk
    H = fitted.predict_cumulative_hazard_function(X_te, return_array=True)
    _, theirs = sksurv_metrics.cumulative_dynamic_auc(y_tr, y_te, H[:, times - 1], times)
    ours = time_dependent_auc_score(y_te, fitted.predict_surface(X_te), y_train=y_tr, times=times)
    assert theirs == pytest.approx(ours, abs=1e-6)
    # its Brier scorer wrapper calls predict_survival_function and evaluates the step functions
    scorer = sksurv_metrics.as_integrated_brier_score_scorer(fitted, times=times)
    scorer.estimator_, scorer._train_y = fitted, y_tr  # already fitted: score only
    S = fitted.predict_survival_function(X_te, return_array=True)[:, times - 1]
    expected = sksurv_metrics.integrated_brier_score(y_tr, y_te, S, times)
    assert -scorer.score(X_te, y_te) == pytest.approx(expected, abs=1e-9)
    assert 0 <= expected <= 1
