"""Does the JEPA predictor predict? The shuffled-target reference and a known-answer test.

The known answer: series that are perfectly predictable from their past
(three sines per unit, random frequency and phase, plus a linear trend). A
predictor that uses its context must get far closer to the real future target
than to another window's target of the same horizon; one that does not use it
scores a ratio of about 1, whatever the scale of its embeddings.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from sktime_hepa import HEPAPretrainer
from sktime_hepa.datasets import make_sine_panel
from sktime_hepa.diagnostics import (
    DT_BANDS,
    PREDICTION_RATIO_BOUND,
    PredictionWarning,
    matched_partners,
    prediction_reference,
)


def sine_panel(n_units, seed):
    return make_sine_panel(n_units, random_state=seed)


#: the known-answer fit: every objective setting at its default; one layer, patches
#: of 8 steps and 16 epochs keep it to ~25 s on one core (benchmarks/known_answer.py
#: records the same fit across widths and objectives)
KNOWN_ANSWER = dict(
    n_layers=1,
    patch_size=8,
    context_length=64,
    max_horizon=50,
    max_epochs=16,
    device="cpu",
    random_state=0,
)


@pytest.fixture(scope="module")
def known_answer_fit():
    pre = HEPAPretrainer(**KNOWN_ANSWER)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pre.fit(sine_panel(30, seed=0))
    return pre, caught


def test_default_objective_learns_to_predict_a_predictable_panel(known_answer_fit):
    pre, caught = known_answer_fit
    held_out = pre.prediction_error(sine_panel(20, seed=1))
    # a predictor that ignores its context cannot go below ~1; this one must reach 0.3
    assert held_out["ratio"] < 0.3, held_out
    for lo, hi in DT_BANDS[:3]:  # max_horizon=50: no window reaches the last band
        assert held_out[f"ratio_dt{lo}_{hi}"] < 0.45, held_out
    assert np.isnan(held_out["ratio_dt64_"])
    assert not any(issubclass(w.category, PredictionWarning) for w in caught)
    # the same reference, per epoch and on the validation windows
    assert pre.prediction_reference_["ratio"] < 0.3
    ratios = [row["pred_ratio"] for row in pre.history_]
    assert ratios[0] > ratios[-1]
    assert {"l1_shuffled", "pred_ratio_dt1_3"} <= set(pre.history_[-1])


def test_untrained_predictor_scores_about_one():
    pre = HEPAPretrainer(**{**KNOWN_ANSWER, "max_epochs": 0}).fit(sine_panel(10, seed=0))
    held_out = pre.prediction_error(sine_panel(10, seed=1))
    assert 0.9 < held_out["ratio"] < 1.1, held_out
    assert held_out["l1_shuffled"] > 0


def test_prediction_warning_names_the_ratio():
    # SIGReg as LeJEPA's test statistic (x batch size) at two epochs: nothing predicted
    pre = HEPAPretrainer(
        **{**KNOWN_ANSWER, "max_epochs": 2, "sigreg_scale": "batch", "d_model": 32, "n_heads": 2}
    )
    with pytest.warns(PredictionWarning, match="did not learn to predict"):
        pre.fit(sine_panel(8, seed=0))
    assert pre.prediction_reference_["ratio"] > PREDICTION_RATIO_BOUND


def test_prediction_reference_known_values():
    rng = np.random.default_rng(0)
    target = torch.as_tensor(rng.normal(size=(200, 16)))
    dt = rng.integers(1, 100, 200)
    exact = prediction_reference(target, target, dt)
    assert exact["l1"] == 0 and exact["ratio"] == 0
    # a prediction that ignores the row: the same vector for every row
    blind = prediction_reference(target[:1].expand(200, -1), target, dt)
    assert 0.85 < blind["ratio"] < 1.15
    # noise independent of the target
    noise = prediction_reference(torch.as_tensor(rng.normal(size=(200, 16))), target, dt)
    assert 0.85 < noise["ratio"] < 1.15


def test_matched_partners_pair_equal_horizons_across_rows():
    dt = np.repeat([1, 5, 40], 50)
    partner = matched_partners(dt, seed=0)
    assert (partner != np.arange(len(dt))).all()
    assert (dt[partner] == dt).mean() > 0.95  # only the band edges change dt
    assert sorted(partner) == list(range(len(dt)))  # a permutation
    with pytest.raises(ValueError, match="at least 2 rows"):
        matched_partners([3])


def test_prediction_error_validates_its_arguments(known_answer_fit):
    pre, _ = known_answer_fit
    X = sine_panel(3, seed=2)
    with pytest.raises(ValueError, match="max_windows"):
        pre.prediction_error(X, max_windows=1)
    with pytest.raises(ValueError, match="max_windows"):
        pre.prediction_error(X, max_windows=2.5)
    with pytest.raises(ValueError, match="random_state"):
        pre.prediction_error(X, random_state="a")
    with pytest.raises(ValueError, match="fewer than 2 windows"):
        pre.prediction_error(X.iloc[:1])
    with pytest.raises(ValueError):
        pre.prediction_error(X.iloc[:, :2])  # a sensor missing
    one = pre.prediction_error(X, max_windows=50)
    assert one["n_windows"] <= 60
