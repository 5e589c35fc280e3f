"""benchmarks.related (the six related systems, both faces) and benchmarks.head_stability.

Both run end to end at the smoke budget on the hidden ``synthetic`` dataset;
the detector face is checked on a small synthetic anomaly Bunch with
injected spikes, and the metric wrapper against hand-computed values.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.utils import Bunch

from benchmarks import head_stability, related, report_heads, report_related
from benchmarks.protocol import BUDGETS, RELATED_METHODS

SMOKE = ["--dataset", "synthetic", "--seeds", "0", "--budget", "smoke"]


def _records(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_detection_scores_threshold_and_oracle():
    labels = np.array([0, 0, 1, 1, 0, 0, 1, 0], bool)
    scores = np.array([0.1, 0.2, 0.9, 0.3, 0.1, 0.2, 0.8, 0.1])
    groups = np.zeros(8, int)
    out = related.detection_scores(labels, scores, groups, threshold=0.5)
    # flagged: rows 2 and 6 -> plain F1: tp 2, fp 0, fn 1 -> 0.8; PA: both segments hit -> 1.0
    assert out["f1"] == pytest.approx(0.8)
    assert out["pa_f1"] == pytest.approx(1.0)
    assert out["flagged_share"] == pytest.approx(2 / 8)
    assert out["auroc"] == pytest.approx(1.0)
    assert out["f1_oracle"] == pytest.approx(1.0)  # threshold 0.3 catches all three
    # a threshold above every score flags nothing
    assert related.detection_scores(labels, scores, groups, threshold=1.0)["f1"] == 0.0


def test_contamination_comes_from_training_labels_only():
    data = Bunch(labels_train=np.r_[np.zeros(95), np.ones(5)], labels_test=np.ones(10))
    assert related.training_contamination(data) == pytest.approx(0.05)
    assert related.training_contamination(Bunch()) == related.DEFAULT_CONTAMINATION
    data.labels_train = np.ones(10)
    assert related.training_contamination(data) == 0.5


def _spiky_bunch(seed=0):
    rng = np.random.default_rng(seed)

    def split(n_series, n, spikes):
        frames, labels = [], []
        for i in range(n_series):
            x = np.sin(np.arange(n)[:, None] / 5.0 + [0.0, 1.0]) + 0.05 * rng.normal(size=(n, 2))
            lab = np.zeros(n, bool)
            if spikes:
                at = rng.choice(np.arange(20, n), 4, replace=False)
                x[at] += 6.0
                lab[at] = True
            index = pd.MultiIndex.from_product([[i], range(n)], names=["series", "time"])
            frames.append(pd.DataFrame(x, index=index, columns=["a", "b"]))
            labels.append(lab)
        return pd.concat(frames), np.concatenate(labels)

    X_train, lab_train = split(6, 80, spikes=False)
    X_test, lab_test = split(2, 80, spikes=True)
    test_rows = np.arange(len(X_test))
    return Bunch(
        X_train=X_train,
        labels_train=lab_train,
        X_test=X_test,
        labels_test=lab_test,
        test_rows=test_rows,
        test_stride=1,
        bench_name="spiky",
    )


def _spike_records():
    """A detector record and its untrained control on ``_spiky_bunch``."""
    data = _spiky_bunch()
    budget = BUDGETS["smoke"]
    model, seconds = related.fit_related(data, "lstm_vae", 0, budget)
    rec = related.detector_record(data, "lstm_vae", 0, model, seconds, budget, "smoke", "abc")
    assert rec["n_test_rows_scored"] == len(data.X_test)
    untrained, s0 = related.fit_related(data, "lstm_vae", 0, budget, untrained=True)
    rec0 = related.detector_record(
        data, "lstm_vae", 0, untrained, s0, budget, "smoke", "abc", control="untrained"
    )
    return model, rec, rec0


def test_detector_record_on_injected_spikes():
    model, rec, rec0 = _spike_records()
    assert rec["contamination"] == related.DEFAULT_CONTAMINATION  # all-normal training labels
    assert rec["threshold"] == pytest.approx(np.quantile(model.threshold_scores_, 0.99))
    assert rec["auroc"] > 0.8  # a 6-sigma spike is easy even for one epoch
    assert rec["pa_f1_oracle"] >= rec["f1_oracle"] - 1e-12
    assert rec0["pretrain_epochs"] == 0 and rec0["control"] == "untrained"


def test_report_detectors_section(tmp_path):
    _, rec, rec0 = _spike_records()
    path = tmp_path / "det.jsonl"
    for r in (rec, rec0):
        related.append_record(path, {**r, "budget": "default"})
    lines = report_related.detectors_section(path)
    (row,) = [line for line in lines if line.startswith("| spiky | LSTM-VAE |")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2] == f"{rec['auroc']:.3f} (1)"  # AUROC
    share = rec["anomaly_share"]
    assert cells[7] == f"{2 * share / (1 + share):.3f}"  # flag every row
    assert cells[8] == f"{rec0['pa_f1_oracle']:.3f} (1)"  # the untrained control
    assert report_related.detectors_section(tmp_path / "none.jsonl") == []


@pytest.mark.parametrize("method", RELATED_METHODS)
def test_related_encoder_records(method, tmp_path):
    out, bench = tmp_path / "det.jsonl", tmp_path / "bench.jsonl"
    argv = [*SMOKE, "--method", method, "--labels", "1.0", "--out", str(out)]
    related.main([*argv, "--bench-out", str(bench)])
    (rec,) = _records(bench)
    assert rec["method"] == method and rec["label_fraction"] == 1.0
    assert rec["budget"] == "smoke"
    assert 0.0 <= rec["h_auroc"] <= 1.0
    assert not out.exists()  # synthetic is run-to-failure: no detector face
    related.main([*argv, "--bench-out", str(bench), "--skip-existing"])
    assert len(_records(bench)) == 1


def test_head_stability_records_and_resume(tmp_path):
    out = tmp_path / "hs.jsonl"
    argv = [*SMOKE, "--labels", "0.5", "--variants", "min0_loss", "min100_auroc"]
    head_stability.main([*argv, "--out", str(out)])
    recs = _records(out)
    assert [r["variant"] for r in recs] == ["min0_loss", "min100_auroc"]
    assert {r["budget"] for r in recs} == {"smoke"}
    assert recs[1]["head_params"] == {"min_steps": 100, "monitor": "valid_auroc"}
    assert all(r["stages"]["head"]["steps"] >= 1 for r in recs)
    head_stability.main([*argv, "--out", str(out), "--skip-existing"])
    assert len(_records(out)) == 2
    # the control encoder's heads: new records beside HEPA's, not a resume of them
    head_stability.main([*argv, "--method", "hepa_random", "--out", str(out), "--skip-existing"])
    recs = _records(out)
    assert [r["method"] for r in recs] == ["hepa", "hepa", "hepa_random", "hepa_random"]
    # the report reads default-budget records only, one row per encoder
    default = tmp_path / "default.jsonl"
    for r in recs:
        related.append_record(default, {**r, "budget": "default"})
    lines = report_heads.head_stability_section(default)
    (row,) = [line for line in lines if line.startswith("| synthetic | HEPA | 50% |")]
    assert f"worst {recs[0]['h_auroc']:.3f}" in row
    assert "–" in row  # the variants that were not run
    (control,) = [line for line in lines if line.startswith("| synthetic | HEPA random enc.")]
    assert f"worst {recs[2]['h_auroc']:.3f}" in control


def test_published_threshold_and_random_control_known_values():
    """The published protocol's threshold rule and what it gives random scores."""
    from benchmarks.published import published_threshold, random_control

    train, test = np.arange(50.0), np.arange(50.0, 100.0)
    assert published_threshold(train, test, ratio=1.0) == pytest.approx(
        np.percentile(np.arange(100.0), 99)
    )
    # one long anomaly segment: a random detector flags ~1 % of rows, and point
    # adjustment credits the whole segment for any one flag inside it
    labels = np.zeros(2000, bool)
    labels[500:1500] = True
    pa = random_control(labels, np.zeros(2000), n_train=2000, seed=0)
    assert pa > 0.9


