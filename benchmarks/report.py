"""Turn the committed benchmark records into docs/benchmarks.md.

Every number in the generated page comes from ``benchmarks/results/benchmark.jsonl``
(written by ``python -m benchmarks.run``), ``objective.jsonl``
(``python -m benchmarks.objective``) and ``snapshots.jsonl``
(``python -m benchmarks.snapshots``) there, or from the paper's Table 1 and
Fig. 3a, which are typed in below and labelled as the paper's.

Usage::

    python -m benchmarks.report            # writes docs/benchmarks.md (+ docs/figures/)
    python -m benchmarks.report --stdout   # prints it instead
    python -m benchmarks.report --results a.jsonl --objective b.jsonl \
        --snapshots c.jsonl --out /tmp/report.md --figure /tmp/snapshots.png
"""

from __future__ import annotations

import argparse
import os
from collections import defaultdict
from pathlib import Path

import numpy as np

from . import report_pretraining, report_related
from .protocol import BUDGETS, budget_dict
from .report_common import (
    METHODS,
    RELATED_NAMES,
    dataset_rows,
    diff,
    fmt,
    group,
    load,
    present,
)
from .report_heads import (
    calibration_section,
    head_stability_section,
    missing_data_section,
    probability_section,
)
from .report_objective import (
    OBJECTIVE,
    SNAPSHOTS,
    objective_section,
    snapshot_figure,
    snapshot_section,
)
from .report_related import detectors_section
from .run import RESULTS

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
FIGURE = DOC.parent / "figures" / "snapshots.png"


#: The paper's Table 1 h-AUROC (mean over 5 seeds), keyed by (dataset, label
#: fraction): PatchTST, iTransformer, MAE, HEPA. None where the paper has no
#: number. The TEP and FD004 rows print four numbers for five columns, so only
#: HEPA's (the last, bold one) is read off them.
PAPER = {
    ("fd001", 1.0): (0.80, 0.70, 0.69, 0.81),
    ("fd001", 0.1): (0.69, 0.59, 0.63, 0.78),
    ("fd002", 1.0): (0.44, 0.43, 0.56, 0.57),
    ("fd002", 0.1): (0.48, 0.50, 0.52, 0.55),
    ("smap", 1.0): (0.49, 0.47, 0.64, 0.59),
    ("smap", 0.1): (0.46, 0.52, 0.50, 0.49),
    ("mba", 1.0): (0.68, 0.84, 0.73, 0.75),
    ("mba", 0.1): (0.65, 0.31, 0.53, 0.55),
    ("batadal", 1.0): (0.66, 0.46, 0.60, 0.57),
    ("batadal", 0.1): (0.37, 0.54, 0.61, 0.54),
    ("tep", 1.0): (None, None, None, 1.00),
    ("tep", 0.1): (None, None, None, 1.00),
    ("ettm1", 1.0): (0.53, 0.79, 0.87, 0.81),
    ("ettm1", 0.1): (0.50, 0.61, 0.77, 0.73),
    ("gecco", 1.0): (0.65, 0.64, 0.81, 0.88),
    ("gecco", 0.1): (0.52, 0.50, 0.55, 0.39),
    ("weather", 1.0): (0.64, 0.83, 0.88, 0.89),
    ("weather", 0.1): (0.67, 0.85, 0.83, 0.83),
    ("beijing", 1.0): (0.81, 0.75, 0.81, 0.81),
    ("beijing", 0.1): (0.65, 0.73, 0.77, 0.78),
    ("vix", 1.0): (0.48, 0.40, 0.57, 0.57),
    ("vix", 0.1): (0.57, 0.48, 0.55, 0.55),
}
PAPER_COLUMNS = ("PatchTST", "iTransf.", "MAE", "HEPA")

#: The paper's HEPA domain metrics (Table 1): (metric, 100 %, 10 %).
PAPER_DOMAIN = {
    "fd001": ("RMSE", 28.5, 32.3),
    "fd002": ("RMSE", 40.8, 40.9),
    "smap": ("PA-F1", 0.94, 0.92),
    "mba": ("F1", 0.98, 0.98),
    "batadal": ("F1", 0.77, 0.61),
    "tep": ("F1", 0.95, 0.88),
}

