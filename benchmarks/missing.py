"""h-AUROC with 0, 10, 30 and 50 % of the steps missing at random (``missing="mask"``).

For each (dataset, seed, missing rate): a share ``rate`` of the steps of the
training and of the test split are made missing, completely at random (MCAR)
and **per step**: every sensor of a chosen step becomes NaN at once (a sensor
stream that drops whole readings). Steps are drawn independently for each split
and each (seed, rate); a series that would lose every step keeps one, drawn at
random (the estimators refuse a series without an observation). Then, with
``benchmarks.run``'s protocol at 100 % labels (same estimators, budget,
thinned rows, metrics):

* ``hepa``: ``HEPAPretrainer(missing="mask")`` pretrained on the gappy
  training split and the pred-FT ``HEPAEventPredictor(missing="mask")`` on it;
  a missing step is masked out of the scaling and of every context;
* ``rsf``: ``SurvivalForestBaseline(missing="mask")``: its features carry the
  last observed value forward (the EMA runs over observed values only).

The labels are never touched: a missing step is still a row to score (its
context ends at a gap). At rate 0 the estimators see no NaN, so those records
are the protocol's own numbers (``missing="mask"`` without NaN is exactly
``missing="error"``). One record per (dataset, method, seed, rate), appended
to ``benchmarks/results/missing.jsonl``; ``--skip-existing`` resumes.

Usage::

    python -m benchmarks.missing --dataset fd001 smap --seeds 0 1 2 --skip-existing
    python -m benchmarks.missing --dataset fd001 --quick   # smoke budget, /tmp output
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from sktime_hepa import __version__

from .protocol import BUDGETS, DATASETS, HIDDEN_DATASETS, budget_dict, epochs_run, estimator
from .run import (
    RESULTS,
    _groups,
    append_record,
    done_runs,
    fit_pretrainer,
    git_commit,
    labelled_target,
    prepare,
    score,
)

OUT = RESULTS.with_name("missing.jsonl")
QUICK_OUT = Path(tempfile.gettempdir()) / "missing_quick.jsonl"
DEFAULT_DATASETS = ["fd001", "smap"]
RATES = (0.0, 0.1, 0.3, 0.5)
METHODS = ("hepa", "rsf")
#: What a missing value is in these records (the report says it).
MISSINGNESS = "mcar_step"


def drop_steps(X, rate: float, rng) -> tuple:
    """X with ``rate`` of its steps (rows, all sensors at once) set to NaN, and how many.

    Each step is missing independently with probability ``rate``; a series
    left without any step gets one of its steps back, drawn at random.
    """
    groups = _groups(X)
    gone = rng.random(len(X)) < rate
    for g in np.unique(groups[gone]):
        rows = np.flatnonzero(groups == g)
        if gone[rows].all():
            gone[rng.choice(rows)] = False
    X = X.copy()
    X.iloc[np.flatnonzero(gone)] = np.nan
    return X, int(gone.sum())


def with_missing(data, rate: float, seed: int):
    """A shallow copy of the prepared Bunch whose training and test splits have gaps."""
    gappy = copy.copy(data)
    if rate == 0:
        gappy.n_missing = {"train": 0, "test": 0}
        return gappy
    # one stream per (seed, rate): the draws do not depend on the order of the runs
    rng = np.random.default_rng([seed, round(1000 * rate)])
    gappy.X_train, n_train = drop_steps(data.X_train, rate, rng)
    gappy.X_test, n_test = drop_steps(data.X_test, rate, rng)
    gappy.n_missing = {"train": n_train, "test": n_test}
    return gappy


def run_one(data, method: str, seed: int, rate: float, budget, commit: str) -> dict:
    """Fit one method on the gappy training split and score the gappy test rows."""
    gappy = with_missing(data, rate, seed)
    y_fit, _, n_labelled, train_stride = labelled_target(gappy, seed, 1.0, budget)
    pre_seconds, fitted_pre = None, None
    if method == "hepa":  # pretrained on the gappy training split, as run.py on the full one
        fitted_pre, pre_seconds = fit_pretrainer("hepa", gappy, budget, seed, missing="mask")
        model = estimator("hepa", gappy, budget, seed, n_labelled, fitted_pre, missing="mask")
    else:
        model = estimator(method, gappy, budget, seed, n_labelled).set_params(missing="mask")
    t0 = time.perf_counter()  # fit_seconds leaves the pretraining out, as in run.py
    model.fit(gappy.X_train, y_fit)
    fit_seconds = time.perf_counter() - t0

    test_rows = data.test_rows
    t0 = time.perf_counter()
    if method == "hepa":
        surface = model.predict_surface(gappy.X_test, rows=test_rows)
    else:
        surface = model.predict_surface(gappy.X_test)[test_rows]
    predict_seconds = time.perf_counter() - t0

    y_te, g_te = data.y_test[test_rows], _groups(data.X_test)[test_rows]
    last = np.flatnonzero(np.r_[g_te[1:] != g_te[:-1], True])
    missing_scored = gappy.X_test.iloc[test_rows].isna().all(axis=1).to_numpy()
    record = {
        "dataset": data.bench_name,
        "method": method,
        "seed": seed,
        "missing_rate": rate,
        "missingness": MISSINGNESS,
        **score(data, surface, y_te, g_te, last),
        "n_missing_steps": gappy.n_missing,
        "n_steps": {"train": len(data.X_train), "test": len(data.X_test)},
        "missing_scored_rows": int(missing_scored.sum()),
        "fit_seconds": round(fit_seconds, 2),
        "pretrain_seconds": None if pre_seconds is None else round(pre_seconds, 2),
        "predict_seconds": round(predict_seconds, 2),
        "stages": epochs_run(model),
        "label_fraction": 1.0,
        "n_labelled_rows": n_labelled,
        "train_row_stride": train_stride,
        "n_test_rows_scored": int(len(test_rows)),
        "test_row_stride": data.test_stride,
        "horizons": data.horizons,
        "budget_settings": budget_dict(budget),
        "version": __version__,
        "commit": commit,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if fitted_pre is not None:
        record["stages"]["pretrain"] = {
            "epochs": len(fitted_pre.history_),
            "max_epochs": fitted_pre.max_epochs,
        }
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset",
        nargs="+",
        default=DEFAULT_DATASETS,
        choices=sorted(DATASETS),
        metavar="DATASET",
        help=f"default {' '.join(DEFAULT_DATASETS)}; any of "
        f"{', '.join(sorted(set(DATASETS) - HIDDEN_DATASETS))}",
    )
    parser.add_argument("--method", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--rates", nargs="+", type=float, default=list(RATES))
    parser.add_argument("--budget", default="default", choices=sorted(BUDGETS))
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"the smoke budget and one seed, written to {QUICK_OUT} unless --out is given "
        "(checks the script runs; never reported)",
    )
    parser.add_argument("--out", type=Path, default=None, help=f"default {OUT}")
    parser.add_argument(
        "--skip-existing",
        action="store_true",
        help="skip (dataset, method, seed, rate) runs already in --out at this budget",
    )
    args = parser.parse_args(argv)
    if any(not 0.0 <= r < 1.0 for r in args.rates):
        parser.error("--rates must lie in [0, 1)")
    budget_name = "smoke" if args.quick else args.budget
    seeds = args.seeds[:1] if args.quick else args.seeds
    out = args.out or (QUICK_OUT if args.quick else OUT)
    budget, commit = BUDGETS[budget_name], git_commit()
    done = set()
    if args.skip_existing:
        done = done_runs(
            out,
            key=lambda r: (r["dataset"], r["method"], r["seed"], r["missing_rate"]),
            where=lambda r: r.get("budget") == budget_name,
        )
    for dataset in args.dataset:
        data = None
        for seed in seeds:
            for rate in args.rates:
                for method in args.method:
                    if (dataset, method, seed, rate) in done:
                        continue
                    if data is None:
                        data = prepare(dataset, budget)
                    rec = run_one(data, method, seed, rate, budget, commit)
                    rec["budget"] = budget_name
                    append_record(out, rec)
                    print(
                        f"{dataset} {method} seed={seed} missing={rate:.0%}: "
                        f"h-AUROC {rec['h_auroc']:.3f}  fit {rec['fit_seconds']:.0f}s",
                        flush=True,
                    )
    print(f"records in {out}")


if __name__ == "__main__":
    main()
