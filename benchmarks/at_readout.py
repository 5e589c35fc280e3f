"""Which part of the Anomaly Transformer's causal score ranks anomalies (issue 17).

Fits the detector as ``benchmarks.related`` does (same settings and seed) and
scores the test rows from the context ending at each row, then reads the AUROC
of each component at the context's last step: the reconstruction MSE alone,
the association discrepancy alone (higher = anomalous, the opposite of the
original's sign), the package's population read-out (``mse * 2 sigmoid(-z)``,
z the discrepancy standardised on held-out training windows), the same with
the sign flipped, the original's window softmax read at the last step, and
the population read-out on the rows whose context holds a full window only
(the first ``context_length - 1`` rows of a series read a padded context).
Records: ``benchmarks/results/at_readout.jsonl``.

Usage::

    python -m benchmarks.at_readout --dataset batadal mba tep --seed 0
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from .protocol import BUDGETS
from .related import fit_related
from .run import append_record, git_commit, prepare

RESULTS = Path(__file__).parent / "results" / "at_readout.jsonl"


def components(model, data) -> dict:
    """AUROC of each read-out of the last step, over the scored test rows."""
    module = model.net_.module_.eval()
    source = model.to_rows(data.X_test)
    rows = data.test_rows
    labels = np.asarray(data.labels_test, dtype=bool)[rows]
    mse, disc, window = (np.empty(len(rows)) for _ in range(3))
    with torch.inference_mode():
        for sel, ctx, mask in source.iter_contexts(rows, 512, torch.device("cpu")):
            e, d, _ = module.error_and_discrepancy(ctx, mask)  # (b, W) each
            mse[sel], disc[sel] = e[:, -1].numpy(), d[:, -1].numpy()
            window[sel] = module.window_scores(ctx, mask)[:, -1].numpy()
    z = (disc - float(module.disc_loc)) / float(module.disc_scale)
    weight = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))  # sigmoid(z)
    # rows whose context holds a full window (the first W - 1 rows of a series are padded)
    t = rows - source.offsets[source.groups[rows]]
    full = t >= source.context_length - 1
    reads = {
        "mse": mse,
        "discrepancy_high": disc,
        "population": mse * 2 * (1 - weight),
        "edge": mse * 2 * weight,
        "window_last_step": window,
    }
    out = {name: float(roc_auc_score(labels, s)) for name, s in reads.items()}
    if full.any() and 0 < labels[full].sum() < full.sum():
        for name in ("population", "edge"):
            out[f"{name}_full_context"] = float(roc_auc_score(labels[full], reads[name][full]))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", nargs="+", default=["batadal", "mba", "tep"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    budget = BUDGETS["default"]
    for dataset in args.dataset:
        data = prepare(dataset, budget)
        model, fit_seconds = fit_related(data, "anomaly_transformer", args.seed, budget)
        rec = {
            "dataset": dataset,
            "seed": args.seed,
            "auroc": components(model, data),
            "fit_seconds": round(fit_seconds, 2),
            "commit": git_commit(),
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        append_record(args.out, rec)
        print(dataset, {k: round(v, 3) for k, v in rec["auroc"].items()}, flush=True)


if __name__ == "__main__":
    main()
