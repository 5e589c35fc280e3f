"""Shared tiny-model factories and small data for the estimator tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sktime_hepa import HEPAEventPredictor, HEPAPretrainer
from sktime_hepa.datasets import make_run_to_failure

# The tiny models gain nothing from intra-op threads, and OpenMP threads that
# spin-wait on a busy 2-core machine make them 10-100x slower.
torch.set_num_threads(1)

TINY_PRETRAINER = dict(
    d_model=16,
    n_heads=2,
    n_layers=1,
    patch_size=4,
    predictor_hidden=16,
    context_length=32,
    max_horizon=10,
    max_epochs=2,
    batch_size=32,
    device="cpu",
    random_state=0,
)
TINY_EVENTS = dict(horizons=8, max_epochs=2, batch_size=32, device="cpu", random_state=0)


def tiny_pretrainer(**params) -> HEPAPretrainer:
    """A HEPAPretrainer small enough to fit in well under a second."""
    return HEPAPretrainer(**{**TINY_PRETRAINER, **params})


def tiny_predictor(pretrainer=None, **params) -> HEPAEventPredictor:
    """A HEPAEventPredictor on a tiny pretrainer (a fresh one unless given)."""
    if pretrainer is None:
        pretrainer = tiny_pretrainer()
    return HEPAEventPredictor(pretrainer=pretrainer, **{**TINY_EVENTS, **params})


@pytest.fixture(scope="session")
def rtf_data():
    """12 short run-to-failure units: (X MultiIndex frame, structured y)."""
    return make_run_to_failure(
        12, n_sensors=3, n_conditions=1, min_life=20, max_life=40, random_state=0
    )


@pytest.fixture(scope="session")
def fitted_pretrainer(rtf_data):
    """A tiny pretrainer fitted once on ``rtf_data``; do not mutate it."""
    X, _ = rtf_data
    return tiny_pretrainer().fit(X)


@pytest.fixture(scope="session")
def fitted_predictor(rtf_data, fitted_pretrainer):
    """A tiny pred-FT event predictor on the frozen ``fitted_pretrainer``."""
    from sklearn.frozen import FrozenEstimator

    X, y = rtf_data
    return tiny_predictor(FrozenEstimator(fitted_pretrainer)).fit(X, y)


def to_numpy3d(X) -> np.ndarray:
    """Equal-length MultiIndex frame -> (n_series, n_channels, n_timepoints)."""
    return np.stack([g.to_numpy().T for _, g in X.groupby(level=0, sort=False)])