LABEL_EFFICIENCY = (1.0, 0.1, 0.05, 0.02, 0.01)

#: The controls of HEPA's pretraining: never "the best other method".
CONTROLS = ("hepa_random", "hepa_scratch", "hepa_dtmlp")
RANDOM_DIFF = "HEPA − random encoder"


def main_table(records, *, related=False) -> list[str]:
    auroc = group(records, "h_auroc")
    methods = present(records, related=related)
    if related and not any(m in RELATED_NAMES for m in methods):
        return ["No records of the related systems yet."]
    with_diff = "hepa" in methods and "hepa_random" in methods and not related
    head = ["dataset", "labels", *methods.values(), *([RANDOM_DIFF] if with_diff else [])]
    head += [] if related else [f"paper {c}" for c in PAPER_COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for d, name in dataset_rows(records).items():
        for f in (1.0, 0.1):
            cells = {m: auroc.get((d, f, m), []) for m in methods}
            if not any(cells.values()):
                continue
            means = {m: np.mean(v) for m, v in cells.items() if v}
            best = max(means, key=means.get)
            row = [name, f"{f:.0%}"]
            row += [fmt(cells[m], bold=(m == best)) for m in methods]
            if with_diff:
                row.append(diff(cells["hepa"], cells["hepa_random"]))
            if not related:
                paper = PAPER.get((d, f), (None,) * 4)
                row += ["–" if p is None else f"{p:.2f}" for p in paper]
            lines.append("| " + " | ".join(row) + " |")
    return lines


FLOORS = Path(__file__).parent / "results" / "floors.jsonl"


def flag_all(path: Path = FLOORS) -> dict:
    """dataset -> F1 of flagging every scored test row (``benchmarks.floors``)."""
    return {r["dataset"]: r["flag_all_f1"] for r in load(path) if r["budget"] == "default"}


def domain_table(records, floors: dict | None = None) -> list[str]:
    keys = {"rmse_last": ("RMSE ↓", 1), "pa_f1": ("PA-F1", 3), "f1": ("F1", 3)}
    floors = flag_all() if floors is None else floors
    methods = present(records)
    with_diff = "hepa" in methods and "hepa_random" in methods
    cols = [*methods.values(), *([RANDOM_DIFF] if with_diff else []), "flag-all", "paper HEPA"]
    lines = [
        "| dataset | labels | metric | " + " | ".join(cols) + " |",
        "|" + "---|" * (len(cols) + 3),
    ]
    for key, (label, digits) in keys.items():
        values = group(records, key)
        for d, name in dataset_rows(records).items():
            for i, f in enumerate((1.0, 0.1)):
                cells = {m: values.get((d, f, m), []) for m in methods}
                if not any(cells.values()):
                    continue
                means = {m: np.mean(v) for m, v in cells.items() if v}
                pick = min if key == "rmse_last" else max
                best = pick(means, key=means.get)
                paper = PAPER_DOMAIN.get(d)
                ref = (
                    f"{paper[1 + i]} ({paper[0]})"
                    if paper and paper[0] == label.split()[0]
                    else "–"
                )
                row = [name, f"{f:.0%}", label]
                row += [fmt(cells[m], digits, bold=(m == best)) for m in methods]
                if with_diff:
                    row.append(diff(cells["hepa"], cells["hepa_random"], digits))
                if key == "rmse_last" or d not in floors:
                    row.append("–")
                else:  # flagging all: recall 1, precision p, with or without adjustment
                    row.append(f"{floors[d]:.3f}")
                lines.append("| " + " | ".join(row + [ref]) + " |")
    return lines


def verdict_table(records) -> list[str]:
    """HEPA against the best other method of each row, and against the paper's HEPA."""
    auroc = group(records, "h_auroc")
    lines = [
        "| dataset | labels | HEPA | best other (ours) | HEPA − best other | paper HEPA |",
        "|---|---|---|---|---|---|",
    ]
    for d, name in dataset_rows(records).items():
        for f in (1.0, 0.1):
            hepa = auroc.get((d, f, "hepa"))
            others = {
                m: np.mean(v)
                for m in METHODS
                if m != "hepa" and m not in CONTROLS and (v := auroc.get((d, f, m)))
            }
            if not hepa or not others:
                continue
            best = max(others, key=others.get)
            paper = PAPER.get((d, f), (None,) * 4)[3]
            lines.append(
                f"| {name} | {f:.0%} | {np.mean(hepa):.3f} | {METHODS[best]} "
                f"{others[best]:.3f} | {np.mean(hepa) - others[best]:+.3f} | "
                + ("–" if paper is None else f"{paper:.2f}")
                + " |"
            )
    return lines


def label_efficiency(records, dataset="fd001", fractions=LABEL_EFFICIENCY) -> list[str]:
    """h-AUROC per label fraction of one dataset; retention against 100 % in brackets."""
    auroc = group(records, "h_auroc")
    methods = [m for m in METHODS if any(auroc.get((dataset, f, m)) for f in fractions)]
    if not methods:
        return [f"No {dataset} label-efficiency records yet."]
    lines = [
        "| labels | " + " | ".join(METHODS[m] for m in methods) + " |",
        "|" + "---|" * (len(methods) + 1),
    ]
    for f in fractions:
        row = [f"{f:.0%}" if round(f, 2) == f else f"{f:.2%}"]
        for m in methods:
            v, full = auroc.get((dataset, f, m), []), auroc.get((dataset, 1.0, m), [])
            cell = fmt(v)
            if v and full and f < 1.0:
                cell += f" [{np.mean(v) / np.mean(full):.0%}]"
            row.append(cell)
        lines.append("| " + " | ".join(row) + " |")
    return lines


def budget_section(records) -> list[str]:
    budgets = sorted({r.get("budget", "default") for r in records})
    lines = []
    for b in budgets:
        settings = budget_dict(BUDGETS[b]) if b in BUDGETS else {}
        lines.append(f"Budget `{b}`: " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    # how often each stage stopped early vs. hit its epoch budget
    stats = defaultdict(lambda: [0, 0])
    for r in records:
        for stage, s in r.get("stages", {}).items():
            stats[stage][0 if s["early"] else 1] += 1
    lines.append("")
    lines.append("| stage | stopped early | hit the epoch budget |")
    lines.append("|---|---|---|")
    for stage, (early, full) in sorted(stats.items()):
        lines.append(f"| {stage} | {early} | {full} |")
    return lines


def timing_table(records) -> list[str]:
    fit = group(records, "fit_seconds")
    pre = group(records, "pretrain_seconds")
    pred = group(records, "predict_seconds")
    methods = present(records)
    lines = [
        "| dataset | " + " | ".join(methods.values()) + " |",
        "|" + "---|" * (len(methods) + 1),
    ]
    for d, name in dataset_rows(records).items():
        cells = []
        for m in methods:
            f, p, q = fit.get((d, 1.0, m)), pre.get((d, 1.0, m)), pred.get((d, 1.0, m))
            if not f:
                cells.append("–")
                continue
            s = f"{np.mean(f):.0f}"
            if p:
                s = f"{np.mean(p):.0f}+{s}"
            cells.append(f"{s} / {np.mean(q):.0f}")
        if any(c != "–" for c in cells):
            lines.append("| " + " | ".join([name, *cells]) + " |")
    return lines


def missing(records) -> list[str]:
    have = {(r["dataset"], r["label_fraction"], r["method"], r["seed"]) for r in records}
    required = ["fd001", "fd002", "smap", "msl", "mba", "batadal", "gecco", "tep", "ettm1"]
    gaps = []
    for d in required:
        for f in (1.0, 0.1):
            for m in ("hepa", "mae", "patchtst", "itransformer", "rsf", "ridge", "age"):
                seeds = [s for s in (0, 1, 2) if (d, f, m, s) not in have]
                if seeds:
                    gaps.append(f"{d} {f:.0%} {m}: seeds {seeds}")
    for f in LABEL_EFFICIENCY[2:]:
        seeds = [s for s in (0, 1, 2) if ("fd001", f, "hepa", s) not in have]
        if seeds:
            gaps.append(f"fd001 {f:.0%} hepa: seeds {seeds}")
    return gaps


def sensitivity(records) -> list[str]:
    """FD001 at the default and at a larger budget, same seeds and methods."""
    other = sorted({r.get("budget") for r in records} - {"default", None})
    if not other:
        return ["No record at another budget yet."]
    methods = present([r for r in records if r["dataset"] == "fd001"])
    lines = ["| budget | labels | " + " | ".join(methods.values()) + " |"]
    lines.append("|" + "---|" * (len(methods) + 2))
    for b in ["default", *other]:
        sub = [r for r in records if r.get("budget", "default") == b and r["dataset"] == "fd001"]
        seeds = {r["seed"] for r in records if r.get("budget") in other and r["dataset"] == "fd001"}
        sub = [r for r in sub if r["seed"] in seeds]  # the same seeds on both sides
        auroc = group(sub, "h_auroc")
        for f in (1.0, 0.1):
            cells = [fmt(auroc.get(("fd001", f, m), [])) for m in methods]
            if any(c != "–" for c in cells):
                lines.append(f"| {b} | {f:.0%} | " + " | ".join(cells) + " |")
    return lines


# ---------------------------------------------------------------------------
# objective comparison (benchmarks.objective) and snapshots (benchmarks.snapshots)
# ---------------------------------------------------------------------------


#: Start of the sweep re-run from issue 16's final objective (benchmarks/sweep.sh with
#: SINCE): where a (dataset, method) has records from then on, only those count.
SWEEP_SINCE = "2026-12-07T16:22"


def current(records, since: str = SWEEP_SINCE) -> list[dict]:
    """Per (dataset, method): the records at or after ``since`` where any exist, else all."""
    rerun = {(r["dataset"], r["method"]) for r in records if r.get("time", "") >= since}
    return [
        r for r in records if (r["dataset"], r["method"]) not in rerun or r.get("time", "") >= since
    ]


def render(all_records, objective=(), snapshots=(), figure_link=None) -> str:
    records = current([r for r in all_records if r.get("budget", "default") == "default"])
    commits = sorted({r["commit"] for r in records})
    rerun = sorted({r["method"] for r in records if r.get("time", "") >= SWEEP_SINCE})
    former = sorted({r["method"] for r in records if r.get("time", "") < SWEEP_SINCE})
    out = [
        "# Benchmarks: the matched protocol on the shared datasets",
        "",
        "Generated by `python -m benchmarks.report` from "
        "`benchmarks/results/benchmark.jsonl`; do not edit by hand. Records come from "
        "`python -m benchmarks.run` (the whole sweep: `benchmarks/sweep.sh A` and `B`). "
        f"{len(records)} records, commits {', '.join(commits) or '–'}. Where a run was "
        "recorded more than once (cells re-run after a fix, e.g. the validation split of "
        "a213e96 for BATADAL and FD001 at 2 and 5 %), the latest record counts.",
        "",
        f"**Two generations of records.** The sweep re-run from issue 16's final code (records "
        f"from {SWEEP_SINCE} UTC on: the `sigreg_scale='none'` objective, the head budget in "
        "optimiser steps) replaces, per dataset and method, every older record; it covers "
        f"{', '.join(METHODS.get(m, m) for m in rerun) or 'nothing yet'} where a cell's seed "
        "count says so. Cells of a method and dataset it has not reached yet come from the "
        "former sweep (the batch-scaled SIGReg, heads budgeted in epochs): "
        f"{', '.join(METHODS.get(m, m) for m in former) or 'none'}. Compare HEPA with its "
        "controls within the re-run cells. HEPA's re-run records read the surface as "
        "trained (`probability='weighted'`): the default map on held-out series came later; "
        "it keeps each horizon's ranking and moved h-AUROC by at most 0.0004 where measured "
        "(section Probabilities). Records of commit e06c465 and later (SMAP and ETTm1 seeds "
        "1-2, MSL seed 2) train with AdamW's parameter groups (no decay on biases, norms and "
        "embeddings), which moved no FD001 mean by more than 0.004 (section Weight-decay "
        "groups).",
        "",
        "Protocol (paper section 5, appendices B, C, D, L): each method freezes an encoder and "
        "trains a head with positive-weighted BCE on the same labels, splits and horizons "
        "(K=150 for C-MAPSS and TEP, 200 elsewhere). HEPA: pred-FT (198K-parameter predictor + "
        "event head) on the JEPA encoder with `normalization='instance_stats'` (the better "
        "option in docs/design.md); `HEPA (paper norm.)` is the paper's instance normalisation, "
        "run on C-MAPSS only. MAE, PatchTST and iTransformer: frozen encoder + the 264K dt-MLP "
        "head of appendix C. RSF: scikit-survival's RandomSurvivalForest on EMA + raw sensors + "
        "log age. ridge and age: the trivial floors. Controls of the pretraining (columns only "
        "where recorded): `HEPA random enc.` is HEPA's encoder with zero pretraining epochs "
        "(random weights, same scaling) under the same pred-FT head, and `HEPA − random "
        "encoder` the difference of means; `HEPA scratch` trains encoder, predictor and head "
        "from random weights on the labels (`finetune='scratch'`, the head budget). "
        "Splits, event definitions and prevalence: "
        "docs/datasets.md. Label budgets: 10 % of the training series (20 or more series) or "
        "of 20 chronological blocks per series; unlabelled rows still serve as context and as "
        "pretraining data.",
        "",
        "Cells: mean ± sample std over seeds; a count in brackets when it is not 3 seeds. "
        "Bold: the best of our methods in the row. `–`: no record. The paper's columns are "
        "Table 1 of the paper (5 seeds, its own budget), not rerun here.",
        "",
        "**Reading the paper's C-MAPSS columns.** Our FD001 HEPA (about 0.95) above the "
        "paper's (0.81) does not mean that this package beats the paper. Our protocol equals "
        "the paper's wherever the paper is explicit (dense horizons dt = 1..150, degenerate "
        "horizons skipped, uniform mean, the same splits for every method, the full engine "
        "history as context, per-subset min-max scaling of 14 sensors), but the paper does "
        "not say which engines form its test split or how truncated test engines are "
        "labelled, and no reading reproduces all three of its stated FD001 statistics "
        "(prevalence 0.5 % at dt = 1, 96 % at dt = 150, base rate 0.78). Under every "
        "defensible reading the trivial age-only floor already scores at or above the "
        "paper's HEPA: 0.892 on the official test files (our protocol, the `age` column), "
        "0.84-0.91 with 15 of the 100 training engines held out run to failure (the "
        "`FD001, held-out run-to-failure` row below, `python -m benchmarks.run --dataset "
        "fd001-rtf`, where 2 of 85 labelled engines is `--labels 0.0235`); only reading "
        "each truncated test engine's last cycle as its failure (a labelling error) lands in "
        "the paper's range (age 0.785). Facts and commands: "
        "`../shared/papers/cmapss_protocol_notes.md`. Compare methods within one protocol, "
        "with the floors and controls beside them.",
        "",
        "How to read these tables (facts of the data and protocol, not of any result):",
        "",
        "* The budget is small (section Budget) and HEPA's JEPA pretraining is the stage it "
        "starves most: the FD001 budget-sensitivity section reruns the same seeds with more.",
        "* Streams are split in time, so every test row is older in its series than any "
        "training row; the age floor can then rank rows backwards (h-AUROC far below 0.5).",
        "* MBA's default labels (every annotated beat, +-20 samples) recur about every 120 "
        "samples, so long horizons are degenerate (prevalence above 0.999) and skipped by the "
        "h-AUROC; GECCO's test split holds one anomaly segment (77 rows), TEP's test split "
        "four fault onsets, all at step 161 of their run: their h-AUROC rests on few events.",
        "* PSM is not benchmarked: its train.csv and test.csv are absent from the shared data "
        "(its loader reads the official format and is tested on a file the test writes).",
        "* MSL is not in the paper's Table 1; Weather, Beijing-AQ and VIX are loaded but not "
        "part of this sweep.",
        "",
        "## h-AUROC",
        "",
        *main_table(records),
        "",
        "## h-AUROC of the related systems as encoders",
        "",
        "Each related system's encoder (`python -m benchmarks.related`, settings in the "
        "detectors section) frozen under the same dt-MLP head as MAE; HEPA, its random-encoder "
        "control, MAE and RSF repeated from the table above for reference.",
        "",
        *main_table(records, related=True),
        "",
        "## HEPA against the best other method",
        "",
        "Means over the seeds present; `best other` excludes the hepa_dtmlp diagnostic.",
        "",
        *verdict_table(records),
        "",
        "## Domain metrics",
        "",
        "RMSE: expected time to event at each test unit's last cycle against the true RUL, "
        "cap 125. PA-F1 and F1: p(t, 1) against 'event within one step', at the best threshold "
        "on the test rows (the PA-F1 literature's protocol; optimistic for every method alike). "
        "`flag-all`: a detector that flags every scored test row (`python -m "
        "benchmarks.floors`, records `benchmarks/results/floors.jsonl`): its F1 is 2p / (1 + p) "
        "for the share p of rows with an event within one step, and so is its PA-F1 (every "
        "positive row is already flagged, so point adjustment adds nothing, and every "
        "negative row is a false alarm): a PA-F1 or F1 means something only above it.",
        "",
        *domain_table(records),
        "",
        "## Label efficiency on FD001",
        "",
        "h-AUROC at 100, 10, 5, 2 and 1 % of the training units labelled (100 units: 100, 10, "
        "5, 2 and 1 units); retention relative to 100 % in brackets.",
        "",
        *label_efficiency(records),
        "",
        "## Label efficiency on FD002",
        "",
        "h-AUROC at 100, 10, 5 and 2 % of FD002's 260 training units labelled; retention "
        "relative to 100 % in brackets.",
        "",
        *label_efficiency(records, "fd002", (1.0, 0.1, 0.05, 0.02)),
        "",
        "## FD001, held-out run-to-failure split",
        "",
        "The paper's other reading of its C-MAPSS protocol (`python -m benchmarks.run "
        "--dataset fd001-rtf`): 15 of the 100 training engines held out and run to failure as "
        'the test split, 85 for training; 2.35 % is the paper\'s "2 of 85 training engines" '
        "labelled. The age floor beside HEPA shows what the split gives for free.",
        "",
        *label_efficiency(records, "fd001-rtf", (1.0, 0.0235)),
        "",
        "## Budget",
        "",
        "Chosen so the whole sweep (9 datasets x 7 methods x 3 seeds x 2 label fractions, plus "
        "FD001 label efficiency) fits in about six hours of a 2-core CPU machine. It is far "
        "below the paper's (100 pretraining and 50 finetuning epochs over every row): read "
        "every number here as a small-budget result.",
        "",
        *budget_section(records),
        "",
        "## Budget sensitivity (FD001)",
        "",
        "The same methods and seeds at the `default` budget and at a larger one "
        "(`benchmarks.run --budget large`); only the seeds run at both are shown.",
        "",
        *sensitivity(all_records),
        "",
        "## Seconds per run (100 % labels, mean over seeds)",
        "",
        "`pretrain+fit / predict`; pretraining is shared by both label fractions of a seed.",
        "",
        *timing_table(records),
        "",
        *report_pretraining.section(),
        *report_pretraining.decay_section(),
        *objective_section(list(objective)),
        *snapshot_section(list(snapshots), figure_link),
        *head_stability_section(),
        *detectors_section(bench=records),
        *report_related.matched_section(),
        *report_related.readout_section(),
        *report_related.published_section(),
        *report_related.quoted_reproductions(records),
        *probability_section(),
        *calibration_section(),
        *missing_data_section(),
        "## Missing cells",
        "",
    ]
    gaps = missing(records)
    out += [f"- {g}" for g in gaps] if gaps else ["None."]
    return "\n".join(out) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--objective", type=Path, default=OBJECTIVE)
    parser.add_argument("--snapshots", type=Path, default=SNAPSHOTS)
    parser.add_argument("--out", type=Path, default=DOC)
    parser.add_argument(
        "--figure", type=Path, default=FIGURE, help="where the snapshot scatter is saved"
    )
    parser.add_argument("--stdout", action="store_true")
    args = parser.parse_args(argv)
    snapshots = load(args.snapshots)
    link = None
    if snapshots and not args.stdout and snapshot_figure(snapshots, args.figure):
        link = Path(os.path.relpath(args.figure.resolve(), args.out.resolve().parent)).as_posix()
        print(f"wrote {args.figure}")
    text = render(load(args.results), load(args.objective), snapshots, link)
    if args.stdout:
        print(text)
    else:
        args.out.write_text(text)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
