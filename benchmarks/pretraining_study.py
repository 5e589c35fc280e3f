"""The pretraining study (issue 16): does the JEPA predictor predict, and does it transfer?

For each (dataset, seed, variant) one HEPAPretrainer is fitted as in the
matched protocol (``benchmarks.protocol``: data, splits, ``default`` budget of
8 epochs x 1,500 windows) with some objective settings changed, then:

* **prediction**: ``prediction_error`` on the *test* series (held out from
  pretraining): epsilon against the real future target, against the target
  of another window of nearly the same dt, their ratio overall and per dt
  band (about 1 for a predictor that ignores its context);
* **representation**: spread of ``h_t`` on test rows (effective rank, median
  cosine to the mean, PC1's share of the variance) and, on run-to-failure
  data, the median per-unit Spearman of PC1 with time (the paper's Fig. 3b);
* **transfer**: the protocol's pred-FT head on the frozen encoder at each
  label fraction, with the head budget in optimiser steps
  (``protocol.head_schedule``).

``random`` (zero pretraining epochs) is the random-init control; the
controls without a pretrainer (``scratch``: the same network trained on the
labels alone; ``age``) get records of their own per (seed, label fraction).
One JSON record per pretraining (``kind="pretrain"``) and per head fit
(``kind="head"``), appended as each finishes; ``--skip-existing`` resumes.

Usage::

    python -m benchmarks.pretraining_study --dataset fd001 mba --seeds 0 1 2 \\
        --variant batch none patch random --labels 0.1 0.02 --skip-existing
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from sktime_hepa.diagnostics import embedding_stats

from .protocol import BUDGETS, DATASETS, HIDDEN_DATASETS, per_epoch
from .run import append_record, done_runs, fit_pretrainer, git_commit, prepare, run_one

RESULTS = Path(__file__).parent / "results" / "pretraining_study.jsonl"

#: variant -> HEPAPretrainer settings over the protocol's "hepa" (each pins what it studies).
VARIANTS = {
    # the package's former default: SIGReg as LeJEPA's test statistic (x batch size)
    "batch": {"sigreg_scale": "batch"},
    # the statistic not multiplied by the batch size: alpha 0.1 is the paper's weight
    "none": {"sigreg_scale": "none"},
    "none_pred": {"sigreg_scale": "none", "sigreg_on": "predictor"},
    "none_alpha0.3": {"sigreg_scale": "none", "alpha": 0.3},
    "none_alpha0.03": {"sigreg_scale": "none", "alpha": 0.03},
    # a fixed-length target: the patch ending at t + dt instead of all of (t, t + dt]
    "patch": {"sigreg_scale": "none", "target_window": "patch"},
    "patch_batch": {"sigreg_scale": "batch", "target_window": "patch"},
    # the encoder's own summary of the history up to t + dt: predict how the state moves
    "context": {"sigreg_scale": "none", "target_window": "context"},
    # the same target under a stronger SIGReg: with h* = h_(t+dt) the regulariser on h_t
    # also spreads the target, so it need not trade prediction for spread
    "context_batch": {"sigreg_scale": "batch", "target_window": "context"},
    "context_alpha0.5": {"sigreg_scale": "none", "target_window": "context", "alpha": 0.5},
    "none_ema": {"sigreg_scale": "none", "target_encoder": "ema"},
    "none_lr1e-3": {"sigreg_scale": "none", "lr": 1e-3},
    "none_20ep": {"sigreg_scale": "none", "max_epochs": 20, "patience": 5},
    # JEPA plus the reconstruction of the context's last patch (and statistics) from h_t:
    # the prediction loss alone may drop what the current state looks like
    "recon": {"sigreg_scale": "none", "reconstruction_weight": 1.0},
    "recon0.1": {"sigreg_scale": "none", "reconstruction_weight": 0.1},
    # the random-init control: the same network, zero epochs
    "random": {"max_epochs": 0},
}
#: head name -> HEPAEventPredictor settings on the frozen pretrained encoder
HEADS = {
    "predictor": {},  # pred-FT, the protocol's head
    "head": {"finetune": "head"},  # the event head alone on the pretrained predictor
    "standardize": {"standardize": True},  # pred-FT on h_t z-scored per dimension
    "whiten": {"standardize": "whiten"},  # pred-FT on whitened h_t (identity covariance)
    # the encoder finetuned too, from the pretrained weights: pretraining as an initialisation
    # (its control is `scratch`, the same finetuning from random weights)
    "end_to_end": {"finetune": "end_to_end"},
}
#: controls without a pretrainer: the study's name -> the protocol's method
CONTROLS = {"scratch": "hepa_scratch", "age": "age"}
RUL = {"fd001", "fd002", "fd002-regime"}


def _ages(X) -> np.ndarray:
    """Steps since each row's series began (0 at its first row)."""
    units = X.index.get_level_values(0).to_numpy()
    starts = np.r_[0, np.flatnonzero(units[1:] != units[:-1]) + 1]
    return np.arange(len(units)) - np.repeat(starts, np.diff(np.r_[starts, len(units)]))