def test_lstm_channel_follows_the_notebooks_protocol():
    """10-step windows with stride 5, 30 % of test windows flagged, window labels by any step."""
    from benchmarks.published import LSTM_PERCENTILE, lstm_channel

    rng = np.random.default_rng(0)
    t = np.arange(400)
    clean = np.sin(t / 5)[:, None] + 0.05 * rng.normal(size=(400, 1))
    test = np.sin(t / 5)[:, None] + 0.05 * rng.normal(size=(400, 1))
    labels = np.zeros(400, bool)
    labels[200:210] = True
    test[labels] += 3.0
    frame = lambda x: pd.DataFrame(x, columns=["value"])  # noqa: E731
    out = lstm_channel("lstm_vae", frame(clean), frame(test), labels, seed=0, max_epochs=2)
    n_windows = len(range(9, 400, 5))
    window_labels = np.array([labels[e - 9 : e + 1].any() for e in range(9, 400, 5)])
    assert out["anomalous_windows"] == pytest.approx(window_labels.mean())
    assert out["flag_all_f1"] == pytest.approx(
        2 * window_labels.mean() / (1 + window_labels.mean())
    )
    assert 0 <= out["f1"] <= 1 and out["auroc"] > 0.8  # a 60-sigma bump is found
    # the threshold flags the top 30 %: recall is at most 1, precision at most p / 0.3
    assert (
        out["f1"]
        <= 2 * window_labels.sum() / (window_labels.sum() + (1 - LSTM_PERCENTILE / 100) * n_windows)
        + 1e-9
    )


