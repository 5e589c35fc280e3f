"""scikit-learn's estimator checks on tiny HEPA estimators.

The checks feed 2-D arrays, which every estimator reads as ONE series whose
rows are consecutive time steps, and 1-D labels, which ``HEPAEventPredictor``,
the supervised baseline encoders and ``SurvivalForestBaseline`` read as
per-step 0/1 event labels. Everything runs for real except the
entries of ``EXPECTED_FAILED_CHECKS``; each is a property that a causal
time-series model cannot have, not a defect (``tests/test_estimators.py``
checks the series-level analogues that do hold).
"""

from __future__ import annotations

import importlib.util

from conftest import tiny_predictor, tiny_pretrainer
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktime_hepa import (
    AnomalyTransformerDetector,
    ITransformerEncoder,
    LSTMAttentionAutoencoder,
    LSTMVAEDetector,
    MAEPretrainer,
    MTSJEPAPretrainer,
    PatchTSTEncoder,
    SensitiveMambaDetector,
    SurvivalForestBaseline,
    TRepEncoder,
)

_TINY = dict(d_model=16, n_heads=2, n_layers=1, max_epochs=2, batch_size=32, device="cpu")
_TINY_LSTM = dict(max_epochs=2, batch_size=32, device="cpu", random_state=0)
ESTIMATORS = [
    tiny_pretrainer(),
    tiny_predictor(),
    MAEPretrainer(**_TINY, patch_size=4, context_length=32, random_state=0),
    PatchTSTEncoder(**_TINY, patch_size=4, d_out=8, context_length=32, horizons=8, random_state=0),
    ITransformerEncoder(**_TINY, d_out=8, context_length=32, horizons=8, random_state=0),
    LSTMVAEDetector(hidden_size=8, latent_size=4, **_TINY_LSTM),
    LSTMAttentionAutoencoder(hidden_size=8, bottleneck_size=4, attention_size=4, **_TINY_LSTM),
    AnomalyTransformerDetector(**_TINY, d_ff=16, context_length=16, random_state=0),
    SensitiveMambaDetector(d_model=8, d_hidden=16, n_layers=1, context_length=16, **_TINY_LSTM),
    TRepEncoder(
        output_dims=8,
        hidden_dims=8,
        depth=2,
        time_embedding_dims=4,
        context_length=16,
        score_window=3,
        max_epochs=2,
        batch_size=32,
        device="cpu",
        random_state=0,
    ),
    MTSJEPAPretrainer(
        **_TINY, window=8, patch_size=4, n_codes=8, predictor_hidden=8, random_state=0
    ),
]
if importlib.util.find_spec("sksurv") is not None:  # optional dependency
    ESTIMATORS.append(
        SurvivalForestBaseline(horizons=8, n_estimators=5, min_samples_leaf=3, random_state=0)
    )

_TIME_SERIES_REASONS = {
    "check_methods_sample_order_invariance": (
        "rows of a 2-D X are consecutive time steps of one series and each row's "
        "output depends on the rows before it (its causal context), so shuffling rows "
        "changes every row's history; permuting whole series does not change results "
        "(test_series_order_invariance)"
    ),
    "check_methods_subset_invariance": (
        "a subset of rows passed as its own 2-D X is a different, shorter series: each "
        "row loses the history that preceded it; predicting a subset of whole series "
        "gives the same rows (test_series_subset_invariance)"
    ),
}

# the forest reads no context window, but its features do carry the past: an
# exponential moving average of every sensor restarted per series, and the age
_FOREST_REASONS = {
    name: reason.replace("its causal context", "its EMA features and its age")
    for name, reason in _TIME_SERIES_REASONS.items()
}

EXPECTED_FAILED_CHECKS = {
    "HEPAPretrainer": dict(_TIME_SERIES_REASONS),
    "HEPAEventPredictor": dict(_TIME_SERIES_REASONS),
    "MAEPretrainer": dict(_TIME_SERIES_REASONS),
    "PatchTSTEncoder": dict(_TIME_SERIES_REASONS),
    "ITransformerEncoder": dict(_TIME_SERIES_REASONS),
    "AnomalyTransformerDetector": dict(_TIME_SERIES_REASONS),
    "SensitiveMambaDetector": dict(_TIME_SERIES_REASONS),
    "LSTMVAEDetector": dict(_TIME_SERIES_REASONS),
    "LSTMAttentionAutoencoder": dict(_TIME_SERIES_REASONS),
    "TRepEncoder": dict(_TIME_SERIES_REASONS),
    "MTSJEPAPretrainer": dict(_TIME_SERIES_REASONS),
    "SurvivalForestBaseline": dict(_FOREST_REASONS),
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS[type(estimator).__name__]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