def age_r2(H, units, ages, min_series: int = 3):
    """Out-of-fold R² of log(1 + age) read linearly from ``h_t`` (folds by series).

    How much of "how long has this series been running" the embedding keeps:
    on data whose events follow age (the age floor's h-AUROC) a head can only
    use what survives here. None with fewer than ``min_series`` series.
    """
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import GroupKFold, cross_val_predict

    n_series = len(np.unique(units))
    if n_series < min_series:
        return None
    target = np.log1p(ages)
    pred = cross_val_predict(
        RidgeCV(alphas=np.logspace(-3, 3, 7)),
        H,
        target,
        groups=units,
        cv=GroupKFold(n_splits=min(5, n_series)),
    )
    return float(1 - ((target - pred) ** 2).sum() / ((target - target.mean()) ** 2).sum())


def representation(fitted, data, seed: int, max_rows: int = 4000) -> dict:
    """Spread of ``h_t`` on test rows, its age read-out, and on run-to-failure data PC1's
    Spearman with time."""
    X = data.X_test
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(X), min(max_rows, len(X)), replace=False))
    H = np.asarray(fitted.transform_rows(X, rows), dtype=np.float64)
    stats = embedding_stats(H)
    centred = H - H.mean(0)
    _, sv, vt = np.linalg.svd(centred, full_matrices=False)
    out = {
        "test_rank": stats["rank"],
        "test_cos": stats["cos"],
        "pc1_share": float(sv[0] ** 2 / (sv**2).sum()) if sv.sum() > 0 else None,
    }
    out["age_r2"] = age_r2(H, X.index.get_level_values(0).to_numpy()[rows], _ages(X)[rows])
    if data.bench_name in RUL:
        pc1 = centred @ vt[0]
        units = X.index.get_level_values(0).to_numpy()[rows]
        steps = X.index.get_level_values(1).to_numpy()[rows]
        rhos = []
        for u in np.unique(units):
            sel = units == u
            if sel.sum() >= 10:
                rhos.append(abs(spearmanr(pc1[sel], steps[sel]).statistic))
        out["pc1_time_spearman"] = float(np.nanmedian(rhos)) if rhos else None
    return out


def pretrain_record(data, variant, seed, fitted, seconds, commit, budget_name) -> dict:
    ref = fitted.prediction_error(data.X_test, random_state=seed)
    return {
        "kind": "pretrain",
        "dataset": data.bench_name,
        "variant": variant,
        "seed": seed,
        "pretrainer_params": VARIANTS[variant],
        "test_prediction": {k: _plain(v) for k, v in ref.items()},
        "valid_prediction": {k: _plain(v) for k, v in fitted.prediction_reference_.items()},
        **representation(fitted, data, seed),
        "valid_l1": per_epoch(fitted, "valid_l1"),
        "pred_ratio": per_epoch(fitted, "pred_ratio"),
        "h_rank": per_epoch(fitted, "h_rank"),
        "pretrain_epochs": len(fitted.history_),
        "pretrain_seconds": round(seconds, 2),
        "budget": budget_name,
        "commit": commit,
    }