def test_matched_budget_gives_every_system_hepas_steps():
    """The matched budget: epochs of ``related_batches`` of each system's own batches."""
    from benchmarks.protocol import RELATED, related_model, stride_for

    budget, n_rows = BUDGETS["matched"], 100_000
    data = _spiky_bunch()
    for method in RELATED_METHODS:
        model = related_model(method, data, budget, 0, n_rows)
        batch = model.get_params()["batch_size"]
        assert model.max_epochs == budget.related_epochs == 8
        assert model.stride == stride_for(n_rows, budget.related_batches * batch)
        reference = method in budget.related_reference
        defaults = RELATED[method][0]().get_params()
        size_keys = {"d_model", "hidden_dims", "context_length", "n_layers"}
        same = all(model.get_params()[k] == defaults[k] for k in size_keys & set(defaults))
        assert same == (reference or not (size_keys & set(RELATED[method][1])))
    # the default budget keeps windows per epoch, whatever the batch size
    default = related_model("trep", data, BUDGETS["default"], 0, n_rows)
    assert default.stride == stride_for(n_rows, BUDGETS["default"].related_samples)
    assert default.get_params()["hidden_dims"] == RELATED["trep"][1]["hidden_dims"]


def test_matched_records_and_section(tmp_path):
    """Detector records carry the optimiser steps; the fair-budget table reads them."""
    model, rec, _ = _spike_records()
    assert rec["optimizer_steps"] == sum(e["train_batch_count"] for e in model.history_) > 0
    path, cost = tmp_path / "det.jsonl", tmp_path / "cost.jsonl"
    related.append_record(path, {**rec, "budget": "default"})
    related.append_record(path, {**rec, "budget": "matched", "auroc": 0.75})
    for size, per_step in (("cpu", 0.02), ("reference", 0.5)):
        related.append_record(
            cost,
            {
                "method": "lstm_vae",
                "size": size,
                "seconds_per_step": per_step,
                "matched_budget_minutes": per_step * 152 / 60,
            },
        )
    lines = report_related.matched_section(path, cost)
    (row,) = [line for line in lines if line.startswith("| spiky | LSTM-VAE |")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3] == str(rec["optimizer_steps"])
    assert cells[4] == f"{rec['auroc']:.3f} (1)" and cells[5] == "0.750 (1)"
    (cost_row,) = [line for line in lines if line.startswith("| LSTM-VAE | 32 |")]
    assert "| reference | 0.020 | 0.500 | ~1 min |" in cost_row
    assert report_related.matched_section(tmp_path / "none.jsonl", cost) == []


def test_oracle_scores_known_values():
    """SensitiveMamba's published rule: best PA-F1 and F1 over thresholds on the test labels."""
    from benchmarks.published import oracle_scores

    labels = np.array([0, 0, 1, 1, 1, 0, 0, 1, 0, 0], bool)
    scores = np.array([0.1, 0.2, 0.9, 0.1, 0.1, 0.3, 0.2, 0.8, 0.1, 0.2])
    out = oracle_scores(labels, scores, np.zeros(10))
    # threshold 0.8 flags rows 2 and 7: plain tp 2 of 4 positives -> F1 2/3;
    # point adjusted, both segments are hit -> F1 1
    assert out["pa_f1"] == pytest.approx(1.0)
    assert out["f1"] == pytest.approx(2 / 3)
    assert 0.5 < out["auroc"] < 1
