import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate

from sktime_hepa import metrics
from sktime_hepa.metrics import (
    SurfaceScorer,
    brier_score,
    brier_scorer,
    combine_surface_scorers,
    ece_scorer,
    event_f1_score,
    expected_calibration_error,
    expected_time_to_event,
    f1_scorer,
    h_auroc_score,
    h_auroc_scorer,
    make_surface_scorer,
    pa_f1_scorer,
    per_horizon_auroc,
    point_adjusted_f1_score,
    rmse_scorer,
    time_to_event_rmse,
)
from sktime_hepa.targets import horizon_labels, make_survival_target, target_from_event_labels

K = 6


def _panel(n_series=8, length=40, seed=0):
    """Per-step event labels of several series, their survival target and series ids."""
    rng = np.random.default_rng(seed)
    labels, groups = [], []
    for s in range(n_series):
        lab = np.zeros(length, dtype=int)
        for start in rng.choice(np.arange(5, length - 3), size=2, replace=False):
            lab[start : start + rng.integers(1, 4)] = 1
        labels.append(lab)
        groups.append(np.full(length, s))
    labels, groups = np.concatenate(labels), np.concatenate(groups)
    return labels, target_from_event_labels(labels, groups), groups


def _noisy_surface(y, n_horizons=K, noise=0.3, seed=0):
    """Monotone surface that ranks rows by the true time, plus noise."""
    rng = np.random.default_rng(seed)
    time = np.where(y["event"], y["time"], y["time"] + n_horizons + 1)
    logit = np.arange(1, n_horizons + 1)[None, :] - time[:, None] + 0.5
    logit = logit + noise * rng.standard_normal((len(y), 1)) * 4
    return 1.0 / (1.0 + np.exp(-logit))


class SurfaceFromX(ClassifierMixin, BaseEstimator):
    """Fake estimator: the surface is X itself, raised to ``power``."""

    def __init__(self, power=1.0):
        self.power = power

    def fit(self, X, y):
        self.n_horizons_ = np.asarray(X).shape[1]
        return self

    def predict_surface(self, X):
        return np.asarray(X, dtype=float) ** self.power


# --------------------------------------------------------------------------- h-AUROC


def test_perfect_and_antiperfect_surface():
    _, y, _ = _panel()
    labels, _ = horizon_labels(y, K)
    assert h_auroc_score(y, labels) == 1.0
    assert h_auroc_score(y, 1.0 - labels) == 0.0
    np.testing.assert_array_equal(per_horizon_auroc(y, labels), np.ones(K))


def test_noisy_surface_between_chance_and_perfect():
    _, y, _ = _panel()
    score = h_auroc_score(y, _noisy_surface(y))
    assert 0.6 < score < 1.0


def test_degenerate_horizons_are_skipped():
    # Every event is at least 2 steps away: dt=1 has no positive.
    y = make_survival_target([True] * 4 + [False] * 4, [2, 3, 2, 5, 9, 9, 9, 9])
    surface = np.tile(np.linspace(0.1, 0.9, 8)[:, None], (1, 3))
    auroc = per_horizon_auroc(y, surface)
    assert np.isnan(auroc[0])
    assert np.isfinite(auroc[1:]).all()
    assert h_auroc_score(y, surface) == pytest.approx(np.nanmean(auroc[1:]))


def test_low_prevalence_horizon_is_skipped():
    n = 2000
    event = np.zeros(n, dtype=bool)
    event[0] = True  # one positive at dt=1: prevalence 0.0005 < 0.001
    time = np.full(n, 5.0)
    time[0] = 1.0
    y = make_survival_target(event, time)
    surface = np.zeros((n, 1))
    surface[0] = 1.0
    assert np.isnan(per_horizon_auroc(y, surface)[0])
    assert per_horizon_auroc(y, surface, min_prevalence=0.0)[0] == 1.0
    with pytest.raises(ValueError, match="degenerate"):
        h_auroc_score(y, surface)


