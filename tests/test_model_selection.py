"""EventGroupKFold keeps whole series together and an event in every fold."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import GroupKFold, cross_validate

from sktime_hepa import AgeBaseline
from sktime_hepa.datasets import make_run_to_failure
from sktime_hepa.metrics import h_auroc_scorer
from sktime_hepa.model_selection import EventGroupKFold
from sktime_hepa.panel import series_ids


@pytest.fixture(scope="module")
def censored():
    """75 % of the units censored: a plain GroupKFold leaves a fold without an event."""
    X, y = make_run_to_failure(40, min_life=30, max_life=60, censor_fraction=0.75, random_state=0)
    return X, y, series_ids(X)


def test_no_nan_fold_under_heavy_censoring(censored):
    X, y, groups = censored
    model = AgeBaseline(horizons=10)

    def scores(cv):
        return cross_validate(
            model, X, y, groups=groups, cv=cv, scoring=h_auroc_scorer, error_score=np.nan
        )["test_score"]

    assert np.isnan(scores(GroupKFold(5))).any()  # the failure this splitter exists for
    assert np.isfinite(scores(EventGroupKFold(5))).all()


def test_folds_hold_whole_series_and_events(censored):
    X, y, groups = censored
    cv = EventGroupKFold(5, shuffle=True, random_state=0)
    seen = []
    for train, test in cv.split(X, y, groups):
        assert not set(groups[train]) & set(groups[test])  # whole series on one side
        assert y["event"][test].any() and y["event"][train].any()
        seen.append(test)
    assert np.array_equal(np.sort(np.concatenate(seen)), np.arange(len(X)))
    assert cv.get_n_splits() == 5


def test_refusals_name_the_problem(censored):
    X, y, groups = censored
    with pytest.raises(ValueError, match="needs y"):
        next(EventGroupKFold(3).split(X, None, groups))
    with pytest.raises(ValueError, match="needs groups"):
        next(EventGroupKFold(3).split(X, y))
    with pytest.raises(ValueError, match="fewer than n_splits=30"):
        next(EventGroupKFold(30).split(X, y, groups))
    with pytest.raises(ValueError, match="n_splits must be an integer >= 2"):
        EventGroupKFold(1)


def test_run_to_failure_data_with_few_event_free_series():
    X, y = make_run_to_failure(13, min_life=30, max_life=60, censor_fraction=0.15, random_state=0)
    groups = series_ids(X)
    folds = list(EventGroupKFold(3).split(X, y, groups))
    assert len(folds) == 3 and all(y["event"][test].any() for _, test in folds)
