"""Distributed hyper-parameter search: GridSearchCV through joblib's Dask backend.

The same search (a SurfacePipeline, the package's scorers, GroupKFold by series)
run serially and on a two-worker ``dask.distributed.LocalCluster`` must give the
same result: every fit is seeded by its ``random_state``, wherever it runs.

The workers are processes (``processes=True``), not threads: a fit seeds torch's
global RNG for its duration (``_training.seeded``), so two fits running in
threads of one process would draw from each other's stream and the results
would depend on the schedule. In a worker process with one thread, one fit runs
at a time, as in the serial search.
"""

from __future__ import annotations

import joblib
import numpy as np
import pytest

distributed = pytest.importorskip("dask.distributed")

from conftest import TINY_EVENTS, tiny_pretrainer  # noqa: E402
from sklearn.model_selection import GridSearchCV, GroupKFold  # noqa: E402

from sktime_hepa import HEPAEventPredictor, make_pipeline  # noqa: E402
from sktime_hepa.metrics import brier_scorer, ece_scorer, h_auroc_scorer  # noqa: E402
from sktime_hepa.panel import series_ids  # noqa: E402

SCORING = {"h_auroc": h_auroc_scorer, "brier": brier_scorer, "ece": ece_scorer}
GRID = {"hepaeventpredictor__lr": [1e-3, 1e-2], "hepaeventpredictor__finetune": ["predictor"]}


def make_search() -> GridSearchCV:
    """2 candidates x 2 folds of a tiny pretrainer + event predictor pipeline."""
    pipe = make_pipeline(
        tiny_pretrainer(max_epochs=1), HEPAEventPredictor(**{**TINY_EVENTS, "max_epochs": 2})
    )
    return GridSearchCV(
        pipe,
        GRID,
        scoring=SCORING,
        refit="h_auroc",
        cv=GroupKFold(n_splits=2),
        error_score="raise",
    )


@pytest.fixture(scope="module")
def dask_client():
    """A LocalCluster of two single-threaded worker processes, and its client."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_search_equals_serial(rtf_data, dask_client):
    X, y = rtf_data
    groups = series_ids(X)  # whole series on each side of every split
    serial = make_search().fit(X, y, groups=groups)

    with distributed.get_task_stream(dask_client) as stream, joblib.parallel_backend("dask"):
        remote = make_search().fit(X, y, groups=groups)

    # the fits ran as tasks on the cluster's workers, not in this process
    workers = {task["worker"] for task in stream.data}
    assert workers, "no task reached the Dask cluster"
    assert workers <= set(dask_client.scheduler_info()["workers"])

    # the comparison below is not vacuous: the candidates score differently
    assert np.ptp(serial.cv_results_["mean_test_h_auroc"]) > 0
    assert remote.best_params_ == serial.best_params_
    assert remote.best_index_ == serial.best_index_
    for name in SCORING:
        for key in (f"mean_test_{name}", *(f"split{i}_test_{name}" for i in range(2))):
            np.testing.assert_allclose(
                remote.cv_results_[key], serial.cv_results_[key], rtol=0, atol=1e-6, err_msg=key
            )
    # the refitted best pipelines are the same model
    np.testing.assert_allclose(
        remote.best_estimator_.predict_surface(X),
        serial.best_estimator_.predict_surface(X),
        rtol=0,
        atol=1e-6,
    )