def test_all_positive_horizon_is_skipped():
    y = make_survival_target([True, True, True, False], [1, 1, 2, 1])
    surface = np.array([[0.9, 0.9], [0.8, 0.8], [0.1, 0.7], [0.2, 0.2]])
    auroc = per_horizon_auroc(y, surface)
    # dt=2: row 3 is censored before dt (unknown), the rest are all positive.
    assert np.isfinite(auroc[0]) and np.isnan(auroc[1])


def test_unknown_cells_are_excluded():
    # Rows 4-5 are censored at time 0: unknown at every horizon, with top scores.
    y = make_survival_target([True, True, False, False, False, False], [1, 1, 5, 5, 0, 0])
    surface = np.array([[0.8], [0.7], [0.2], [0.1], [0.95], [0.99]])
    labels, known = horizon_labels(y, 1)
    assert per_horizon_auroc(y, surface)[0] == 1.0
    # Counting the unknown cells as negatives would change the answer.
    assert roc_auc_score(labels[:, 0], surface[:, 0]) < 1.0
    assert brier_score(y, surface) == pytest.approx(np.mean((surface[:4, 0] - [1, 1, 0, 0]) ** 2))


# --------------------------------------------------------------------------- F1 / PA-F1

LABELS = np.array([0, 1, 1, 1, 0, 0, 1, 1, 0, 0])
SCORES = np.array([0.1, 0.2, 0.9, 0.3, 0.8, 0.1, 0.2, 0.3, 0.1, 0.0])


def test_f1_hand_computed():
    # threshold 0.5 -> predicted steps 2 (positive) and 4 (negative); 5 positives.
    # plain: TP=1, FP=1, FN=4 -> 2/7. PA: segment 1-3 detected -> TP=3, FP=1, FN=2 -> 2/3.
    assert event_f1_score(LABELS, SCORES, threshold=0.5) == pytest.approx(2 / 7)
    assert point_adjusted_f1_score(LABELS, SCORES, threshold=0.5) == pytest.approx(2 / 3)
    assert event_f1_score(LABELS, SCORES, threshold=0.5) == pytest.approx(
        f1_score(LABELS, SCORES >= 0.5)
    )


def test_best_threshold_hand_computed():
    # Threshold 0.9 detects only segment 1-3: PA TP=3, FP=0, FN=2 -> 6/8.
    # Threshold 0.3 (max of segment 6-7) detects both: TP=5, FP=1 -> 10/11, the best;
    # 0.2 ties with it, and the highest tied threshold is kept.
    f1, thr = point_adjusted_f1_score(LABELS, SCORES, return_threshold=True)
    assert thr == 0.3
    assert f1 == pytest.approx(10 / 11)
    assert point_adjusted_f1_score(LABELS, SCORES, threshold=0.9) == pytest.approx(6 / 8)


def test_best_threshold_matches_brute_force():
    rng = np.random.default_rng(1)
    labels = (rng.random(300) < 0.2).astype(int)
    scores = np.round(rng.random(300) + 0.3 * labels, 2)  # ties on purpose
    best = max(f1_score(labels, scores >= t) for t in np.unique(scores))
    f1, thr = event_f1_score(labels, scores, return_threshold=True)
    assert f1 == pytest.approx(best)
    assert event_f1_score(labels, scores, threshold=thr) == pytest.approx(f1)
    pa_best = max(point_adjusted_f1_score(labels, scores, threshold=t) for t in np.unique(scores))
    assert point_adjusted_f1_score(labels, scores) == pytest.approx(pa_best)


def test_pa_f1_at_least_plain_f1():
    rng = np.random.default_rng(2)
    labels = np.repeat(rng.random(60) < 0.3, 5).astype(int)
    scores = rng.random(labels.size) + 0.2 * labels
    for t in (0.2, 0.5, 0.8, 1.1):
        assert point_adjusted_f1_score(labels, scores, threshold=t) >= event_f1_score(
            labels, scores, threshold=t
        )
    assert point_adjusted_f1_score(labels, scores) >= event_f1_score(labels, scores)


def test_pa_segments_do_not_cross_groups():
    labels = np.array([0, 1, 1, 1, 0])
    scores = np.array([0.0, 0.0, 0.0, 0.9, 0.0])
    assert point_adjusted_f1_score(labels, scores, threshold=0.5) == 1.0
    # Split into two series between steps 2 and 3: only the 1-step segment is detected.
    groups = np.array([0, 0, 0, 1, 1])
    f1 = point_adjusted_f1_score(labels, scores, threshold=0.5, groups=groups)
    assert f1 == pytest.approx(2 * 1 / (1 + 0 + 3))


