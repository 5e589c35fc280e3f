"""benchmarks.protocol: label budgets and row thinning of the matched benchmark."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.protocol import UNLABELLED, stride_for, subsample_labels, thin_rows
from sktime_hepa.datasets import make_run_to_failure
from sktime_hepa.panel import series_ids
from sktime_hepa.targets import horizon_labels, make_survival_target

K = 10


def _groups(X):
    return np.unique(series_ids(X), return_inverse=True)[1]


def _labelled(y):
    return horizon_labels(y, K)[1].any(axis=1)


def _unlabelled(y):
    return (y["event"] == UNLABELLED[0]) & (y["time"] == UNLABELLED[1])


def _both_classes(y):
    labels, known = horizon_labels(y, K)
    return labels[known].any() and not labels[known].all()


@pytest.fixture(scope="module")
def many_series():
    """40 short units: label budgets are drawn over whole series."""
    X, y = make_run_to_failure(
        40, n_sensors=2, n_conditions=1, min_life=15, max_life=30, random_state=0
    )
    return y, _groups(X)


@pytest.fixture(scope="module")
def few_series():
    """3 long units: label budgets are drawn over 20 chronological blocks per unit."""
    X, y = make_run_to_failure(
        3, n_sensors=2, n_conditions=1, min_life=100, max_life=140, random_state=0
    )
    return y, _groups(X)


def _kept_cells(y, y_b, cells):
    """Which cells kept their labels; every cell must be kept whole or dropped whole."""
    kept = []
    for c in cells:
        whole = np.array_equal(y_b[c], y[c])
        dropped = _unlabelled(y_b[c]).all() and not whole
        assert whole != dropped, "a cell was partly relabelled"
        kept.append(whole)
    return np.array(kept)


@pytest.mark.parametrize("fraction", [0.05, 0.25, 0.5])
def test_whole_series_kept_with_20_or_more(many_series, fraction):
    y, groups = many_series
    y_b, info = subsample_labels(y, groups, fraction, seed=0, horizons=K)
    assert info == {"unit": "series", "kept": round(fraction * 40), "of": 40}
    kept = _kept_cells(y, y_b, [np.flatnonzero(groups == g) for g in range(40)])
    assert kept.sum() == info["kept"]
    assert _both_classes(y_b)


@pytest.mark.parametrize("fraction", [0.1, 0.3])
def test_blocks_kept_with_fewer_than_20_series(few_series, fraction):
    y, groups = few_series
    y_b, info = subsample_labels(y, groups, fraction, seed=0, horizons=K)
    assert info == {"unit": "blocks", "kept": round(fraction * 60), "of": 60}
    # 20 chronological blocks per series, each kept whole or dropped whole
    blocks = [b for g in range(3) for b in np.array_split(np.flatnonzero(groups == g), 20)]
    kept = _kept_cells(y, y_b, blocks)
    assert kept.sum() == info["kept"]
    rows_kept = sum(len(b) for b, k in zip(blocks, kept, strict=True) if k)
    assert rows_kept / len(y) == pytest.approx(fraction, abs=0.05)
    assert _both_classes(y_b)


def test_full_fraction_leaves_y_alone(many_series):
    y, groups = many_series
    y_b, info = subsample_labels(y, groups, 1.0, seed=0, horizons=K)
    assert info == {"unit": "all"}
    np.testing.assert_array_equal(y_b, y)
    assert y_b is not y


def test_input_is_not_modified_and_seed_reproducible(many_series):
    y, groups = many_series
    before = y.copy()
    a, _ = subsample_labels(y, groups, 0.25, seed=3, horizons=K)
    b, _ = subsample_labels(y, groups, 0.25, seed=3, horizons=K)
    c, _ = subsample_labels(y, groups, 0.25, seed=4, horizons=K)
    np.testing.assert_array_equal(y, before)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_draws_repeat_until_both_classes():
    """Only series 7 of 20 has an event within K: a 1-series budget must pick it."""
    groups = np.repeat(np.arange(20), 30)
    t = np.tile(np.arange(30), 20)
    event = groups == 7
    time = np.where(event, 29 - t, 1000.0)  # others are censored far beyond K
    y = make_survival_target(event, time)
    y_b, info = subsample_labels(y, groups, 0.05, seed=0, horizons=K)
    assert info["kept"] == 1
    np.testing.assert_array_equal(np.unique(groups[_labelled(y_b)]), [7])
    assert _both_classes(y_b)
    never = make_survival_target(np.zeros(600, bool), np.full(600, 1000.0))
    with pytest.raises(RuntimeError, match="both classes"):
        subsample_labels(never, groups, 0.05, seed=0, horizons=K)


# ------------------------------------------------------------------ row thinning


def test_stride_for():
    assert stride_for(100, 1000) == 1
    assert stride_for(1000, 1000) == 1
    assert stride_for(1001, 1000) == 2
    assert stride_for(6000, 1500) == 4


def test_thin_rows_every_sth_row_per_series():
    groups = np.repeat([0, 1, 2], [10, 7, 5])
    rows, s = thin_rows(groups, 8)
    assert s == 3  # ceil(22 / 8)
    # the s-th, 2s-th, ... step of each series (counting restarts per series)
    np.testing.assert_array_equal(rows, [2, 5, 8, 12, 15, 19])
    all_rows, s1 = thin_rows(groups, 22)
    assert s1 == 1
    np.testing.assert_array_equal(all_rows, np.arange(22))


@pytest.mark.parametrize("max_rows", [10, 57, 200, 999, 5000])
def test_thin_rows_keeps_at_most_max_rows(max_rows):
    rng = np.random.default_rng(max_rows)
    groups = np.repeat(np.arange(25), rng.integers(1, 200, 25))
    rows, s = thin_rows(groups, max_rows)
    assert len(rows) <= max_rows
    assert s == stride_for(len(groups), max_rows)
    assert (np.diff(rows) > 0).all()
    pos = np.arange(len(groups)) - np.searchsorted(groups, groups)  # step within its series
    assert (pos[rows] % s == s - 1).all()
    expected = sum(len(np.flatnonzero(groups == g)) // s for g in range(25))
    assert len(rows) == expected


# ------------------------------------------------------------------ methods and data


@pytest.fixture(scope="module")
def synthetic():
    from benchmarks.protocol import load_dataset

    return load_dataset("synthetic")


def test_synthetic_dataset_is_a_hidden_rul_bunch(synthetic):
    from benchmarks.protocol import DATASETS, HIDDEN_DATASETS

    assert "synthetic" in DATASETS and "synthetic" in HIDDEN_DATASETS
    assert synthetic.kind == "rul" and synthetic.context_length is None
    assert synthetic.horizons == 20
    units = {s: set(series_ids(synthetic[f"X_{s}"])) for s in ("train", "val", "test")}
    assert [len(u) for u in units.values()] == [18, 6, 6]
    assert not (units["train"] & units["test"]) and not (units["val"] & units["test"])
    for s in ("train", "val", "test"):
        assert len(synthetic[f"y_{s}"]) == len(synthetic[f"X_{s}"])


def test_controls_run_in_all_with_hepa_settings(synthetic):
    from sklearn.frozen import FrozenEstimator

    from benchmarks.protocol import (
        BUDGETS,
        METHODS,
        SELF_SUPERVISED,
        estimator,
        head_schedule,
        pretrainer,
    )

    assert {"hepa_random", "hepa_scratch"} <= set(METHODS)
    assert "hepa_random" in SELF_SUPERVISED and "hepa_scratch" not in SELF_SUPERVISED
    b = BUDGETS["smoke"]
    hepa = pretrainer("hepa", synthetic, b, 0, 1000).get_params()
    rand = pretrainer("hepa_random", synthetic, b, 0, 1000).get_params()
    assert rand.pop("max_epochs") == 0
    assert {k: v for k, v in hepa.items() if k != "max_epochs"} == rand
    scratch = estimator("hepa_scratch", synthetic, b, 0, 100)
    assert scratch.finetune == "scratch"
    assert (
        scratch.pretrainer.get_params()
        == pretrainer("hepa", synthetic, b, 0, len(synthetic.X_train)).get_params()
    )
    schedule = head_schedule(b, 100)
    assert scratch.max_epochs == schedule["max_epochs"] >= b.head_epochs
    assert scratch.min_steps == b.head_steps // 2 and scratch.patience == b.head_patience
    fitted = pretrainer("hepa_random", synthetic, b, 0, 1000).fit(synthetic.X_train)
    head = estimator("hepa_random", synthetic, b, 0, 100, fitted, standardize=True)
    assert isinstance(head.pretrainer, FrozenEstimator) and head.standardize
    with pytest.raises(ValueError, match="HEPA methods only"):
        estimator("ridge", synthetic, b, 0, 100, standardize=True)


def test_collapse_stats_read_the_last_epoch():
    from types import SimpleNamespace

    from benchmarks.protocol import best_epoch, collapse_stats, per_epoch

    assert collapse_stats(SimpleNamespace(history_=[])) is None
    assert collapse_stats(None) is None
    hist = [
        {"epoch": 1, "valid_l1": 0.5, "h_rank": 3.0, "valid_loss_best": True},
        {"epoch": 2, "valid_l1": 0.4, "h_rank": float("nan"), "valid_loss_best": False},
    ]
    pre = SimpleNamespace(history_=hist)
    stats = collapse_stats(pre)
    assert stats == {"valid_l1": 0.4, "h_rank": None, "epoch": 2, "best_epoch": 1}
    assert per_epoch(pre) == [0.5, 0.4] and best_epoch(pre) == 1
    assert collapse_stats(SimpleNamespace(history_=[{"epoch": 1, "train_loss": 1.0}])) is None


def test_head_schedule_reaches_the_step_budget_at_any_label_count():
    import math

    from benchmarks.protocol import BUDGETS, head_schedule

    b = BUDGETS["default"]
    for n_labelled in (30, 300, 3000, 30000):
        s = head_schedule(b, n_labelled)
        per_epoch = max(1, math.ceil(0.8 * math.ceil(n_labelled / s["stride"]) / 64))
        assert s["max_epochs"] * per_epoch >= b.head_steps  # enough steps, whatever the labels
        assert s["max_epochs"] >= b.head_epochs and s["min_steps"] == b.head_steps // 2
    assert head_schedule(b, 30)["max_epochs"] == b.head_steps  # one batch per epoch


def test_fd001_heldout_run_to_failure_split():
    """fd001-rtf: 85 training engines, 15 disjoint held-out ones, every test row a failure."""
    from sktime_hepa.datasets import get_data_home

    if not (get_data_home() / "cmapss").is_dir():
        pytest.skip("C-MAPSS not in the shared data")
    from benchmarks.protocol import load_dataset

    data = load_dataset("fd001-rtf")
    train = set(data.X_train.index.get_level_values(0))
    test = set(data.X_test.index.get_level_values(0))
    assert len(train) == 85 and len(test) == 15 and not train & test
    assert sorted(test) == data.heldout_engines and data.y_test["event"].all()
    assert data.horizons == 150 and data.context_length is None and data.kind == "rul"
