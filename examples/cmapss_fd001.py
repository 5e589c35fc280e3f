"""
HEPA on NASA C-MAPSS FD001: pretrain, pred-FT finetune, score every test cycle
==============================================================================

Protocol (paper, section 5 and appendix L):

* pretrain the encoder on the 100 training units without labels, full history
  as context (``context_length=None``), paper architecture and optimiser
  (d_model 256, 2 layers, 4 heads, patch 16; AdamW 3e-4; up to 100 epochs,
  early stopping with patience 10);
* finetune predictor + event head with the encoder frozen (pred-FT) on the
  training units' failure times, K = 150 horizons (up to 50 epochs);
* score ALL cycles of the 100 test units, labelled from ``RUL_FD001.txt``
  through the loader's ``y_test``: h-AUROC (mean per-horizon AUROC over
  dt = 1..150) for two input normalisations -- ``"instance"`` (paper default;
  removes each context's level) and ``"instance_stats"`` (adds the context's
  mean/log-std as a token, so absolute sensor levels survive) -- beside the age
  and ridge baselines on the same rows;
* RMSE of the expected time to event (the surface's CDF-to-point projection)
  at each test unit's last cycle, true and predicted RUL capped at 125.

The data are read from ``$SKTIME_HEPA_DATA/cmapss`` (default ``../shared/data``);
when they are absent the script says so and exits with status 0, except in quick
mode, which then runs the same steps on a synthetic C-MAPSS-like stand-in
(``make_run_to_failure``) so that the smoke run still exercises everything.
Run it from the repository root::

    python examples/cmapss_fd001.py                      # paper budget
    python examples/cmapss_fd001.py --quick              # tiny smoke-test budget
    SKTIME_HEPA_QUICK=1 python examples/cmapss_fd001.py  # the same (the docs build sets it)
    python examples/cmapss_fd001.py --epochs 20 --finetune-epochs 10 --out results.json
"""

# %%
# Settings
# --------
# The paper's horizon grid and RUL cap. This example keeps its steps inside
# ``main()``: without the data it must stop cleanly (status 0), which a
# script of top-level cells cannot do inside the documentation build.

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GroupShuffleSplit
from sklearn.utils import Bunch

from sktime_hepa import AgeBaseline, HEPAEventPredictor, HEPAPretrainer, RidgeBaseline
from sktime_hepa.datasets import get_data_home, load_cmapss, make_run_to_failure
from sktime_hepa.metrics import h_auroc_score, per_horizon_auroc, time_to_event_rmse
from sktime_hepa.panel import series_ids

K = 150  # horizons dt = 1..150 (paper, C-MAPSS)
RUL_CAP = 125  # RMSE cap (paper, following STAR)
NORMALIZATIONS = ("instance", "instance_stats")


def last_rows(X) -> np.ndarray:
    """Row number of each series' last cycle."""
    ids = series_ids(X)
    return np.flatnonzero(np.r_[ids[1:] != ids[:-1], True])


def score(surface, y, last) -> dict:
    return {
        "h_auroc": h_auroc_score(y, surface),
        "rmse_last_cycle_cap125": time_to_event_rmse(y[last], surface[last], cap=RUL_CAP),
    }


def quick_default() -> bool:
    """Whether SKTIME_HEPA_QUICK asks for quick mode (set, and not 0/false/no)."""
    return os.environ.get("SKTIME_HEPA_QUICK", "").strip().lower() not in ("", "0", "false", "no")


def synthetic_stand_in(seed: int) -> Bunch:
    """A C-MAPSS-like train/test split of synthetic run-to-failure units (quick mode
    without the data): whole units on each side, test units run to failure."""
    X, y = make_run_to_failure(24, n_sensors=8, n_conditions=1, random_state=seed)
    units = series_ids(X)
    split = GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=seed)
    train, test = next(split.split(X, groups=units))
    return Bunch(X_train=X.iloc[train], y_train=y[train], X_test=X.iloc[test], y_test=y[test])


