"""Run the matched benchmark protocol and append one JSON record per run.

One record per (dataset, method, seed, label fraction): h-AUROC and the
per-horizon AUROC, the domain metric (RMSE at the last test cycle for C-MAPSS;
PA-F1 and plain F1 at dt = 1 for the anomaly sets), calibration, fit and
predict seconds, the budget and whether each stage stopped early, the package
version and the git commit; HEPA-family records also carry the pretrainer's
last-epoch collapse statistics (``collapse``). Self-supervised encoders
(hepa_random's zero-epoch one included) are pretrained once per (dataset,
seed) on all training rows and reused for every label fraction.

The pieces (``prepare``, ``fit_pretrainer``, ``labelled_target``,
``run_one``, ``done_runs``, ``append_record``) are shared by
``benchmarks.objective`` and ``benchmarks.snapshots``.

Usage::

    python -m benchmarks.run --dataset fd001 --method hepa rsf age --seeds 0 1 2 --labels 1.0 0.1
    python -m benchmarks.run --dataset smap --method all --seeds 0 --budget smoke --out /tmp/x.jsonl
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from sktime_hepa import __version__
from sktime_hepa.metrics import (
    brier_score,
    event_f1_score,
    expected_calibration_error,
    h_auroc_score,
    per_horizon_auroc,
    point_adjusted_f1_score,
    time_to_event_rmse,
)
from sktime_hepa.targets import horizon_labels

from .protocol import (
    BUDGETS,
    DATASETS,
    EXTRA_METHODS,
    HEPA_FAMILY,
    HEPA_PREDICTORS,
    HIDDEN_DATASETS,
    METHODS,
    RELATED_METHODS,
    SELF_SUPERVISED,
    budget_dict,
    collapse_stats,
    epochs_run,
    estimator,
    load_dataset,
    load_encoder,
    pretrainer,
    subsample_labels,
    thin_rows,
)

RESULTS = Path(__file__).parent / "results" / "benchmark.jsonl"
PIPELINES = ["mae", "hepa_dtmlp", "patchtst", "itransformer", *RELATED_METHODS]


def git_commit() -> str:
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _groups(X) -> np.ndarray:
    return X.index.get_level_values(0).to_numpy()


def flag_all_f1(labels) -> float:
    """F1 of flagging every row, 2p / (1 + p) for the positive share p (also its PA-F1)."""
    p = float(np.mean(labels))
    return 2 * p / (1 + p)


def one_step_labels(y, groups):
    """'Event within one step' on the rows where it is known, and their series."""
    labels, known = horizon_labels(y, 1)
    k = known[:, 0]
    return labels[k, 0], groups[k], k


def score(data, surface, y, groups, last_rows) -> dict:
    """Every metric of one test surface (rows already thinned)."""
    K = surface.shape[1]
    out = {
        "h_auroc": h_auroc_score(y, surface),
        "per_horizon_auroc": [
            None if np.isnan(a) else round(float(a), 4) for a in per_horizon_auroc(y, surface)
        ],
        "ece": expected_calibration_error(y, surface),
        "brier": brier_score(y, surface),
    }
    if data.kind == "rul":
        # the paper's RMSE: expected time to event at each test unit's last cycle, cap 125
        out["rmse_last"] = time_to_event_rmse(y[last_rows], surface[last_rows], cap=125)
    else:
        # PA-F1 / F1 thresholds p(t, 1); labels: event within one step; best threshold
        lab, g, k = one_step_labels(y, groups)
        sc = surface[k, 0]
        if lab.any():
            out["pa_f1"] = point_adjusted_f1_score(lab, sc, groups=g)
            out["f1"] = event_f1_score(lab, sc)
            out["flag_all_f1"] = flag_all_f1(lab)
    assert surface.shape[1] == K
    return out


def prepare(dataset: str, budget):
    """The dataset's Bunch with ``bench_name``, the scored ``test_rows`` and their stride."""
    data = load_dataset(dataset)
    data.bench_name = dataset
    test_rows, test_stride = thin_rows(_groups(data.X_test), budget.max_test_rows)
    if data.kind == "rul":  # the RMSE needs every unit's last cycle
        g = _groups(data.X_test)
        test_rows = np.union1d(test_rows, np.flatnonzero(np.r_[g[1:] != g[:-1], True]))
    data.test_rows, data.test_stride = test_rows, test_stride
    return data


