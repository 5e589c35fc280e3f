"""The pretraining study's tables (``benchmarks.pretraining_study`` records).

``python -m benchmarks.report_pretraining`` prints them; ``benchmarks.report``
puts the same section in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from .pretraining_study import RESULTS, VARIANTS

#: dataset display names, in table order
NAMES = {
    "fd001": "FD001",
    "fd002": "FD002",
    "mba": "MBA",
    "tep": "TEP",
    "gecco": "GECCO",
    "batadal": "BATADAL",
    "smap": "SMAP",
    "msl": "MSL",
    "ettm1": "ETTm1",
}
CONTROL_ORDER = ("random", "scratch", "age")


def load(path: Path) -> list[dict]:
    import json

    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def fmt(values, digits=3) -> str:
    values = [v for v in values if v is not None and not np.isnan(v)]
    if not values:
        return "–"
    n = "" if len(values) == 3 else f" ({len(values)})"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}{n}"
    return f"{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}{n}"


def latest(records, kind, budget="default") -> dict:
    """(dataset, variant, label_fraction, seed) -> latest record of a kind (default budget)."""
    out = {}
    for r in records:
        if r.get("kind") == kind and r.get("budget", "default") == budget:
            out[(r["dataset"], r["variant"], r.get("label_fraction"), r["seed"])] = r
    return out


def variant_order(present) -> list[str]:
    """The study's variants in ``VARIANTS`` order, each followed by its ``+<head>`` rows."""
    order = []
    for v in [*VARIANTS, *CONTROL_ORDER]:
        order += sorted(p for p in present if p == v or p.startswith(v + "+"))
    return list(dict.fromkeys(order + sorted(set(present) - set(order))))


def _datasets(keys) -> list[str]:
    present = {k[0] for k in keys}
    return [d for d in NAMES if d in present] + sorted(present - set(NAMES))


def study_table(records, budget="default") -> list[str]:
    """dataset x variant: held-out ratio, epsilon, rank, PC1-time rho, h-AUROC per fraction."""
    pre, head = latest(records, "pretrain", budget), latest(records, "head", budget)
    if not pre and not head:
        return ["No pretraining-study records yet."]
    fractions = sorted({k[2] for k in head}, reverse=True)
    cols = ["dataset", "variant", "ratio (test)", "ε (test)", "h_t rank", "PC1–time ρ"]
    cols += [f"h-AUROC {f:.0%}" for f in fractions]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for d in _datasets([*pre, *head]):
        present = {k[1] for k in (*pre, *head) if k[0] == d}
        ordered = variant_order(present)
        order = [v for v in ordered if v.split("+")[0] not in CONTROL_ORDER]
        order += [v for v in ordered if v.split("+")[0] in CONTROL_ORDER]
        for v in order:
            base = v.split("+")[0]  # a head variant shares its pretrainer's statistics
            p = [r for k, r in sorted(pre.items()) if k[:2] == (d, base)]
            row = [NAMES.get(d, d), f"**{v}**" if v.split("+")[0] in CONTROL_ORDER else v]
            row += [
                fmt([r["test_prediction"]["ratio"] for r in p]),
                fmt([r["test_prediction"]["l1"] for r in p], 4),
                fmt([r.get("test_rank") for r in p], 1),
                fmt([r.get("pc1_time_spearman") for r in p], 2),
            ]
            for f in fractions:
                row.append(
                    fmt([r["h_auroc"] for k, r in sorted(head.items()) if k[:3] == (d, v, f)])
                )
            lines.append("| " + " | ".join(row) + " |")
    return lines


