"""The objective comparison and the pretraining snapshots of docs/benchmarks.md.

Reads ``objective.jsonl`` (``python -m benchmarks.objective``) and
``snapshots.jsonl`` (``python -m benchmarks.snapshots``); Fig. 3a's Spearman
rho is the paper's, typed in below.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from .report_common import dataset_rows, fmt
from .run import RESULTS

OBJECTIVE = RESULTS.with_name("objective.jsonl")


SNAPSHOTS = RESULTS.with_name("snapshots.jsonl")


#: The paper's Fig. 3a: Spearman rho between the validation prediction error
#: epsilon and h-AUROC over pretraining checkpoints.
PAPER_SPEARMAN = {"fd001": -0.87, "mba": -0.64}


#: Row order of the objective comparison's variants (others follow by name).
def _variants():
    from .objective import VARIANTS  # the objective script's order is the table's

    return list(VARIANTS)


def _latest(records, key) -> dict:
    """key(record) -> the latest record with that key."""
    out = {}
    for r in records:
        out[key(r)] = r
    return out


def _ordered(values, order) -> list:
    return [v for v in order if v in values] + sorted(set(values) - set(order), key=str)


def _collapse(r, key):
    v = (r.get("collapse") or {}).get(key)
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


def objective_table(records) -> list[str]:
    """dataset x variant: h-AUROC per label fraction, last-epoch h_rank and epsilon."""
    latest = _latest(
        records,
        lambda r: (
            r["dataset"],
            r.get("budget", "default"),
            r["variant"],
            r["label_fraction"],
            r["seed"],
        ),
    )
    fractions = sorted({k[3] for k in latest}, reverse=True)
    head = ["dataset", "budget", "variant", *(f"h-AUROC {f:.0%}" for f in fractions)]
    head += ["h_rank (last epoch)", "ε = valid_l1 (last epoch)", "pretrain epochs"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    names = dataset_rows(records)
    cells = defaultdict(list)
    for (d, b, v, f, _s), r in sorted(latest.items(), key=lambda kv: kv[0][4]):
        if r.get("h_auroc") is not None:
            cells[(d, b, v, f)].append(r["h_auroc"])
    for d in _ordered({k[0] for k in latest}, list(names)):
        for b in _ordered({k[1] for k in latest if k[0] == d}, ["default"]):
            for v in _ordered({k[2] for k in latest if k[:2] == (d, b)}, _variants()):
                # one pretrainer per seed: its stats from any of its records
                per_seed = {k[4]: r for k, r in latest.items() if k[:3] == (d, b, v)}
                rank = [x for r in per_seed.values() if (x := _collapse(r, "h_rank")) is not None]
                eps = [x for r in per_seed.values() if (x := _collapse(r, "valid_l1")) is not None]
                epochs = [r.get("pretrain_epochs") for r in per_seed.values()]
                epochs = [e for e in epochs if e is not None]
                row = [names.get(d, d), b, v]
                row += [fmt(cells.get((d, b, v, f), [])) for f in fractions]
                row += [fmt(rank, 2), fmt(eps, 4), fmt(epochs, 0)]
                lines.append("| " + " | ".join(row) + " |")
    return lines


def spearman(x, y) -> tuple[float, float]:
    """Spearman's rho and its p-value; NaN with fewer than 3 pairs or a constant side."""
    from scipy.stats import spearmanr

    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan"), float("nan")
    res = spearmanr(x, y)
    return float(res.statistic), float(res.pvalue)


def _snapshot_points(records) -> dict:
    """(dataset, budget) -> list of (epoch, seed, epsilon, h_auroc), latest record per run."""
    latest = _latest(
        records, lambda r: (r["dataset"], r.get("budget", "default"), r["seed"], str(r["epoch"]))
    )
    out = defaultdict(list)
    for (d, b, s, _), r in latest.items():
        if r.get("valid_l1") is not None and r.get("h_auroc") is not None:
            out[(d, b)].append((r["epoch"], s, float(r["valid_l1"]), float(r["h_auroc"])))
    return out