# %%
# The protocol
# ------------
# Read FD001 (or, in quick mode without the data, a synthetic stand-in);
# pretrain one encoder per input normalisation on the training units without
# labels; finetune the predictor and head on the frozen encoder; score every
# test cycle beside the age and ridge floors, with h-AUROC and the RMSE of the
# expected time to event at each unit's last cycle.


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument(
        "--epochs", type=int, default=100, help="pretraining max_epochs (paper 100)"
    )
    parser.add_argument(
        "--finetune-epochs", type=int, default=50, help="finetuning max_epochs (paper 50)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        default=quick_default(),
        help="tiny budget for smoke tests; also set by SKTIME_HEPA_QUICK=1",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="write the numbers as JSON to this file")
    parser.add_argument("--verbose", action="store_true", help="print one line per epoch")
    args = parser.parse_args(argv)

    dataset = "C-MAPSS FD001"
    try:
        data = load_cmapss("FD001")
    except FileNotFoundError as exc:
        print(
            f"C-MAPSS FD001 not found under {get_data_home()} ({exc}).\n"
            "Set SKTIME_HEPA_DATA to the folder that contains cmapss/ to run this example"
            + ("; quick mode: running on a synthetic stand-in." if args.quick else "; skipping.")
        )
        if not args.quick:
            return 0
        data, dataset = synthetic_stand_in(args.seed), "synthetic stand-in (no C-MAPSS data)"

    if args.quick:
        arch = dict(d_model=32, n_heads=4, predictor_hidden=64)
        pre_epochs, ft_epochs, ft_stride = 2, 2, 4
    else:
        arch = {}  # the paper's: d_model=256, n_layers=2, n_heads=4, patch_size=16
        pre_epochs, ft_epochs, ft_stride = args.epochs, args.finetune_epochs, 1

    X_train, y_train, X_test, y_test = data.X_train, data.y_train, data.X_test, data.y_test
    last = last_rows(X_test)
    print(
        f"{dataset}: {len(np.unique(series_ids(X_train)))} training units "
        f"({len(X_train)} rows), {len(last)} test units ({len(X_test)} rows scored), "
        f"{X_train.shape[1]} sensors"
    )
    print(
        f"budget: pretraining max_epochs={pre_epochs}, finetuning max_epochs={ft_epochs} "
        f"(finetune stride {ft_stride}), K={K}, context_length=None, "
        f"architecture {arch or 'paper default'}{' [--quick]' if args.quick else ''}"
    )

    results = {
        "dataset": dataset,
        "n_rows_scored": int(len(X_test)),
        "n_test_units": int(len(last)),
        "horizons": K,
        "rul_cap": RUL_CAP,
        "seed": args.seed,
        "quick": bool(args.quick),
        "models": {},
    }
    surfaces = {}  # model name -> (n_test_rows, K) surface
    for normalization in NORMALIZATIONS:
        t0 = time.perf_counter()
        pretrainer = HEPAPretrainer(
            **arch,
            context_length=None,
            normalization=normalization,
            max_epochs=pre_epochs,
            device="auto",
            random_state=args.seed,
            verbose=int(args.verbose),
        ).fit(X_train)  # unlabeled: y is not used
        t1 = time.perf_counter()
        hepa = HEPAEventPredictor(
            FrozenEstimator(pretrainer),
            finetune="predictor",
            horizons=K,
            max_epochs=ft_epochs,
            stride=ft_stride,
            device="auto",
            random_state=args.seed,
            verbose=int(args.verbose),
        ).fit(X_train, y_train)
        t2 = time.perf_counter()
        surface = surfaces[f"HEPA pred-FT ({normalization})"] = hepa.predict_surface(X_test)
        results["models"][f"HEPA pred-FT ({normalization})"] = {
            **score(surface, y_test, last),
            "pretrain_epochs": len(pretrainer.history_),
            "pretrain_seconds": round(t1 - t0, 1),
            "finetune_epochs": len(hepa.history_),
            "finetune_seconds": round(t2 - t1, 1),
            "trained_parameters": hepa.n_parameters_["trained"],
            "device": str(hepa.net_.device),
        }
        print(
            f"  {normalization}: pretrained {len(pretrainer.history_)} epochs in {t1 - t0:.0f} s, "
            f"finetuned {len(hepa.history_)} epochs in {t2 - t1:.0f} s"
        )

    for name, baseline in {
        "AgeBaseline": AgeBaseline(horizons=K),
        "RidgeBaseline": RidgeBaseline(horizons=K),
    }.items():
        t0 = time.perf_counter()
        surface = surfaces[name] = baseline.fit(X_train, y_train).predict_surface(X_test)
        results["models"][name] = {
            **score(surface, y_test, last),
            "fit_seconds": round(time.perf_counter() - t0, 1),
        }

    print(
        f"\n{'model':<30} {'h-AUROC':>8} {'RMSE@last (cap 125)':>20} {'epochs':>8} {'seconds':>8}"
    )
    for name, r in results["models"].items():
        epochs = f"{r['pretrain_epochs']}+{r['finetune_epochs']}" if "pretrain_epochs" in r else "-"
        seconds = r.get("fit_seconds", r.get("pretrain_seconds", 0) + r.get("finetune_seconds", 0))
        print(
            f"{name:<30} {r['h_auroc']:>8.3f} {r['rmse_last_cycle_cap125']:>20.2f} "
            f"{epochs:>8} {seconds:>8.0f}"
        )
    print(
        f"h-AUROC over all {len(X_test)} test cycles, dt = 1..{K}; RMSE over the "
        f"{len(last)} last test cycles; epochs = pretraining+finetuning."
    )
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
        print(f"wrote {args.out}")
    plot_per_horizon(y_test, surfaces, dataset)
    return 0


def plot_per_horizon(y_test, surfaces, dataset) -> None:
    """AUROC at each horizon dt, one line per model (needs matplotlib, optional)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no figure)")
        return
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    for name, surface in surfaces.items():
        auroc = per_horizon_auroc(y_test, surface)  # (K,), NaN where a horizon is degenerate
        ax.plot(np.arange(1, len(auroc) + 1), auroc, label=name)
    ax.set(xlabel="horizon dt (cycles)", ylabel="AUROC, all test cycles", title=dataset)
    ax.legend(loc="lower right")
    plt.show()


# %%
# Run it
# ------
# Quick mode in the documentation build (``SKTIME_HEPA_QUICK=1``).

if __name__ == "__main__":
    # exit only on failure: sphinx-gallery runs this file in the docs build
    # process, where a SystemExit would end the build
    status = main()
    if status:
        sys.exit(status)
