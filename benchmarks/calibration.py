"""ECE and Brier of HEPA's test surface before and after post-hoc calibration.

For each (dataset, seed): HEPA is fitted as ``benchmarks.run`` fits it
(method ``hepa``, 100 % labels) on the training split, a
:class:`~sktime_hepa.SurfaceCalibrator` (isotonic, and sigmoid) is fitted on
held-out series, and both surfaces are scored on the test split. One record
per (dataset, seed, calibration method). The held-out series, never test:

* the loader's validation split ``X_val`` where it has one (SMAP, MBA: the
  piece after each training piece, in time); HEPA then trains on the whole
  training split, exactly as in ``benchmark.jsonl``;
* otherwise (C-MAPSS) 20 % of the training series, drawn by the seed; HEPA
  trains on the other 80 %.

Calibration and test rows are thinned as ``benchmarks.run`` thins test rows
(``max_test_rows``); contexts still reach back into every series.

Usage::

    python -m benchmarks.calibration --dataset fd001 smap mba --seeds 0 1 2
    python -m benchmarks.calibration --dataset mba --quick   # smoke budget, /tmp output
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.frozen import FrozenEstimator

from sktime_hepa import SurfaceCalibrator, __version__
from sktime_hepa.metrics import brier_score, expected_calibration_error, h_auroc_score

from .protocol import BUDGETS, DATASETS, HIDDEN_DATASETS, budget_dict, estimator, thin_rows
from .run import (
    RESULTS,
    _groups,
    append_record,
    done_runs,
    fit_pretrainer,
    git_commit,
    labelled_target,
    prepare,
)

OUT = RESULTS.with_name("calibration.jsonl")
QUICK_OUT = Path(tempfile.gettempdir()) / "calibration_quick.jsonl"
DEFAULT_DATASETS = ["fd001", "smap", "mba"]
CALIBRATIONS = ("isotonic", "sigmoid")
#: Share of the training series held out for calibration when there is no X_val.
HELD_OUT_FRACTION = 0.2


def calibration_split(data, seed: int):
    """(the Bunch HEPA trains on, X_cal, y_cal, a description of the held-out set)."""
    if getattr(data, "X_val", None) is not None:
        return data, data.X_val, data.y_val, {"source": "X_val"}
    groups = _groups(data.X_train)
    ids = np.unique(groups)
    if len(ids) < 5:
        raise ValueError(f"{data.bench_name}: no X_val and fewer than 5 series to hold out")
    rng = np.random.default_rng(seed)
    held = rng.choice(ids, max(1, round(HELD_OUT_FRACTION * len(ids))), replace=False)
    cal = np.isin(groups, held)
    fit_data = copy.copy(data)  # a shallow copy: the other fields are shared
    fit_data.X_train, fit_data.y_train = data.X_train[~cal], data.y_train[~cal]
    info = {"source": "training series", "held_out": int(len(held)), "of": int(len(ids))}
    return fit_data, data.X_train[cal], data.y_train[cal], info


def _metrics(y, surface) -> dict:
    return {
        "ece": expected_calibration_error(y, surface),
        "brier": brier_score(y, surface),
        "h_auroc": h_auroc_score(y, surface),
    }


def run_dataset_seed(data, seed: int, budget, methods, commit: str) -> list[dict]:
    """Fit HEPA once, calibrate it with each method, score the test rows: one record each."""
    fit_data, X_cal, y_cal, held_out = calibration_split(data, seed)
    t0 = time.perf_counter()
    fitted_pre, _ = fit_pretrainer("hepa", fit_data, budget, seed)
    y_fit, _, n_labelled, _ = labelled_target(fit_data, seed, 1.0, budget)
    model = estimator("hepa", fit_data, budget, seed, n_labelled, fitted_pre)
    model.fit(fit_data.X_train, y_fit)
    fit_seconds = time.perf_counter() - t0

    cal_rows, cal_stride = thin_rows(_groups(X_cal), budget.max_test_rows)
    test_rows, y_te = data.test_rows, data.y_test[data.test_rows]
    raw = model.predict_surface(data.X_test, rows=test_rows)
    before = _metrics(y_te, raw)
    records = []
    for method in methods:
        t0 = time.perf_counter()
        cal = SurfaceCalibrator(FrozenEstimator(model), method=method)
        cal.fit(X_cal, y_cal, rows=cal_rows)
        after = _metrics(y_te, cal.calibrate(raw))
        records.append(
            {
                "dataset": data.bench_name,
                "seed": seed,
                "model": "hepa",
                "calibration": method,
                **{f"{k}_before": v for k, v in before.items()},
                **{f"{k}_after": v for k, v in after.items()},
                "identity_horizons": cal.identity_horizons_.tolist(),
                "held_out": held_out,
                "n_calibration_rows": int(len(cal_rows)),
                "calibration_row_stride": cal_stride,
                "n_test_rows_scored": int(len(test_rows)),
                "test_row_stride": data.test_stride,
                "horizons": data.horizons,
                "hepa_fit_seconds": round(fit_seconds, 2),
                "calibration_seconds": round(time.perf_counter() - t0, 2),
                "budget_settings": budget_dict(budget),
                "version": __version__,
                "commit": commit,
                "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
        )
    return records


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
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--calibration", nargs="+", default=list(CALIBRATIONS), choices=CALIBRATIONS
    )
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
        help="skip (dataset, seed, calibration) runs already in --out at this budget",
    )
    args = parser.parse_args(argv)
    budget_name = "smoke" if args.quick else args.budget
    seeds = args.seeds[:1] if args.quick else args.seeds
    out = args.out or (QUICK_OUT if args.quick else OUT)
    budget, commit = BUDGETS[budget_name], git_commit()
    done = set()
    if args.skip_existing:
        done = done_runs(
            out,
            key=lambda r: (r["dataset"], r["seed"], r["calibration"]),
            where=lambda r: r.get("budget") == budget_name,
        )
    for dataset in args.dataset:
        data = None
        for seed in seeds:
            methods = [m for m in args.calibration if (dataset, seed, m) not in done]
            if not methods:
                continue
            if data is None:
                data = prepare(dataset, budget)
            for rec in run_dataset_seed(data, seed, budget, methods, commit):
                rec["budget"] = budget_name
                append_record(out, rec)
                print(
                    f"{dataset} seed={seed} {rec['calibration']}: ECE {rec['ece_before']:.4f} -> "
                    f"{rec['ece_after']:.4f}  Brier {rec['brier_before']:.4f} -> "
                    f"{rec['brier_after']:.4f}  (identity at {len(rec['identity_horizons'])} "
                    f"of {rec['horizons']} horizons)",
                    flush=True,
                )
    print(f"records in {out}")


if __name__ == "__main__":
    main()
