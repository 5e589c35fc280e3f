"""scikit-survival's IPCW metrics on surfaces, and their scorers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("sksurv")

from sksurv.metrics import concordance_index_ipcw, cumulative_dynamic_auc  # noqa: E402

from sktime_hepa.metrics import (  # noqa: E402
    expected_time_to_event,
    h_auroc_score,
    integrated_brier_score,
    make_survival_scorer,
    time_dependent_auc_score,
    uno_concordance_score,
)
from sktime_hepa.targets import make_survival_target  # noqa: E402

K = 20


@pytest.fixture(scope="module")
def censored():
    """Rows with a geometric time to event, a third censored early; risk known."""
    rng = np.random.default_rng(0)
    n = 600
    rate = rng.uniform(0.02, 0.3, n)  # per-step hazard
    event_time = rng.geometric(rate).astype(float)
    censor_time = rng.uniform(1, 40, n)
    observed = event_time <= censor_time
    y = make_survival_target(observed, np.minimum(event_time, censor_time))
    dts = np.arange(1, K + 1)
    oracle = 1 - (1 - rate[:, None]) ** dts  # the true CDF
    noise = np.clip(oracle + rng.normal(0, 0.2, oracle.shape), 0, 1)
    return y, oracle, np.maximum.accumulate(noise, axis=1)


def test_time_dependent_auc_matches_sksurv(censored):
    y, oracle, _ = censored
    times = np.arange(2, 15)
    expected = cumulative_dynamic_auc(y, y, oracle[:, times - 1], times)[1]
    assert time_dependent_auc_score(y, oracle, times=times) == pytest.approx(expected)


def test_ipcw_metrics_rank_the_oracle_above_a_noisy_surface(censored):
    y, oracle, noisy = censored
    assert time_dependent_auc_score(y, oracle) > time_dependent_auc_score(y, noisy) > 0.5
    assert integrated_brier_score(y, oracle) < integrated_brier_score(y, noisy)
    assert uno_concordance_score(y, oracle) > uno_concordance_score(y, noisy) > 0.5
    risk = -expected_time_to_event(oracle)
    assert uno_concordance_score(y, oracle) == pytest.approx(
        concordance_index_ipcw(y, y, risk, tau=K)[0]
    )
    # h-AUROC drops unknown cells instead of re-weighting: close, not equal
    assert abs(h_auroc_score(y, oracle) - time_dependent_auc_score(y, oracle)) < 0.1


def test_survival_scorer_and_bad_times(censored):
    y, oracle, _ = censored

    class Fixed:
        def predict_surface(self, X):
            return oracle

    scorer = make_survival_scorer("integrated_brier", y_train=y)
    assert scorer(Fixed(), np.zeros((len(y), 1)), y) == pytest.approx(
        -integrated_brier_score(y, oracle, y_train=y)
    )
    with pytest.raises(ValueError, match="horizons in 1..20"):
        time_dependent_auc_score(y, oracle, times=[0, 5])
    with pytest.raises(ValueError, match="metric must be one of"):
        make_survival_scorer("c_index", y_train=y)


def test_surv_targets_with_other_field_names_are_read_everywhere():
    from sktime_hepa import AgeBaseline
    from sktime_hepa.datasets import make_run_to_failure
    from sktime_hepa.metrics import brier_score, h_auroc_score, time_dependent_auc_score
    from sktime_hepa.targets import as_survival_target

    X, y = make_run_to_failure(8, min_life=30, max_life=40, random_state=0)
    other = np.empty(len(y), dtype=[("status", bool), ("days", np.float64)])
    other["status"], other["days"] = y["event"], y["time"]
    np.testing.assert_array_equal(as_survival_target(other), y)
    model = AgeBaseline(horizons=10).fit(X, other)
    np.testing.assert_array_equal(
        model.predict_surface(X), AgeBaseline(horizons=10).fit(X, y).predict_surface(X)
    )
    surface = model.predict_surface(X)
    assert h_auroc_score(other, surface) == h_auroc_score(y, surface)
    assert brier_score(other, surface) == brier_score(y, surface)
    assert time_dependent_auc_score(other, surface) == time_dependent_auc_score(y, surface)
    assert model.score(X, other) == model.score(X, y)
    wrong = np.zeros(3, dtype=[("days", float), ("status", bool)])  # numeric first: not a Surv
    with pytest.raises(ValueError, match="boolean event indicator first"):
        as_survival_target(wrong)
    with pytest.raises(ValueError, match="boolean event first"):
        h_auroc_score(wrong, np.zeros((3, 10)))


def test_ipcw_metrics_on_degenerate_targets_name_the_problem():
    from sktime_hepa.metrics import integrated_brier_score, time_dependent_auc_score
    from sktime_hepa.targets import make_survival_target

    rng = np.random.default_rng(0)
    surface = np.sort(rng.random((20, 5)), axis=1)
    censored = make_survival_target(np.zeros(20, bool), rng.integers(1, 10, 20))
    for metric in (time_dependent_auc_score, integrated_brier_score):
        with pytest.raises(ValueError, match="y_true has no event"):
            metric(censored, surface)
    one = make_survival_target(np.r_[True, np.zeros(19, bool)], rng.integers(1, 10, 20))
    with pytest.raises(ValueError, match="y_train has no event"):
        time_dependent_auc_score(one, surface, y_train=censored)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a single event: a number, no numpy warning
        assert np.isfinite(time_dependent_auc_score(one, surface))


def test_survival_scorer_reads_each_folds_training_targets():
    """y_train="fit": the censoring data of the fold the model was fitted on."""
    from sklearn.frozen import FrozenEstimator

    from sktime_hepa import AgeBaseline, SurfaceCalibrator, make_pipeline
    from sktime_hepa.datasets import make_run_to_failure
    from sktime_hepa.metrics import time_dependent_auc_score

    X, y = make_run_to_failure(12, random_state=0)
    units = X.index.get_level_values(0)
    train, test = np.isin(units, units.unique()[:8]), np.isin(units, units.unique()[8:])
    model = AgeBaseline(horizons=20).fit(X[train], y[train])
    scorer = make_survival_scorer("time_dependent_auc")
    expected = time_dependent_auc_score(y[test], model.predict_surface(X[test]), y_train=y[train])
    assert scorer(model, X[test], y[test]) == pytest.approx(expected)
    # a fixed y_train is used as given, and differs here
    fixed = make_survival_scorer("time_dependent_auc", y_train=y[test])(model, X[test], y[test])
    assert fixed == pytest.approx(time_dependent_auc_score(y[test], model.predict_surface(X[test])))
    # wrappers: the fitted model inside a pipeline or a calibrator
    pipe = make_pipeline(AgeBaseline(horizons=20)).fit(X[train], y[train])
    assert scorer(pipe, X[test], y[test]) == pytest.approx(expected)
    cal = SurfaceCalibrator(FrozenEstimator(model), method="sigmoid").fit(X[test], y[test])
    assert scorer(cal, X[test], y[test]) == pytest.approx(
        time_dependent_auc_score(y[test], cal.predict_surface(X[test]), y_train=y[train])
    )

    class Fixed:
        def predict_surface(self, X):
            return model.predict_surface(X)

    with pytest.raises(ValueError, match='y_train="fit" reads the targets'):
        scorer(Fixed(), X[test], y[test])
    with pytest.raises(ValueError, match='y_train must be "fit"'):
        make_survival_scorer("time_dependent_auc", y_train=None)


def test_ipcw_metrics_when_the_test_part_outlives_the_training_part():
    """A fold whose test times pass y_train's last time: censored there, same earlier AUCs."""
    rng = np.random.default_rng(0)
    n, K = 400, 30
    time = rng.integers(1, 60, n).astype(float)
    event = rng.uniform(size=n) < 0.7
    y = np.array(list(zip(event, time, strict=True)), dtype=[("event", bool), ("time", float)])
    surface = np.sort(rng.uniform(size=(n, K)), axis=1)
    y_train = y[y["time"] < 40]  # ends before some test times
    assert (y["time"] >= y_train["time"].max()).any()
    short = time_dependent_auc_score(y, surface, y_train=y_train, times=np.arange(1, 31))
    # the same rows, censored by hand just before the end of y_train: the same score
    cut = y.copy()
    late = cut["time"] >= y_train["time"].max()
    cut["event"][late], cut["time"][late] = False, np.nextafter(y_train["time"].max(), 0)
    assert short == pytest.approx(
        time_dependent_auc_score(cut, surface, y_train=y_train, times=np.arange(1, 31))
    )
    assert np.isfinite(integrated_brier_score(y, surface, y_train=y_train))
    from sktime_hepa.metrics import uno_concordance_score

    assert 0.0 <= uno_concordance_score(y, surface, y_train=y_train) <= 1.0
