"""benchmarks.run / objective / snapshots / report end to end at the smoke budget.

Every script runs on the hidden ``synthetic`` dataset of ``benchmarks.protocol``
(a few make_run_to_failure units), writes its records to a temporary file, and
the report renders its sections from them.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from benchmarks import objective, report, report_objective, run, snapshots

SMOKE = ["--dataset", "synthetic", "--seeds", "0", "--budget", "smoke"]
COLLAPSE = {"valid_l1", "h_std", "h_rank", "pred_std", "pred_rank"}
COLLAPSE |= {"valid_sigreg", "sigreg_gauss_ref", "sigreg_const_ref"}


def _records(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _check_scores(rec):
    assert 0.0 <= rec["h_auroc"] <= 1.0
    assert rec["dataset"] == "synthetic"
    assert rec["budget"] == "smoke"
    assert rec["commit"]
    assert rec["fit_seconds"] >= 0


# ---------------------------------------------------------------------- run.py


@pytest.fixture(scope="module")
def run_records(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "benchmark.jsonl"
    argv = [*SMOKE, "--method", "hepa", "hepa_random", "hepa_scratch", "--labels", "1.0", "0.5"]
    run.main([*argv, "--out", str(out)])
    return out, _records(out), argv


def test_run_controls_records(run_records):
    _, records, _ = run_records
    by = {(r["method"], r["label_fraction"]): r for r in records}
    assert set(by) == {(m, f) for m in ("hepa", "hepa_random", "hepa_scratch") for f in (1.0, 0.5)}
    for rec in records:
        _check_scores(rec)
        assert "collapse" in rec  # every HEPA-family record
    hepa = by[("hepa", 1.0)]
    assert COLLAPSE <= set(hepa["collapse"])
    assert hepa["collapse"]["h_rank"] >= 1.0 and hepa["collapse"]["valid_l1"] > 0
    assert hepa["stages"]["pretrain"]["epochs"] >= 1
    # hepa_random: a zero-epoch "pretrainer", fitted once per seed, its seconds recorded
    rand = by[("hepa_random", 1.0)]
    assert rand["stages"]["pretrain"] == {"epochs": 0, "max_epochs": 0, "early": False}
    assert rand["pretrain_seconds"] is not None
    assert rand["pretrain_seconds"] == by[("hepa_random", 0.5)]["pretrain_seconds"]
    # no epoch, no history: only the fitted (random) encoder's spread
    assert set(rand["collapse"]) == {"final_std", "final_rank", "final_cos"}
    assert 0 < rand["collapse"]["final_rank"] and -1 <= rand["collapse"]["final_cos"] <= 1
    # hepa_scratch: no shared pretrainer; everything is trained in the head's fit
    scratch = by[("hepa_scratch", 1.0)]
    assert scratch["pretrain_seconds"] is None and "pretrain" not in scratch["stages"]
    # its encoder starts from random weights: at most the spread of the zero-epoch encoder
    assert scratch["collapse"] is None or "h_rank" not in scratch["collapse"]


def test_run_skip_existing_adds_nothing(run_records):
    out, records, argv = run_records
    run.main([*argv, "--out", str(out), "--skip-existing"])
    assert len(_records(out)) == len(records)


def test_report_main_tables_show_controls(run_records):
    _, records, _ = run_records
    table = report.main_table(records)
    head = table[0]
    for name in ("HEPA", "HEPA random enc.", "HEPA scratch", report.RANDOM_DIFF):
        assert f"| {name} |" in head
    assert "| MAE |" not in head and "| RSF |" not in head  # no record, no column
    cols = [c.strip() for c in head.strip("|").split("|")]
    row = next(line for line in table[2:] if "| 100% |" in line)
    cells = dict(zip(cols, [c.strip() for c in row.strip("|").split("|")], strict=True))
    hepa = next(r["h_auroc"] for r in records if r["method"] == "hepa" and r["label_fraction"] == 1)
    rand = next(
        r["h_auroc"] for r in records if r["method"] == "hepa_random" and r["label_fraction"] == 1
    )
    assert float(cells[report.RANDOM_DIFF]) == pytest.approx(hepa - rand, abs=1e-3)
    domain = report.domain_table(records)
    assert report.RANDOM_DIFF in domain[0] and any("RMSE" in line for line in domain[2:])
    verdict = report.verdict_table(records)
    assert len(verdict) == 2  # the controls are never "the best other method"


# ---------------------------------------------------------------- objective.py


@pytest.fixture(scope="module")
def objective_records(tmp_path_factory):
    out = tmp_path_factory.mktemp("objective") / "objective.jsonl"
    argv = [*SMOKE, "--variant", "all", "--labels", "1.0", "--out", str(out)]
    objective.main(argv)
    return out, _records(out), argv


def test_objective_records(objective_records):
    _, records, _ = objective_records
    by = {r["variant"]: r for r in records}
    assert list(by) == list(objective.VARIANTS)
    for variant, rec in by.items():
        _check_scores(rec)
        assert rec["label_fraction"] == 1.0 and rec["seed"] == 0
        assert rec["pretrain_epochs"] == len(rec["valid_l1"])
        assert rec["pretrainer_params"] == objective.VARIANTS[variant][0]
        assert rec["pretrain_seconds"] is not None
        if variant == "random":
            assert rec["pretrain_epochs"] == 0
            assert set(rec["collapse"]) == {"final_std", "final_rank", "final_cos"}
        else:
            assert rec["pretrain_epochs"] >= 1 and COLLAPSE <= set(rec["collapse"])
            assert rec["collapse"]["valid_l1"] == pytest.approx(rec["valid_l1"][-1])
    # mean_standardize: mean's very pretrainer, under a standardising head
    std, mean = by["mean_standardize"], by["mean"]
    assert std["pretrainer_reused"] and not mean["pretrainer_reused"]
    assert std["collapse"] == mean["collapse"] and std["valid_l1"] == mean["valid_l1"]
    assert std["head_params"] == {"standardize": True}
    # the summed L1 is on another scale than the averaged one
    assert by["sum"]["valid_l1"][-1] > by["mean"]["valid_l1"][-1]


def test_objective_skip_existing(objective_records):
    out, records, argv = objective_records
    objective.main([*argv, "--skip-existing"])
    assert len(_records(out)) == len(records)


def test_objective_rejects_unknown_variant(tmp_path):
    with pytest.raises(SystemExit):
        objective.main([*SMOKE, "--variant", "nope", "--out", str(tmp_path / "x.jsonl")])


def test_report_objective_section(objective_records):
    _, records, _ = objective_records
    lines = report_objective.objective_section(records)
    assert lines[0] == "## Objective comparison"
    table = [line for line in lines if line.startswith("| synthetic |")]
    assert [line.split("|")[3].strip() for line in table] == list(objective.VARIANTS)
    random_row = next(line for line in table if line.split("|")[3].strip() == "random").split("|")
    assert random_row[-3].strip() == "–" and random_row[-4].strip() == "–"  # no epoch, no ε
    assert report_objective.objective_section([]) == []


# ---------------------------------------------------------------- snapshots.py


@pytest.fixture(scope="module")
def snapshot_records(tmp_path_factory):
    out = tmp_path_factory.mktemp("snapshots") / "snapshots.jsonl"
    argv = [*SMOKE, "--epochs", "4", "--at", "1", "3", "--out", str(out)]
    snapshots.main(argv)
    return out, _records(out), argv


def test_snapshot_records(snapshot_records):
    _, records, _ = snapshot_records
    assert [r["epoch"] for r in records] == [1, 3, "best"]
    for rec in records:
        _check_scores(rec)
        assert rec["label_fraction"] == 1.0
        assert isinstance(rec["valid_l1"], float) and rec["valid_l1"] > 0
        assert rec["pretrain_epochs"] == 4  # patience defaults to --epochs: no early stop
    best = records[-1]
    assert 1 <= best["best_epoch"] <= 4
    assert best["valid_l1"] == pytest.approx(best["valid_l1_per_epoch"][best["best_epoch"] - 1])
    for rec in records[:-1]:
        eps = best["valid_l1_per_epoch"][rec["epoch"] - 1]
        assert rec["valid_l1"] == pytest.approx(eps, rel=1e-4)


def test_snapshot_resumes_missing_epochs(snapshot_records, tmp_path):
    out, records, argv = snapshot_records
    snapshots.main([*argv, "--skip-existing"])  # complete: nothing new
    assert len(_records(out)) == len(records)
    partial = tmp_path / "partial.jsonl"
    partial.write_text(json.dumps(records[0]) + "\n")  # only epoch 1 recorded
    argv = [a if a != str(out) else str(partial) for a in argv]
    snapshots.main([*argv, "--skip-existing"])
    again = _records(partial)
    assert [r["epoch"] for r in again] == [1, 3, "best"]
    # deterministic: the rerun's snapshots score as the first run's did
    assert again[1]["h_auroc"] == pytest.approx(records[1]["h_auroc"], abs=1e-6)
    assert again[2]["valid_l1"] == pytest.approx(records[2]["valid_l1"])


def test_snapshot_callback_keeps_cpu_copies():
    import torch

    class Net:
        module_ = torch.nn.Linear(2, 2)
        history = [{"epoch": 3, "valid_l1": 0.5}]

    cb = snapshots.StateSnapshots((3,)).initialize()
    net = Net()
    cb.on_epoch_end(net)
    with torch.no_grad():
        net.module_.weight.add_(1.0)
    snap = cb.snapshots_[3]
    assert snap["valid_l1"] == 0.5
    assert not torch.equal(snap["state"]["weight"], net.module_.weight)
    net.history = [{"epoch": 4, "valid_l1": 0.4}]
    cb.on_epoch_end(net)
    assert list(cb.snapshots_) == [3]


def test_report_snapshot_section(snapshot_records):
    _, records, _ = snapshot_records
    lines = report_objective.snapshot_section(records, figure_link="figures/snapshots.png")
    assert lines[0].startswith("## Does a lower ε")
    row = next(line for line in lines if line.startswith("| synthetic | smoke | 3 (1) |"))
    rho = row.split("|")[4].strip()
    expected, _ = report_objective.spearman(
        [r["valid_l1"] for r in records], [r["h_auroc"] for r in records]
    )
    assert (rho == "–") if np.isnan(expected) else float(rho) == pytest.approx(expected, abs=0.01)
    assert any(line.startswith("| synthetic | smoke | best |") for line in lines)
    assert "![ε against h-AUROC per snapshot](figures/snapshots.png)" in lines
    assert report_objective.snapshot_section([]) == []


def test_spearman_matches_the_paper_sign_convention():
    rho, _ = report_objective.spearman([0.3, 0.2, 0.1], [0.6, 0.7, 0.8])
    assert rho == pytest.approx(-1.0)
    assert np.isnan(report_objective.spearman([0.1, 0.2], [0.5, 0.6])[0])


# -------------------------------------------------------------------- report.py


def test_report_cli_renders_every_section(
    run_records, objective_records, snapshot_records, tmp_path
):
    out, figure = tmp_path / "docs" / "report.md", tmp_path / "docs" / "figures" / "snap.png"
    out.parent.mkdir()
    report.main(
        [
            "--results",
            str(run_records[0]),
            "--objective",
            str(objective_records[0]),
            "--snapshots",
            str(snapshot_records[0]),
            "--out",
            str(out),
            "--figure",
            str(figure),
        ]
    )
    text = out.read_text()
    assert "## Objective comparison" in text
    assert "## Does a lower ε mean a better encoder?" in text
    assert "| synthetic | smoke | mean_standardize |" in text
    has_mpl = importlib.util.find_spec("matplotlib") is not None
    assert figure.is_file() == has_mpl
    assert ("](figures/snap.png)" in text) == has_mpl
    # without objective or snapshot records the sections are left out
    empty = tmp_path / "none.jsonl"
    report.main(
        ["--results", str(run_records[0]), "--objective", str(empty)]
        + ["--snapshots", str(empty), "--out", str(out)]
    )
    text = out.read_text()
    assert "## Objective comparison" not in text and "pretraining snapshots" not in text


def test_pretraining_study_records_and_report(tmp_path):
    from benchmarks import pretraining_study, report_pretraining

    out = tmp_path / "study.jsonl"
    args = [*SMOKE, "--variant", "none", "random", "--labels", "0.5", "--out", str(out)]
    pretraining_study.main([*args, "--finetune", "predictor", "head"])
    records = [json.loads(line) for line in out.read_text().splitlines()]
    pre = [r for r in records if r["kind"] == "pretrain"]
    heads = {r["variant"] for r in records if r["kind"] == "head"}
    assert {r["variant"] for r in pre} == {"none", "random"}
    assert heads == {"none", "none+head", "random", "random+head", "scratch", "age"}
    for r in pre:  # the held-out reference on the test series, and its per-epoch record
        assert set(r["test_prediction"]) >= {"l1", "l1_shuffled", "ratio", "ratio_dt1_3"}
        assert r["test_prediction"]["n_windows"] > 0
    assert next(r for r in pre if r["variant"] == "random")["pretrain_epochs"] == 0
    n = len(records)
    pretraining_study.main([*args, "--finetune", "predictor", "head", "--skip-existing"])
    assert len(out.read_text().splitlines()) == n  # resumes: nothing left to do
    lines = report_pretraining.section(out, budget="smoke")
    assert any(line.startswith("| synthetic | none+head |") for line in lines)
    assert any(line.startswith("| synthetic | **random** |") for line in lines)


def test_probability_scales_benchmark(tmp_path):
    """benchmarks.probability: one record per scale and the age floor, rankings kept."""
    from benchmarks import probability

    out = tmp_path / "probability.jsonl"
    probability.main([*SMOKE, "--out", str(out)])
    records = {r["scale"]: r for r in _records(out)}
    variants = {f"held_out_degree{d}" for d in probability.VARIANT_DEGREES}
    assert set(records) == {"weighted", "unweighted", "held_out", "age"} | variants
    for scale in probability.SCALES:  # per-horizon ranks kept; the running max may move a few
        assert records[scale]["h_auroc"] == pytest.approx(records["weighted"]["h_auroc"], abs=0.01)
        assert 0.0 <= records[scale]["flagged_at_k"] <= 1.0


def test_domain_table_shows_the_flag_all_floor():
    """PA-F1 and F1 rows carry what flagging every row scores: 2p / (1 + p) for both."""
    from benchmarks.run import flag_all_f1

    assert flag_all_f1(np.r_[np.ones(1), np.zeros(3)]) == pytest.approx(2 * 0.25 / 1.25)
    records = [
        {"dataset": "mba", "label_fraction": f, "method": m, "seed": 0, "f1": 0.6, "pa_f1": 0.9}
        for f in (1.0, 0.1)
        for m in ("hepa", "age")
    ]
    lines = report.domain_table(records, floors={"mba": 0.506})
    cols = [c.strip() for c in lines[0].strip("|").split("|")]
    at = cols.index("flag-all")
    cells = {
        line.split("|")[3].strip(): [c.strip() for c in line.strip("|").split("|")][at]
        for line in lines[2:]
        if "| 100% |" in line
    }
    assert cells == {"PA-F1": "0.506", "F1": "0.506"}