def _plain(v):
    v = float(v)
    return None if np.isnan(v) else round(v, 6)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset",
        nargs="+",
        required=True,
        choices=sorted(DATASETS),
        metavar="DATASET",
        help=", ".join(sorted(set(DATASETS) - HIDDEN_DATASETS)),
    )
    parser.add_argument("--variant", nargs="+", default=["none", "random"])
    parser.add_argument("--controls", nargs="*", default=list(CONTROLS), choices=list(CONTROLS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--labels", nargs="*", type=float, default=[0.1])
    parser.add_argument("--budget", default="default", choices=sorted(BUDGETS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--heads",
        "--finetune",
        dest="heads",
        nargs="+",
        default=["predictor"],
        choices=list(HEADS),
        help="heads per pretrainer: 'predictor' (pred-FT) records as the variant, the "
        "others as '<variant>+<head>' (HEADS: 'head' trains the event head only on the "
        "frozen pretrained predictor; 'standardize' and 'whiten' pred-FT on z-scored or "
        "whitened h_t)",
    )
    parser.add_argument("--skip-existing", action="store_true")
    args = parser.parse_args(argv)
    unknown = set(args.variant) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {list(VARIANTS)}")
    budget = BUDGETS[args.budget]
    commit = git_commit()
    key = lambda r: (r["kind"], r["dataset"], r["variant"], r["seed"], r.get("label_fraction"))  # noqa: E731
    done = set()
    if args.skip_existing:
        done = done_runs(args.out, key=key, where=lambda r: r.get("budget") == args.budget)
    for dataset in args.dataset:
        data = prepare(dataset, budget)
        for seed in args.seeds:
            for name, method in CONTROLS.items():
                if name not in args.controls:
                    continue
                for fraction in args.labels:
                    if ("head", dataset, name, seed, fraction) in done:
                        continue
                    rec = run_one(
                        data, method, seed, fraction, budget, None, None, data.test_rows, commit
                    )
                    rec.update(kind="head", variant=name, budget=args.budget)
                    append_record(args.out, rec)
                    print(
                        f"{dataset} {name} seed={seed} labels={fraction:g}: "
                        f"h-AUROC {rec['h_auroc']:.3f}",
                        flush=True,
                    )
            for variant in args.variant:
                heads = [(m, variant if m == "predictor" else f"{variant}+{m}") for m in args.heads]
                todo = [
                    (f, mode, name)
                    for f in args.labels
                    for mode, name in heads
                    if ("head", dataset, name, seed, f) not in done
                ]
                if ("pretrain", dataset, variant, seed, None) in done and not todo:
                    continue
                t0 = time.perf_counter()
                fitted, seconds = fit_pretrainer("hepa", data, budget, seed, **VARIANTS[variant])
                if ("pretrain", dataset, variant, seed, None) not in done:
                    rec = pretrain_record(data, variant, seed, fitted, seconds, commit, args.budget)
                    append_record(args.out, rec)
                    tp = rec["test_prediction"]
                    print(
                        f"{dataset} {variant} seed={seed}: ratio {tp['ratio']} eps {tp['l1']} "
                        f"rank {rec['test_rank']:.1f} pc1-rho {rec.get('pc1_time_spearman')} "
                        f"({seconds:.0f}s)",
                        flush=True,
                    )
                for fraction, mode, name in todo:
                    rec = run_one(
                        data,
                        "hepa",
                        seed,
                        fraction,
                        budget,
                        fitted,
                        seconds,
                        data.test_rows,
                        commit,
                        **HEADS[mode],
                    )
                    rec.update(
                        kind="head",
                        variant=name,
                        budget=args.budget,
                        finetune=HEADS[mode].get("finetune", "predictor"),
                        head_params=HEADS[mode],
                        pretrainer_params=VARIANTS[variant],
                    )
                    append_record(args.out, rec)
                    print(
                        f"{dataset} {name} seed={seed} labels={fraction:g}: "
                        f"h-AUROC {rec['h_auroc']:.3f} ({time.perf_counter() - t0:.0f}s)",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
