"""Measure the two places where a literal reading of the paper hurts.

1. ``l1_reduction``: the L1 term summed over the 256 embedding dimensions (the
   norm of eq. 2) or averaged over them (256x smaller against SIGReg).
2. ``normalization``: the paper's per-context instance normalisation erases
   absolute sensor levels; "instance_stats" feeds the context's mean and
   log-std as an extra token; "none" keeps only the train-fitted z-score.

For each configuration: the share of SIGReg in the loss at the first and last
epoch, how much the L1 term moved, and pred-FT h-AUROC on held-out units beside
the age-only and ridge baselines on the same rows. Results are appended to a
JSON-lines file as they come.

Usage::

    python -m benchmarks.design_choices --data synthetic --seeds 0 1
    python -m benchmarks.design_choices --data fd001 --configs sum/instance sum/instance_stats
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

import numpy as np

from sktime_hepa import AgeBaseline, HEPAEventPredictor, HEPAPretrainer, RidgeBaseline, __version__
from sktime_hepa.datasets import load_cmapss, make_run_to_failure
from sktime_hepa.metrics import h_auroc_score, time_to_event_rmse

RESULTS = Path(__file__).parent / "results" / "design_choices.jsonl"
CONFIGS = ["sum/instance", "mean/instance", "sum/instance_stats", "sum/none"]


def load(data: str, seed: int):
    """(X_train, y_train, X_test, y_test, K) with whole units held out."""
    if data == "synthetic":
        X, y = make_run_to_failure(80, random_state=seed)
        test = X.index.get_level_values(0) > 60
        return X[~test], y[~test], X[test], y[test], 150
    b = load_cmapss("FD001")
    return b.X_train, b.y_train, b.X_test, b.y_test, 150


def git_commit() -> str:
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run(data, config, seed, epochs, finetune_epochs, out, commit):
    reduction, normalization = config.split("/")
    X_tr, y_tr, X_te, y_te, K = load(data, seed)
    pre = HEPAPretrainer(
        context_length=None,
        normalization=normalization,
        l1_reduction=reduction,
        max_horizon=K,
        max_epochs=epochs,
        random_state=seed,
    )
    t0 = time.perf_counter()
    pre.fit(X_tr)
    t_pre = time.perf_counter() - t0
    hist = pre.history_
    first, last = hist[0], hist[-1]

    def share(row):
        sig = 0.1 * row["train_sigreg"]
        return sig / (sig + 0.9 * row["train_l1"])

    from sklearn.frozen import FrozenEstimator

    est = HEPAEventPredictor(
        FrozenEstimator(pre), horizons=K, max_epochs=finetune_epochs, random_state=seed
    )
    t0 = time.perf_counter()
    est.fit(X_tr, y_tr)
    t_ft = time.perf_counter() - t0
    surface = est.predict_surface(X_te)
    units = X_te.index.get_level_values(0)
    last = np.r_[units[1:] != units[:-1], True]  # the last observed cycle of each unit
    record = {
        "data": data,
        "config": config,
        "seed": seed,
        "rows_scored": len(y_te),
        "pretrain_epochs_run": len(hist),
        "pretrain_max_epochs": epochs,
        "pretrain_stride": pre.stride,
        "finetune_max_epochs": finetune_epochs,
        "patience": pre.patience,
        "finetune_epochs_run": len(est.history_),
        "pretrain_seconds": round(t_pre, 1),
        "finetune_seconds": round(t_ft, 1),
        "l1_first": first["train_l1"],
        "l1_last": last["train_l1"],
        "sigreg_first": first["train_sigreg"],
        "sigreg_last": last["train_sigreg"],
        "sigreg_share_first": share(first),
        "sigreg_share_last": share(last),
        "valid_loss_best": float(np.min(hist[:, "valid_loss"])),
        "h_auroc_hepa": h_auroc_score(y_te, surface),
        "rmse_last_cycle_cap125": time_to_event_rmse(y_te[last], surface[last], cap=125),
        "h_auroc_age": h_auroc_score(
            y_te, AgeBaseline(horizons=K).fit(X_tr, y_tr).predict_surface(X_te)
        ),
        "h_auroc_ridge": h_auroc_score(
            y_te, RidgeBaseline(horizons=K).fit(X_tr, y_tr).predict_surface(X_te)
        ),
        "version": __version__,
        "commit": commit,  # taken when the sweep started
    }
    print(json.dumps(record), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a") as f:
        f.write(json.dumps(record) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", choices=["synthetic", "fd001"], default="synthetic")
    parser.add_argument("--configs", nargs="+", default=CONFIGS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--finetune-epochs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    commit = git_commit()
    for seed in args.seeds:
        for config in args.configs:
            run(args.data, config, seed, args.epochs, args.finetune_epochs, args.out, commit)


if __name__ == "__main__":
    main()