def test_f1_errors():
    with pytest.raises(ValueError, match="same length"):
        event_f1_score([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="NaN"):
        point_adjusted_f1_score([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match="no positive"):
        event_f1_score([0, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="0/1"):
        event_f1_score([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="groups"):
        point_adjusted_f1_score([0, 1], [0.1, 0.2], groups=[0])


# --------------------------------------------------------------------------- time to event


def test_expected_time_of_step_surface():
    steps = np.array([1, 3, 6])
    surface = (np.arange(1, K + 1)[None, :] >= steps[:, None]).astype(float)
    np.testing.assert_allclose(expected_time_to_event(surface), steps)


def test_expected_time_tail_convention():
    surface = np.zeros((2, K))
    np.testing.assert_allclose(expected_time_to_event(surface), K + 1)
    np.testing.assert_allclose(expected_time_to_event(surface, tail=100), 100)
    # Half the mass at step 2, half past K.
    half = np.where(np.arange(1, K + 1) >= 2, 0.5, 0.0)[None, :]
    np.testing.assert_allclose(expected_time_to_event(half), 0.5 * 2 + 0.5 * (K + 1))
    with pytest.raises(ValueError, match="tail"):
        expected_time_to_event(surface, tail=K)


def test_expected_time_in_range_for_any_surface():
    rng = np.random.default_rng(3)
    tau = expected_time_to_event(rng.random((50, K)))  # not monotone
    assert (tau >= 1).all() and (tau <= K + 1).all()


def test_rmse_hand_computed_and_cap():
    # tau_hat = 2, 5, 7 (all-zero row -> K + 1 = 7); the censored row is ignored.
    surface = np.zeros((4, K))
    surface[0, 1:] = 1.0
    surface[1, 4:] = 1.0
    y = make_survival_target([True, True, True, False], [2, 1, 20, 3])
    assert time_to_event_rmse(y, surface) == pytest.approx(np.sqrt((0 + 16 + 169) / 3))
    # cap=4 clips both: errors 0, 4-1, 4-4.
    assert time_to_event_rmse(y, surface, cap=4) == pytest.approx(np.sqrt(9 / 3))
    with pytest.raises(ValueError, match="event=True"):
        time_to_event_rmse(make_survival_target([False], [3]), surface[:1])


# --------------------------------------------------------------------------- calibration


def test_ece_of_calibrated_constant_is_zero():
    _, y, _ = _panel()
    labels, known = horizon_labels(y, 1)
    base_rate = labels[known].astype(np.float64).mean()
    surface = np.full((len(y), 1), base_rate)
    assert expected_calibration_error(y, surface) == pytest.approx(0.0, abs=1e-12)


def test_ece_and_brier_hand_computed():
    # Cells of dt=1: labels 1, 0, 0, 1; probabilities 0.9, 0.1, 0.3, 1.0.
    y = make_survival_target([True, False, False, True], [1, 3, 3, 1])
    surface = np.array([[0.9], [0.1], [0.3], [1.0]])
    # Bins (10): 0.1 -> bin 1, 0.3 -> bin 3, 0.9 and 1.0 -> bin 9.
    ece = (1 * 0.1 + 1 * 0.3 + 2 * abs(1 - 0.95)) / 4
    assert expected_calibration_error(y, surface) == pytest.approx(ece)
    assert brier_score(y, surface) == pytest.approx((0.01 + 0.01 + 0.09 + 0.0) / 4)
    # One bin: |mean label - mean probability|.
    assert expected_calibration_error(y, surface, n_bins=1) == pytest.approx(abs(0.5 - 0.575))


# --------------------------------------------------------------------------- errors


def test_surface_errors():
    y = make_survival_target([True, False], [1, 4])
    with pytest.raises(ValueError, match="rows"):
        h_auroc_score(y, np.zeros((3, K)))
    with pytest.raises(ValueError, match="2-D"):
        brier_score(y, np.zeros(2))
    with pytest.raises(ValueError, match="NaN"):
        h_auroc_score(y, np.array([[0.1, np.nan], [0.2, 0.3]]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        brier_score(y, np.array([[1.5], [0.0]]))
    with pytest.raises(ValueError, match="structured survival target"):
        h_auroc_score(np.array([1, 0]), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="no known"):
        brier_score(make_survival_target([False, False], [0, 0]), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="min_prevalence"):
        per_horizon_auroc(y, np.zeros((2, 1)), min_prevalence=0.7)


# --------------------------------------------------------------------------- scorers


def test_scorers_in_cross_validate_with_group_kfold():
    _, y, groups = _panel()
    X = _noisy_surface(y)
    scoring = {
        "h_auroc": h_auroc_scorer,
        "pa_f1": pa_f1_scorer,
        "f1": f1_scorer,
        "rmse": rmse_scorer,
        "rmse125": make_surface_scorer(time_to_event_rmse, greater_is_better=False, cap=125),
        "ece": ece_scorer,
        "brier": brier_scorer,
    }
    res = cross_validate(
        SurfaceFromX(), X, y, groups=groups, cv=GroupKFold(n_splits=4), scoring=scoring
    )
    for name in scoring:
        assert np.isfinite(res[f"test_{name}"]).all(), name
    assert (res["test_h_auroc"] > 0.6).all()
    assert (res["test_rmse"] <= 0).all() and (res["test_brier"] <= 0).all()
    assert (res["test_pa_f1"] >= res["test_f1"] - 1e-12).all()
    # The scorer equals the metric on the held-out fold.
    _, test = next(GroupKFold(n_splits=4).split(X, y, groups))
    assert res["test_h_auroc"][0] == pytest.approx(h_auroc_score(y[test], X[test]))
    assert res["test_rmse"][0] == pytest.approx(-time_to_event_rmse(y[test], X[test]))


def test_scorer_in_grid_search():
    _, y, groups = _panel()
    X = _noisy_surface(y)
    search = GridSearchCV(
        SurfaceFromX(),
        {"power": [0.5, 1.0, 2.0]},
        scoring={"h_auroc": h_auroc_scorer, "brier": brier_scorer},
        refit="brier",
        cv=GroupKFold(n_splits=3),
    )
    search.fit(X, y, groups=groups)
    # A monotone transform leaves AUROC unchanged but not the Brier score.
    np.testing.assert_allclose(
        search.cv_results_["mean_test_h_auroc"], search.cv_results_["mean_test_h_auroc"][0]
    )
    assert len(set(np.round(search.cv_results_["mean_test_brier"], 12))) == 3
    assert search.best_params_["power"] in (0.5, 1.0, 2.0)


def test_combined_scorer_matches_single_scorers():
    _, y, groups = _panel()
    X = _noisy_surface(y)
    scoring = combine_surface_scorers({"h_auroc": h_auroc_scorer, "rmse": rmse_scorer})
    est = SurfaceFromX().fit(X, y)
    assert scoring(est, X, y) == {
        "h_auroc": pytest.approx(h_auroc_scorer(est, X, y)),
        "rmse": pytest.approx(rmse_scorer(est, X, y)),
    }
    res = cross_validate(est, X, y, groups=groups, cv=GroupKFold(n_splits=2), scoring=scoring)
    assert np.isfinite(res["test_h_auroc"]).all()


def test_step_scorers_use_dt1_and_cut_segments_at_series_ends():
    # Series A [0 0 0 1 1], series B [1 1 0 0 0]. y(t, 1) is the next step's label;
    # A's last row is censored at time 0 (unknown) and dropped.
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 0, 0, 0])
    groups = np.repeat([0, 1], 5)
    y = target_from_event_labels(labels, groups)
    X = np.zeros((10, 2))
    X[5, 0] = 0.9  # p(t, 1) of B's first row: detects B's one-step segment only
    est = SurfaceFromX().fit(X, y)
    dt1 = np.array([0, 0, 1, 1, 1, 0, 0, 0, 0])  # known rows: all but row 4
    assert SurfaceScorer(point_adjusted_f1_score, threshold=0.5)(est, X, y) == pytest.approx(
        2 * 1 / (1 + 0 + 3)
    )
    assert SurfaceScorer(event_f1_score, threshold=0.5)(est, X, y) == pytest.approx(
        f1_score(dt1, np.delete(X[:, 0], 4) >= 0.5)
    )


def test_scorer_accepts_per_step_labels(monkeypatch):
    labels, y, groups = _panel()
    X = _noisy_surface(y)
    monkeypatch.setattr(metrics, "_series_ids", lambda X_: groups[: len(X_)])
    est = SurfaceFromX().fit(X, y)
    assert h_auroc_scorer(est, X, labels) == pytest.approx(h_auroc_scorer(est, X, y))
    assert pa_f1_scorer(est, X, labels) == pytest.approx(pa_f1_scorer(est, X, y))


def test_scorer_errors_and_repr():
    _, y, _ = _panel()
    est = SurfaceFromX().fit(np.zeros((3, K)), None)
    with pytest.raises(ValueError, match="rows"):
        h_auroc_scorer(est, np.zeros((3, K)), y)
    with pytest.raises(ValueError, match="sign"):
        SurfaceScorer(h_auroc_score, sign=2)
    with pytest.raises(ValueError, match="SurfaceScorer"):
        combine_surface_scorers({"x": len})
    scorer = make_surface_scorer(time_to_event_rmse, greater_is_better=False, cap=125)
    assert repr(scorer) == (
        "make_surface_scorer(time_to_event_rmse, greater_is_better=False, cap=125)"
    )


def test_scorer_reaches_predict_surface_through_a_pipeline():
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    y = make_survival_target([True, True, False, True], [1.0, 3.0, 5.0, 2.0])
    surface = np.array([[0.9, 0.95], [0.1, 0.2], [0.0, 0.05], [0.3, 0.9]])

    class Final:
        def predict_surface(self, X):
            return surface[np.asarray(X)[:, 0].astype(int)]

    pipe = Pipeline([("id", FunctionTransformer()), ("final", Final())])
    X = np.arange(4.0).reshape(-1, 1)
    assert h_auroc_scorer(pipe, X, y) == h_auroc_score(y, surface)


def test_expected_time_to_event_extrapolated_matches_a_constant_hazard():
    from sktime_hepa.metrics import expected_time_to_event

    K, h = 10, 0.2  # geometric event time: E[T] = 1 / h
    surface = 1 - (1 - h) ** np.arange(1, K + 1)[None, :]
    assert expected_time_to_event(surface, method="extrapolated")[0] == pytest.approx(1 / h)
    restricted = expected_time_to_event(surface)[0]  # E[min(T, K + 1)] < E[T]
    assert restricted == pytest.approx(1 + (1 - surface).sum()) and restricted < 1 / h
    flat = np.zeros((1, K))  # no event ever: infinite mean, K + 1 restricted
    assert np.isinf(expected_time_to_event(flat, method="extrapolated")[0])
    with pytest.raises(ValueError, match="method"):
        expected_time_to_event(surface, method="mean")
    with pytest.raises(ValueError, match="restricted"):
        expected_time_to_event(surface, method="extrapolated", tail=20)


def test_point_adjusted_f1_reads_series_from_a_multiindex():
    """Anomalies that end one series and start the next are two segments, not one."""
    import pandas as pd

    index = pd.MultiIndex.from_product([["a", "b"], range(4)], names=["unit", "t"])
    labels = pd.Series([0, 0, 1, 1, 1, 1, 0, 0], index=index)
    scores = np.array([0, 0, 0, 1, 0, 0, 0, 0], dtype=float)
    # one series: the detection at a/3 credits b/0-1 too (F1 1.0); by series it does not
    assert point_adjusted_f1_score(labels.to_numpy(), scores, threshold=0.5) == 1.0
    by_series = point_adjusted_f1_score(labels, scores, threshold=0.5)
    assert by_series == pytest.approx(
        point_adjusted_f1_score(labels.to_numpy(), scores, threshold=0.5, groups=[0] * 4 + [1] * 4)
    )
    assert by_series == pytest.approx(2 * 1.0 * 0.5 / 1.5)