def fit_pretrainer(method, data, budget, seed, **params):
    """A method's self-supervised encoder fitted on all training rows, and its seconds."""
    t0 = time.perf_counter()
    fitted = pretrainer(method, data, budget, seed, len(data.X_train), **params)
    fitted.fit(data.X_train)
    return fitted, time.perf_counter() - t0


def labelled_target(data, seed, fraction, budget):
    """The training target of one label fraction, thinned to the budget's rows.

    Returns ``(y_fit, label_info, n_labelled, train_stride)``; dropped and
    thinned-away rows are unlabelled (censored at 0).
    """
    groups_tr = _groups(data.X_train)
    y_tr, label_info = subsample_labels(
        data.y_train, groups_tr, fraction, seed, horizons=data.horizons
    )
    # thin the labelled rows (neighbouring rows share almost all of their context)
    keep, train_stride = thin_rows(groups_tr, budget.max_train_rows)
    labelled = np.zeros(len(y_tr), bool)
    labelled[keep] = True
    y_fit = y_tr.copy()
    y_fit[~labelled] = np.array((False, 0.0), dtype=y_fit.dtype)
    n_labelled = int(((y_fit["time"] > 0) | y_fit["event"]).sum())
    return y_fit, label_info, n_labelled, train_stride


def run_one(
    data,
    method,
    seed,
    fraction,
    budget,
    fitted_pre,
    pre_seconds,
    test_rows,
    commit,
    **head_params,
):
    """Fit one method at one label fraction and score it: one record.

    ``head_params`` go to the HEPAEventPredictor of a HEPA-family method.
    """
    X_tr, X_te = data.X_train, data.X_test
    y_fit, label_info, n_labelled, train_stride = labelled_target(data, seed, fraction, budget)
    model = estimator(method, data, budget, seed, n_labelled, fitted_pre, **head_params)

    t0 = time.perf_counter()
    if method in PIPELINES:
        # encoder -> event head; only the labelled rows are embedded for the head
        encoder, head = model[0], model[-1]
        if method not in SELF_SUPERVISED:
            encoder.fit(X_tr, y_fit)
        rows = np.flatnonzero((y_fit["time"] > 0) | y_fit["event"])
        head.fit(encoder.transform_rows(X_tr, rows), y_fit[rows])
    else:
        model.fit(X_tr, y_fit)
    fit_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    if method in HEPA_PREDICTORS:
        surface = model.predict_surface(X_te, rows=test_rows)
    elif method in PIPELINES:
        surface = model[-1].predict_surface(model[0].transform_rows(X_te, test_rows))
    else:
        surface = model.predict_surface(X_te)[test_rows]
    predict_seconds = time.perf_counter() - t0

    y_te, g_te = data.y_test[test_rows], _groups(X_te)[test_rows]
    last = np.r_[g_te[1:] != g_te[:-1], True]
    record = {
        "dataset": data.bench_name,
        "method": method,
        "seed": seed,
        "label_fraction": fraction,
        **score(data, surface, y_te, g_te, np.flatnonzero(last)),
        "fit_seconds": round(fit_seconds, 2),
        "pretrain_seconds": None if pre_seconds is None else round(pre_seconds, 2),
        "predict_seconds": round(predict_seconds, 2),
        "stages": epochs_run(model),
        "labels": label_info,
        "n_labelled_rows": n_labelled,
        "train_row_stride": train_stride,
        "n_test_rows_scored": int(len(test_rows)),
        "horizons": data.horizons,
        "budget": budget.__class__.__name__,
        "budget_settings": budget_dict(budget),
        "version": __version__,
        "commit": commit,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if fitted_pre is not None:
        hist = fitted_pre.history_
        record["stages"]["pretrain"] = {
            "epochs": len(hist),
            "max_epochs": fitted_pre.max_epochs,
            "early": len(hist) < fitted_pre.max_epochs,
        }
    if method in HEPA_FAMILY:
        # hepa_scratch's own encoder (model.pretrainer_) ran no epoch: None
        encoder = fitted_pre if fitted_pre is not None else getattr(model, "pretrainer_", None)
        record["collapse"] = collapse_stats(encoder)
    elif fitted_pre is not None:  # the other self-supervised encoders' spread
        record["collapse"] = collapse_stats(fitted_pre)
    if head_params:
        record["head_params"] = head_params
    return record


def done_runs(path: Path, key, where=lambda r: True) -> set:
    """``key(record)`` of every record in ``path`` that ``where`` accepts."""
    if not path.is_file():
        return set()
    records = (json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return {key(r) for r in records if where(r)}


def append_record(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fh.write(json.dumps(record) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset",
        required=True,
        choices=sorted(DATASETS),
        metavar="{" + ",".join(sorted(set(DATASETS) - HIDDEN_DATASETS)) + "}",
    )
    parser.add_argument(
        "--method", nargs="+", default=["all"], help=f"{METHODS + EXTRA_METHODS} or all"
    )
    parser.add_argument(
        "--encoder",
        action="append",
        default=[],
        metavar="FILE.py:CLASS",
        help="an encoder class of your own, run as method <class name in lower case>",
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--labels", nargs="+", type=float, default=[1.0, 0.1])
    parser.add_argument("--budget", default="default", choices=sorted(BUDGETS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--skip-existing",
        action="store_true",
        help="skip (method, seed, label fraction) runs already recorded in --out for this "
        "dataset and budget (an interrupted sweep resumes where it stopped)",
    )
    parser.add_argument(
        "--since",
        default=None,
        help="with --skip-existing, count only records written at or after this ISO time "
        "(UTC, e.g. 2026-12-07T16:00): a re-run from new code replaces older records",
    )
    args = parser.parse_args(argv)
    for spec in args.encoder:
        name = load_encoder(spec)
        if name not in PIPELINES:
            PIPELINES.append(name)
    methods = METHODS if args.method == ["all"] else args.method
    if "all" not in args.method:
        unknown = set(methods) - set(METHODS + EXTRA_METHODS)
        if unknown:
            parser.error(
                f"unknown methods {sorted(unknown)}; choose from {METHODS + EXTRA_METHODS}"
            )
    if args.dataset not in ("fd001", "fd002"):
        methods = [m for m in methods if m != "hepa_paper"]  # the paper default: C-MAPSS only
    budget = BUDGETS[args.budget]
    commit = git_commit()
    data = prepare(args.dataset, budget)
    done = set()
    if args.skip_existing:
        done = done_runs(
            args.out,
            key=lambda r: (r["method"], r["seed"], r["label_fraction"]),
            where=lambda r: (
                r["dataset"] == args.dataset
                and r.get("budget") == args.budget
                and (args.since is None or r.get("time", "") >= args.since)
            ),
        )
    for seed in args.seeds:
        for method in methods:
            fractions = [f for f in args.labels if (method, seed, f) not in done]
            if not fractions:
                continue
            fitted, pre_seconds = None, None
            if method in SELF_SUPERVISED:
                fitted, pre_seconds = fit_pretrainer(method, data, budget, seed)
            for fraction in fractions:
                rec = run_one(
                    data,
                    method,
                    seed,
                    fraction,
                    budget,
                    fitted,
                    pre_seconds,
                    data.test_rows,
                    commit,
                )
                rec["budget"] = args.budget
                rec["test_row_stride"] = data.test_stride
                append_record(args.out, rec)
                print(
                    f"{args.dataset} {method} seed={seed} labels={fraction:g}: "
                    f"h-AUROC {rec['h_auroc']:.3f}  fit {rec['fit_seconds']:.0f}s "
                    f"(pretrain {pre_seconds or 0:.0f}s)",
                    flush=True,
                )


if __name__ == "__main__":
    main()
