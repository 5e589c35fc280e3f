"""The probability, calibration, head-stability and missing-data tables of docs/benchmarks.md."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from .report_common import METHODS, dataset_rows, diff, fmt, load
from .run import RESULTS

CALIBRATION = RESULTS.with_name("calibration.jsonl")


def calibration_section(path: Path = CALIBRATION) -> list[str]:
    """ECE and Brier of HEPA's test surface before and after ``SurfaceCalibrator``.

    Reads the ``default``-budget records of ``python -m benchmarks.calibration``
    (quick runs are never reported); empty without any.
    """
    latest = {}
    for r in load(path):
        if r.get("budget", "default") == "default":
            latest[(r["dataset"], r["seed"], r["calibration"])] = r  # later records win
    if not latest:
        return []
    cells = defaultdict(list)
    held = {}
    for (dataset, seed, method), r in sorted(latest.items(), key=lambda kv: kv[0][1]):
        for metric in ("ece", "brier"):
            cells[(dataset, metric, method)].append(r[f"{metric}_after"])
        cells[(dataset, "identity", method)].append(len(r["identity_horizons"]))
        if (dataset, seed) not in held:  # the raw surface is shared by both methods
            held[(dataset, seed)] = {**r["held_out"], "horizons": r["horizons"]}
            for metric in ("ece", "brier"):
                cells[(dataset, metric, "raw")].append(r[f"{metric}_before"])
    out = [
        "## Calibration (post-hoc, per horizon)",
        "",
        "`python -m benchmarks.calibration` (records: `benchmarks/results/calibration.jsonl`): "
        "HEPA at 100 % labels, fitted as in the main table, then "
        "`SurfaceCalibrator(FrozenEstimator(model), method=...)` fitted on held-out series "
        "(the loader's X_val, else 20 % of the training series, HEPA then training on the "
        "rest) and scored on the test rows. ECE: 10 equal-width bins over every known "
        "(row, horizon) cell; Brier: mean squared error over the same cells. Identity: "
        "horizons left uncalibrated (fewer than 10 known cells of a class), of K. "
        'ECE/Brier HEPA: the surface as trained (`probability="weighted"`; these records '
        "predate the `probability` parameter, whose default is compared in the table above).",
        "",
        "| dataset | held out | ECE HEPA | ECE isotonic | ECE sigmoid | Brier HEPA "
        "| Brier isotonic | Brier sigmoid | identity (iso / sig) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    names = dataset_rows([{"dataset": d} for d, _ in held])
    for dataset, name in names.items():
        sources = [h for (d, _), h in held.items() if d == dataset]
        if not sources:
            continue
        h = sources[0]
        source = "X_val" if h["source"] == "X_val" else f"{h['held_out']} of {h['of']} series"
        row = [name, source]
        for metric in ("ece", "brier"):
            row += [fmt(cells[(dataset, metric, m)], 4) for m in ("raw", "isotonic", "sigmoid")]
        identity = [cells[(dataset, "identity", m)] for m in ("isotonic", "sigmoid")]
        counts = " / ".join(f"{np.mean(v):.0f}" if v else "–" for v in identity)
        row.append(f"{counts} of {h['horizons']}")
        out.append("| " + " | ".join(row) + " |")
    return out + [""]


PROBABILITY = RESULTS.with_name("probability.jsonl")


def probability_section(path: Path = PROBABILITY) -> list[str]:
    """HEPA's probability scales beside the age floor (``python -m benchmarks.probability``)."""
    latest = {}
    for r in load(path):
        if r.get("budget", "default") == "default":
            latest[(r["dataset"], r["scale"], r["seed"])] = r  # later records win
    if not latest:
        return []
    metrics = ("h_auroc", "ece", "brier", "brier_at_k", "flagged_at_k", "true_at_k")
    cells = defaultdict(list)
    for (dataset, scale, _), r in latest.items():
        for m in metrics:
            cells[(dataset, scale, m)].append(r[m])
    out = [
        "## Probabilities (`probability=`)",
        "",
        "`python -m benchmarks.probability` (records: `benchmarks/results/probability.jsonl`): "
        "HEPA at 100 % labels, fitted once per seed as in the main table, its test surface "
        "read under each `probability` scale, beside the age floor. `weighted`: as trained "
        "with the positively weighted BCE (the paper's); `unweighted`: odds divided by "
        "`pos_weight_`; `held_out` (the default): Platt scaling whose slope and intercept "
        "are quadratic in log dt, fitted on the series the fit held out for early "
        "stopping, then the running maximum along dt. Every scale maps each horizon by an "
        "increasing function, so each horizon's ranking is kept (h-AUROC moves only "
        "where the running maximum acts). ECE and Brier over every known cell; at "
        "K (what `predict_proba` answers by default): the Brier score, the share of rows "
        "`predict` flags (p > 0.5) and the true share with an event within K. The held-out "
        "map of other degrees (0: one map for every horizon) is refitted on the same "
        "held-out rows, for comparison (the default's degree is 2).",
        "",
        "| dataset | scale | h-AUROC | ECE | Brier | Brier at K | flagged at K | true at K |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = dataset_rows([{"dataset": d} for d, _, _ in latest])
    for dataset, name in names.items():
        scales = ("weighted", "unweighted", "held_out", "held_out_degree0")
        scales += ("held_out_degree1", "held_out_degree3", "age")
        for scale in scales:
            if not cells[(dataset, scale, "h_auroc")]:
                continue
            label = f"`{scale}`" if scale != "age" else "age floor"
            if scale.startswith("held_out_degree"):
                label = f"held-out map of degree {scale[-1]} in log dt"
            row = [name, label]
            row += [fmt(cells[(dataset, scale, m)], 3) for m in metrics]
            out.append("| " + " | ".join(row) + " |")
    out.append("")
    figures = Path(__file__).resolve().parents[1] / "docs" / "figures"
    for dataset in names:
        if (figures / f"probability_{dataset}.png").is_file():
            out += [
                f"Reliability at three horizons, each scale, {names[dataset]} seed 0 (`--figure`):",
                "",
                f"![reliability of each probability scale, {dataset}]"
                f"(figures/probability_{dataset}.png)",
                "",
            ]
    return out


HEAD_STABILITY = RESULTS.with_name("head_stability.jsonl")


def head_stability_section(path: Path = HEAD_STABILITY) -> list[str]:
    """Few-label head variants: mean, seed std and the worst seed of each."""
    latest = {}
    for r in load(path):
        if r.get("budget", "default") == "default":
            key = (r["dataset"], r["method"], r["label_fraction"], r["variant"], r["seed"])
            latest[key] = r
    if not latest:
        return []
    auroc, steps = defaultdict(list), defaultdict(list)
    for (d, m, f, v, _), r in sorted(latest.items(), key=lambda kv: kv[0][4]):
        auroc[(d, m, f, v)].append(r["h_auroc"])
        head = r.get("stages", {}).get("head", {})
        if head.get("steps") is not None:
            steps[(d, m, f, v)].append(head["steps"])
    from .head_stability import VARIANTS  # noqa: PLC0415

    out = [
        "## Few-label heads: minimum steps and a ranking monitor",
        "",
        "`python -m benchmarks.head_stability` (records: "
        "`benchmarks/results/head_stability.jsonl`): one HEPA encoder per seed, the pred-FT "
        "head fitted under each variant on the same labelled rows. `min0_loss` is the head "
        "before issue 7 (early stopping free to act at once, on the validation loss); "
        "`min100` holds early stopping for 100 optimiser steps (the package default, "
        "`min_steps=100`); `auroc` stops on the validation rows' ranking "
        "(`monitor='valid_auroc'`); `50ep` allows the paper's 50 finetuning epochs instead of "
        "the budget's 8 (with few labels an epoch is a single batch, so 8 epochs cap the head "
        "below `min_steps`). Every variant has the validation split that must hold a "
        "positive. Rows `HEPA random enc.` fit the same heads on the zero-epoch control "
        "encoder (`--method hepa_random`), so a reader sees whether a longer head helps "
        "pretraining or any encoder. Cells: mean ± std over seeds; worst seed; mean "
        "optimiser steps taken.",
        "",
        "| dataset | encoder | labels | " + " | ".join(VARIANTS) + " |",
        "|---|---|---|" + "---|" * len(VARIANTS),
    ]
    names = dataset_rows([{"dataset": d} for d, *_ in latest])
    encoders = {"hepa": "HEPA", "hepa_random": "HEPA random enc."}
    for d, name in names.items():
        for f in sorted({f for dd, _, f, *_ in latest if dd == d}, reverse=True):
            for m, encoder in encoders.items():
                if not any(key[:3] == (d, m, f) for key in latest):
                    continue
                row = [name, encoder, f"{f:.0%}"]
                for v in VARIANTS:
                    a = auroc.get((d, m, f, v), [])
                    if not a:
                        row.append("–")
                        continue
                    st = steps.get((d, m, f, v), [])
                    row.append(
                        f"{fmt(a)}; worst {min(a):.3f}; {np.mean(st):.0f} steps"
                        if st
                        else f"{fmt(a)}; worst {min(a):.3f}"
                    )
                out.append("| " + " | ".join(row) + " |")
    return out + [""]


MISSING_DATA = RESULTS.with_name("missing.jsonl")


def missing_data_section(path: Path = MISSING_DATA) -> list[str]:
    """h-AUROC of HEPA and RSF with 0-50 % of the steps missing (``missing="mask"``).

    Reads the ``default``-budget records of ``python -m benchmarks.missing``
    (quick runs are never reported); empty without any.
    """
    latest = {}
    for r in load(path):
        if r.get("budget", "default") == "default":
            latest[(r["dataset"], r["method"], r["missing_rate"], r["seed"])] = r  # later win
    if not latest:
        return []
    cells = defaultdict(list)
    for (dataset, method, rate, _), r in sorted(latest.items(), key=lambda kv: kv[0][3]):
        cells[(dataset, method, rate)].append(r["h_auroc"])
    rates = sorted({rate for _, _, rate, _ in latest})
    drop = len(rates) > 1 and rates[0] == 0.0
    out = [
        '## Missing steps (`missing="mask"`)',
        "",
        "`python -m benchmarks.missing` (records: `benchmarks/results/missing.jsonl`): "
        "h-AUROC at 100 % labels with a share of the steps of the training and test splits "
        "missing completely at random, per step (every sensor of a chosen step NaN at once). "
        'HEPA: `HEPAPretrainer` and `HEPAEventPredictor` with `missing="mask"` (a missing '
        "step is masked out of the scaling and of every context); RSF: "
        '`SurvivalForestBaseline(missing="mask")` (features carry the last observed value '
        "forward, the EMA runs over observed values). Budget, thinning and metrics as in the "
        "main table; at 0 % no value is missing, so that column is the protocol's own run.",
        "",
        "| dataset | method | "
        + " | ".join(f"{rate:.0%} missing" for rate in rates)
        + (f" | {rates[-1]:.0%} − 0% |" if drop else " |"),
        "|---|---|" + "---|" * (len(rates) + drop),
    ]
    names = dataset_rows([{"dataset": d} for d, *_ in latest])
    for dataset, name in names.items():
        for method in ("hepa", "rsf"):
            row_cells = [cells.get((dataset, method, rate), []) for rate in rates]
            if not any(row_cells):
                continue
            row = [name, METHODS.get(method, method), *(fmt(c) for c in row_cells)]
            if drop:
                row.append(diff(row_cells[-1], row_cells[0]))
            out.append("| " + " | ".join(row) + " |")
    return out + [""]
