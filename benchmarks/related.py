"""The related systems (issue 9), both faces of one fitted model per (dataset, seed).

Each system is fitted once, without labels, on the training split at the
protocol's CPU-sized settings (``protocol.RELATED``, epochs and samples per
epoch from the budget), then used twice:

* **as an encoder** under the matched dt-MLP head at each ``--labels``
  fraction, exactly as the sweep runs MAE (``run.run_one``): records go to
  ``benchmarks/results/benchmark.jsonl`` with the other methods;
* **as a detector** on the anomaly datasets (SMAP, MSL, MBA, BATADAL, GECCO,
  TEP): row scores from contexts that end at each row, and the detector's own
  ``threshold_``, the ``1 - contamination`` quantile of the scores of the rows
  it held out from pretraining, with ``contamination`` the anomaly share of
  the TRAINING labels (clipped to [0.001, 0.5]; 1 % where those are all
  normal). No test label reaches it. Records go to
  ``benchmarks/results/detectors.jsonl``: ``auroc`` (row score vs per-step
  anomaly label), ``f1`` and ``pa_f1`` at that threshold, and, to set beside
  the published figures (which all choose the threshold on the test labels),
  ``f1_oracle`` and ``pa_f1_oracle`` at the best test threshold. Point
  adjustment never lets a segment span two series. ``--untrained`` adds the
  same detector with ``max_epochs=0`` as a control (point adjustment makes an
  untrained model look strong).

Usage::

    python -m benchmarks.related --dataset smap msl mba batadal gecco tep fd001 fd002 ettm1 \
        --method trep mts_jepa lstm_vae lstm_attention anomaly_transformer sensitive_mamba \
        --seeds 0 --untrained --skip-existing
    python -m benchmarks.related --dataset mba --method anomaly_transformer --labels  # detector
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from sktime_hepa import __version__
from sktime_hepa.metrics import event_f1_score, point_adjusted_f1_score

from .protocol import (
    BUDGETS,
    DATASETS,
    RELATED_METHODS,
    budget_dict,
    collapse_stats,
    related_model,
)
from .run import RESULTS as BENCHMARK
from .run import _groups, append_record, done_runs, git_commit, prepare, run_one

RESULTS = Path(__file__).parent / "results" / "detectors.jsonl"
SWEEP_DATASETS = set(DATASETS) - {"fd002-regime", "weather", "beijing", "vix"}
ANOMALY_DATASETS = ("smap", "msl", "mba", "batadal", "gecco", "tep")
DEFAULT_CONTAMINATION = 0.01


def training_contamination(data) -> float:
    """Anomaly share of the training labels, in [0.001, 0.5]; 1 % when all are normal."""
    labels = np.asarray(data.get("labels_train", []), dtype=bool)  # none on run-to-failure
    share = float(labels.mean()) if labels.size else 0.0
    return DEFAULT_CONTAMINATION if share == 0 else float(np.clip(share, 0.001, 0.5))


def detection_scores(labels, scores, groups, threshold) -> dict:
    """AUROC, F1 and PA-F1 at ``threshold`` (flag: score > threshold) and at the test oracle."""
    labels = np.asarray(labels, dtype=bool)
    out = {
        "auroc": float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else None
    }
    if not labels.any():
        return out
    # the metrics flag score >= threshold, the detectors score > threshold_
    at = float(np.nextafter(threshold, np.inf))
    out["f1"] = event_f1_score(labels, scores, threshold=at)
    out["pa_f1"] = point_adjusted_f1_score(labels, scores, threshold=at, groups=groups)
    out["f1_oracle"] = event_f1_score(labels, scores)
    out["pa_f1_oracle"] = point_adjusted_f1_score(labels, scores, groups=groups)
    out["flagged_share"] = float((scores > threshold).mean())
    out["anomaly_share"] = float(labels.mean())
    return out


def detector_record(
    data, method, seed, model, fit_seconds, budget, budget_name, commit, *, control=None
):
    """Score the test rows with a fitted detector: one detectors.jsonl record."""
    rows = data.test_rows
    t0 = time.perf_counter()
    scores = model.score_samples(data.X_test, rows=rows)
    predict_seconds = time.perf_counter() - t0
    labels = np.asarray(data.labels_test, dtype=bool)[rows]
    groups = _groups(data.X_test)[rows]
    return {
        "dataset": data.bench_name,
        "method": method,
        "control": control,
        "seed": seed,
        **detection_scores(labels, scores, groups, model.threshold_),
        "threshold": model.threshold_,
        "contamination": model.contamination,
        "params": {k: v for k, v in model.get_params().items() if k != "callbacks"},
        "pretrain_epochs": len(model.history_) if model.max_epochs else 0,
        "optimizer_steps": train_steps(model),
        "collapse": collapse_stats(model),
        "fit_seconds": round(fit_seconds, 2),
        "predict_seconds": round(predict_seconds, 2),
        "n_test_rows_scored": int(len(rows)),
        "test_row_stride": data.test_stride,
        "budget": budget_name,
        "budget_settings": budget_dict(budget),
        "version": __version__,
        "commit": commit,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def train_steps(model) -> int:
    """Optimiser steps the fit took (training batches over its epochs)."""
    if not model.max_epochs:
        return 0
    return int(sum(epoch.get("train_batch_count", 0) for epoch in model.history_))


def fit_related(data, method, seed, budget, *, untrained=False):
    """The method's model fitted without labels on the training split, and its seconds."""
    params = dict(contamination=training_contamination(data))
    if untrained:
        params["max_epochs"] = 0
    t0 = time.perf_counter()
    model = related_model(method, data, budget, seed, len(data.X_train), **params)
    model.fit(data.X_train)
    return model, time.perf_counter() - t0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", nargs="+", required=True, choices=sorted(SWEEP_DATASETS))
    parser.add_argument("--method", nargs="+", required=True, choices=RELATED_METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--labels", nargs="*", type=float, default=[1.0, 0.1])
    parser.add_argument("--untrained", action="store_true", help="also the max_epochs=0 control")
    parser.add_argument("--budget", default="default", choices=sorted(BUDGETS))
    parser.add_argument("--out", type=Path, default=RESULTS, help="detector records")
    parser.add_argument("--bench-out", type=Path, default=BENCHMARK, help="encoder records")
    parser.add_argument("--skip-existing", action="store_true")
    args = parser.parse_args(argv)
    budget = BUDGETS[args.budget]
    commit = git_commit()
    same_budget = lambda r: r.get("budget") == args.budget  # noqa: E731
    det_done = done_runs(
        args.out, lambda r: (r["dataset"], r["method"], r["seed"], r["control"]), where=same_budget
    )
    enc_done = done_runs(
        args.bench_out,
        lambda r: (r["dataset"], r["method"], r["seed"], r["label_fraction"]),
        where=same_budget,
    )
    if not args.skip_existing:
        det_done, enc_done = set(), set()
    for dataset in args.dataset:
        data = None
        detects = dataset in ANOMALY_DATASETS
        for seed in args.seeds:
            for method in args.method:
                fractions = [f for f in args.labels if (dataset, method, seed, f) not in enc_done]
                need_det = detects and (dataset, method, seed, None) not in det_done
                if fractions or need_det:
                    data = data or prepare(dataset, budget)
                    model, fit_seconds = fit_related(data, method, seed, budget)
                    if need_det:
                        rec = detector_record(
                            data, method, seed, model, fit_seconds, budget, args.budget, commit
                        )
                        append_record(args.out, rec)
                        print(
                            f"{dataset} {method} seed={seed}: AUROC {rec['auroc']}  "
                            f"F1 {rec.get('f1')}  PA-F1 {rec.get('pa_f1')}  "
                            f"(oracle {rec.get('pa_f1_oracle')})  fit {fit_seconds:.0f}s",
                            flush=True,
                        )
                    for fraction in fractions:
                        rec = run_one(
                            data,
                            method,
                            seed,
                            fraction,
                            budget,
                            model,
                            fit_seconds,
                            data.test_rows,
                            commit,
                        )
                        rec["budget"] = args.budget
                        append_record(args.bench_out, rec)
                        print(
                            f"{dataset} {method} seed={seed} labels={fraction:g}: "
                            f"h-AUROC {rec['h_auroc']:.3f}",
                            flush=True,
                        )
                control = (dataset, method, seed, "untrained")
                if args.untrained and detects and control not in det_done:
                    data = data or prepare(dataset, budget)
                    model, fit_seconds = fit_related(data, method, seed, budget, untrained=True)
                    rec = detector_record(
                        data,
                        method,
                        seed,
                        model,
                        fit_seconds,
                        budget,
                        args.budget,
                        commit,
                        control="untrained",
                    )
                    append_record(args.out, rec)
                    print(
                        f"{dataset} {method} (untrained) seed={seed}: AUROC {rec['auroc']}  "
                        f"F1 {rec.get('f1')}  PA-F1 {rec.get('pa_f1')}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