def snapshot_tables(records) -> list[str]:
    """Spearman rho(epsilon, h-AUROC) per dataset, and the points by epoch."""
    points = _snapshot_points(records)
    names = dataset_rows(records)
    order = [(d, b) for d in names for b in ["default", *sorted({k[1] for k in points})]]
    keys = [k for k in dict.fromkeys(order) if k in points]
    lines = [
        "| dataset | budget | points (seeds) | Spearman ρ(ε, h-AUROC) | p | paper ρ |",
        "|---|---|---|---|---|---|",
    ]
    for d, b in keys:
        pts = points[(d, b)]
        rho, pval = spearman([p[2] for p in pts], [p[3] for p in pts])
        paper = PAPER_SPEARMAN.get(d)
        lines.append(
            f"| {names[d]} | {b} | {len(pts)} ({len({p[1] for p in pts})}) | "
            + ("–" if np.isnan(rho) else f"{rho:+.2f}")
            + " | "
            + ("–" if np.isnan(pval) else f"{pval:.3f}")
            + " | "
            + ("–" if paper is None else f"{paper:+.2f}")
            + " |"
        )
    lines += ["", "| dataset | budget | epoch | ε = valid_l1 | h-AUROC (100 % labels) |"]
    lines.append("|---|---|---|---|---|")
    for d, b in keys:
        by_epoch = defaultdict(list)
        for epoch, _s, eps, auc in points[(d, b)]:
            by_epoch[epoch].append((eps, auc))
        epochs = sorted((e for e in by_epoch if e != "best"), key=int)
        for e in epochs + (["best"] if "best" in by_epoch else []):
            eps, auc = zip(*by_epoch[e], strict=True)
            lines.append(f"| {names[d]} | {b} | {e} | {fmt(list(eps), 4)} | {fmt(list(auc))} |")
    return lines


def snapshot_figure(records, path: Path) -> bool:
    """Scatter epsilon against h-AUROC, one colour per dataset; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    points = _snapshot_points(records)
    if not points:
        return False
    names = dataset_rows(records)
    fig, ax = plt.subplots(figsize=(5, 4))
    for (d, b), pts in sorted(points.items()):
        rho, _ = spearman([p[2] for p in pts], [p[3] for p in pts])
        label = f"{names.get(d, d)}" + ("" if b == "default" else f" ({b})")
        label += "" if np.isnan(rho) else f", ρ = {rho:+.2f}"
        ax.scatter([p[2] for p in pts], [p[3] for p in pts], label=label, alpha=0.8)
    eps = [p[2] for pts in points.values() for p in pts]
    log = min(eps) > 0 and max(eps) / min(eps) > 10
    if log:
        ax.set_xscale("log")
    ax.set_xlabel("ε = validation L1 of the pretrainer" + (" (log)" if log else ""))
    ax.set_ylabel("h-AUROC, pred-FT at 100 % labels")
    ax.set_title("Pretraining snapshots (epochs 1, 3, 8, 25, best)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def objective_section(records) -> list[str]:
    if not records:
        return []
    return [
        "## Objective comparison",
        "",
        "`python -m benchmarks.objective` (records: `benchmarks/results/objective.jsonl`): "
        "HEPA of the matched protocol with one pretraining setting changed. sum / mean: the "
        "L1 prediction loss summed or averaged over the embedding; mean_sigreg_all: SIGReg "
        "also on the encoder's h_t and the target h*; mean_ema: an EMA target encoder "
        "(momentum 0.99); mean_standardize: the mean encoder (same fit) under a head on "
        "z-scored embeddings; random: no pretraining epoch; *_alpha*: another SIGReg weight "
        "(paper 0.1). Cells: mean ± std over seeds. "
        "h_rank (effective rank of h_t) and ε (validation L1) are the last pretraining "
        "epoch's, from the pretrainer's history; none for random (no epoch). ε of `sum` "
        "is summed over the embedding's dimensions, so it is not on the other rows' scale.",
        "",
        *objective_table(records),
        "",
    ]


def snapshot_section(records, figure_link=None) -> list[str]:
    if not records:
        return []
    out = [
        "## Does a lower ε mean a better encoder? (pretraining snapshots)",
        "",
        "`python -m benchmarks.snapshots` (records: `benchmarks/results/snapshots.jsonl`): "
        "HEPA pretrained for 30 epochs, its weights kept at epochs 1, 3, 8 and 25 and at the "
        "best validation epoch (restored by early stopping); each is frozen under the pred-FT "
        "head at 100 % labels. ρ: Spearman over every snapshot of every seed of the dataset. "
        "The paper's Fig. 3a reports ρ = −0.87 on C-MAPSS-1 (FD001) and −0.64 on MBA.",
        "",
        *snapshot_tables(records),
        "",
    ]
    if figure_link:
        out += [f"![ε against h-AUROC per snapshot]({figure_link})", ""]
    return out