def band_table(records, budget="default") -> list[str]:
    """Held-out ratio per dt band, per dataset and variant (mean over seeds)."""
    pre = latest(records, "pretrain", budget)
    if not pre:
        return []
    bands = sorted(
        {k for r in pre.values() for k in r["test_prediction"] if k.startswith("ratio_dt")},
        key=lambda k: int(k[len("ratio_dt") :].split("_")[0]),
    )
    lines = ["| dataset | variant | " + " | ".join(b[len("ratio_") :] for b in bands) + " |"]
    lines.append("|" + "---|" * (len(bands) + 2))
    groups = defaultdict(list)
    for (d, v, _, _), r in sorted(pre.items()):
        groups[(d, v)].append(r)
    for d in _datasets(pre):
        for v in variant_order({k[1] for k in pre if k[0] == d}):
            rs = groups.get((d, v))
            if not rs:
                continue
            cells = [fmt([r["test_prediction"].get(b) for r in rs]) for b in bands]
            lines.append(f"| {NAMES.get(d, d)} | {v} | " + " | ".join(cells) + " |")
    return lines


#: epochs at which the convergence table reads the per-epoch validation history
CONVERGENCE_EPOCHS = (1, 4, 8, 12, 16, 20)


def convergence_table(records, budget="default") -> list[str]:
    """Validation ratio and ε by epoch, for the variants run past the budget's 8 epochs."""
    pre = latest(records, "pretrain", budget)
    long = {k: r for k, r in pre.items() if len(r.get("pred_ratio") or []) > 8}
    if not long:
        return []
    lines = [
        "| dataset | variant | epochs run | "
        + " | ".join(f"ratio / ε, epoch {e}" for e in CONVERGENCE_EPOCHS)
        + " |",
        "|" + "---|" * (3 + len(CONVERGENCE_EPOCHS)),
    ]
    groups = defaultdict(list)
    for (d, v, _, _), r in sorted(long.items()):
        groups[(d, v)].append(r)
    for d in _datasets(long):
        for v in variant_order({k[1] for k in long if k[0] == d}):
            rs = groups.get((d, v))
            if not rs:
                continue
            cells = [fmt([len(r["pred_ratio"]) for r in rs], 0)]
            for e in CONVERGENCE_EPOCHS:
                ratio = [r["pred_ratio"][e - 1] for r in rs if len(r["pred_ratio"]) >= e]
                eps = [r["valid_l1"][e - 1] for r in rs if len(r["valid_l1"]) >= e]
                mean = lambda xs, digits: f"{np.mean(xs):.{digits}f}" if xs else "–"  # noqa: E731
                cells.append(f"{mean(ratio, 3)} / {mean(eps, 4)}")
            lines.append(f"| {NAMES.get(d, d)} | {v} | " + " | ".join(cells) + " |")
    return [
        "Convergence: the validation ratio (real against shuffled target, validation "
        "windows of the training series) and ε at each epoch, mean over seeds, for the "
        "variants that pretrain past the budget's 8 epochs (`none_20ep`: 20 epochs, "
        "patience 5). ε still falling at the last epoch means the objective has not "
        "converged; the ratio says whether what it still learns is prediction.",
        "",
        *lines,
        "",
    ]


def section(path: Path = RESULTS, budget="default") -> list[str]:
    records = [r for r in load(path) if r.get("budget", "default") == budget]
    if not records:
        return []
    commits = sorted({r["commit"] for r in records})
    return [
        "## The pretraining study: does the predictor predict, and does it transfer?",
        "",
        "`python -m benchmarks.pretraining_study` (records: "
        "`benchmarks/results/pretraining_study.jsonl`, commits "
        f"{', '.join(commits)}); variants in `benchmarks/pretraining_study.py`. Each "
        "variant is HEPA's pretrainer at the `default` budget (8 epochs of 1,500 windows) "
        "with one setting changed. `ratio (test)`: the predictor's error (ε, the paper's "
        "L1 of normalised vectors) on windows of the held-out test series against the real "
        "future target, divided by its error against the target of another window of nearly "
        "the same dt (`HEPAPretrainer.prediction_error`): about 1 for a predictor that "
        "ignores its context. `h_t rank`: effective rank of the test rows' embeddings; "
        "`PC1–time ρ`: median per-unit |Spearman| of the first principal component with "
        "time (the paper's Fig. 3b; the paper reports 0.97). h-AUROC: the pred-FT head on "
        "the frozen encoder, head budget of at least 400 optimiser steps "
        "(`protocol.head_schedule`). Controls in bold: `random` the same network with zero "
        "pretraining epochs, `scratch` encoder, predictor and head trained on the labels "
        "alone, `age` the age floor. Cells: mean ± std over seeds (count in brackets when "
        "not 3).",
        "",
        *study_table(records, budget),
        "",
        "Held-out ratio per dt band:",
        "",
        *band_table(records, budget),
        "",
        *convergence_table(records, budget),
        *age_section(),
    ]


#: records of the study's command at the first commit with AdamW parameter groups
DECAY_RESULTS = RESULTS.parent / "decay_groups.jsonl"


def decay_section(path: Path = DECAY_RESULTS, study: Path = RESULTS) -> list[str]:
    """The same study cells before and after the AdamW parameter groups (issue 19)."""
    after = [r for r in load(path) if r.get("budget", "default") == "default"]
    if not after:
        return []
    cells = {(r["dataset"], r["variant"]) for r in after}
    before = [
        r
        for r in load(study)
        if r.get("budget", "default") == "default" and (r["dataset"], r["variant"]) in cells
    ]
    relabel = [
        {**r, "variant": f"{r['variant']}, {tag}"}
        for tag, rs in (("every parameter decayed", before), ("decay groups", after))
        for r in rs
    ]
    commits = sorted({r["commit"] for r in after})
    return [
        "## Weight-decay groups",
        "",
        "AdamW decays only weight matrices since commit e06c465 "
        "(`_training.configure_optimizers`; biases, norm gains, embeddings and learned "
        "tokens are no longer pulled towards zero). The pretraining study's cells rerun "
        "with it (`python -m benchmarks.pretraining_study --dataset fd001 --variant none "
        "--labels 0.1 0.02 --controls scratch --out benchmarks/results/decay_groups.jsonl`, "
        f"commits {', '.join(commits)}) beside the same cells of the study, recorded before "
        "(every parameter decayed). Same seeds, splits and budget; columns as in the study.",
        "",
        *study_table(relabel),
        "",
    ]


#: pretraining-only records of the age read-out (``--labels`` with no fraction)
AGE_RESULTS = RESULTS.parent / "age_probe.jsonl"


def age_section(path: Path = AGE_RESULTS) -> list[str]:
    """How much of each row's age the embedding keeps, per variant (pretraining records)."""
    pre = latest([r for r in load(path) if r.get("age_r2") is not None], "pretrain")
    if not pre:
        return []
    commits = sorted({r["commit"] for r in pre.values()})
    lines = [
        "### What the embedding keeps of age",
        "",
        "`python -m benchmarks.pretraining_study --dataset tep fd002 --variant random none "
        "recon0.1 --labels --controls --out benchmarks/results/age_probe.jsonl` (pretraining "
        f"only; commits {', '.join(commits)}): `age R²` is the out-of-fold R² of "
        "log(1 + steps since the series began) read from the test rows' `h_t` by a ridge "
        "regression, folds by series (`pretraining_study.age_r2`). Reference values: 1 for "
        "an embedding holding log-age, about 0 for noise. TEP's fault onsets and C-MAPSS "
        "failures follow age (the age floor's h-AUROC: TEP 0.900, FD002 0.878), so a head "
        "can only use the age that survives here.",
        "",
        "| dataset | variant | age R² | h_t rank | ratio (test) |",
        "|---|---|---|---|---|",
    ]
    for d in _datasets(pre):
        for v in variant_order({k[1] for k in pre if k[0] == d}):
            rs = [r for k, r in sorted(pre.items()) if k[:2] == (d, v)]
            name = f"**{v}**" if v in CONTROL_ORDER else v
            lines.append(
                f"| {NAMES.get(d, d)} | {name} | {fmt([r['age_r2'] for r in rs])} | "
                f"{fmt([r.get('test_rank') for r in rs], 1)} | "
                f"{fmt([r['test_prediction']['ratio'] for r in rs])} |"
            )
    return [*lines, ""]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--budget", default="default")
    args = parser.parse_args(argv)
    print("\n".join(section(args.results, args.budget)))


if __name__ == "__main__":
    main()
