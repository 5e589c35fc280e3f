"""
Quickstart: HEPA event surfaces on synthetic run-to-failure data
================================================================

Pretrains a HEPA encoder on the training units (no labels), finetunes the
predictor and event head (pred-FT) into a surface p(t, dt) = P(event within dt
steps | x_<=t), and scores it on held-out units beside its controls: the same
network on a randomly initialised encoder (zero pretraining epochs: what
pretraining adds), the row's age in its series (AgeBaseline) and a ridge
regression on the row's raw sensors (RidgeBaseline). Every h-AUROC here is on the same test rows.
Run it from the repository root::

    python examples/quickstart.py            # default budget, a few minutes on 2 CPU cores
    python examples/quickstart.py --quick    # tiny budget, about half a minute
    SKTIME_HEPA_QUICK=1 python examples/quickstart.py   # the same (the docs build sets it)

``device="auto"`` uses a CUDA GPU when torch sees one, else the CPU.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GroupShuffleSplit

from sktime_hepa import AgeBaseline, HEPAEventPredictor, HEPAPretrainer, RidgeBaseline
from sktime_hepa.datasets import make_run_to_failure
from sktime_hepa.metrics import h_auroc_score, per_horizon_auroc
from sktime_hepa.panel import series_ids

# Modest budgets for a CPU (the paper's are d_model=256, 100 + 50 epochs).
BUDGETS = {
    "default": dict(
        n_units=60,
        horizons=100,
        pretrainer=dict(d_model=128, n_heads=4, predictor_hidden=192, max_epochs=30),
        finetune=dict(max_epochs=20),
    ),
    "quick": dict(
        n_units=30,
        horizons=50,
        pretrainer=dict(d_model=64, n_heads=4, predictor_hidden=128, max_epochs=5),
        finetune=dict(max_epochs=5),
    ),
}


def quick_default() -> bool:
    """Whether SKTIME_HEPA_QUICK asks for quick mode (set, and not 0/false/no)."""
    return os.environ.get("SKTIME_HEPA_QUICK", "").strip().lower() not in ("", "0", "false", "no")


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        default=quick_default(),
        help="tiny budget (~30 s smoke run); also set by SKTIME_HEPA_QUICK=1",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    budget = BUDGETS["quick" if args.quick else "default"]
    K = budget["horizons"]

    # --- data: one row per (unit, cycle); y = (event, time-to-event) per row
    X, y = make_run_to_failure(budget["n_units"], random_state=args.seed)
    units = series_ids(X)
    # split by unit: rows of one unit share their history and must not straddle the split
    split = GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=args.seed)
    train, test = next(split.split(X, groups=units))
    X_train, y_train, X_test, y_test = X.iloc[train], y[train], X.iloc[test], y[test]
    print(
        f"data: synthetic run-to-failure, {len(np.unique(units[train]))} train units "
        f"({len(train)} rows), {len(np.unique(units[test]))} test units ({len(test)} rows), "
        f"{X.shape[1]} sensors"
    )

    # --- HEPA: pretrain (unlabeled) + pred-FT finetune, full history as context
    pretrainer = HEPAPretrainer(
        **budget["pretrainer"], context_length=None, device="auto", random_state=args.seed
    )
    hepa = HEPAEventPredictor(
        pretrainer,
        finetune="predictor",
        horizons=K,
        device="auto",
        random_state=args.seed,
        **budget["finetune"],
    )
    print(
        f"budget: K={K}, pretrainer {budget['pretrainer']}, context_length=None, "
        f"finetune {budget['finetune']}"
    )
    start = time.perf_counter()
    hepa.fit(X_train, y_train)
    fit_s = time.perf_counter() - start
    print(
        f"HEPA fit in {fit_s:.0f} s on {hepa.net_.device}: "
        f"{len(hepa.pretrainer_.history_)} pretraining + {len(hepa.history_)} finetuning epochs, "
        f"{hepa.n_parameters_['trained']:,} of {hepa.n_parameters_['total']:,} parameters trained"
    )

    # --- the controls, on the same split and rows: what pretraining adds (the same
    # architecture, scaling and head on a random encoder) and the two trivial floors
    random_encoder = HEPAEventPredictor(
        HEPAPretrainer(
            **{**budget["pretrainer"], "max_epochs": 0},
            context_length=None,
            device="auto",
            random_state=args.seed,
        ),
        horizons=K,
        device="auto",
        random_state=args.seed,
        **budget["finetune"],
    ).fit(X_train, y_train)
    models = {
        "HEPA (pred-FT)": hepa,
        "random encoder": random_encoder,
        "AgeBaseline": AgeBaseline(horizons=K).fit(X_train, y_train),
        "RidgeBaseline": RidgeBaseline(horizons=K).fit(X_train, y_train),
    }
    surfaces = {name: model.predict_surface(X_test) for name, model in models.items()}

    print(f"\nh-AUROC on the {len(test)} test rows (dt = 1..{K}):")
    for name, surface in surfaces.items():
        print(f"  {name:<15} {h_auroc_score(y_test, surface):.3f}")
    stats = hepa.pretrainer_.collapse_stats_
    print(
        f"HEPA's h_t: median cosine to the mean {stats['cos']:.3f}, effective rank "
        f"{stats['rank']:.1f} of {hepa.pretrainer_.d_model} (collapsed: cosine > 0.99)"
    )

    # --- one surface row: a failing test unit, some cycles before its failure
    ahead = 20 if K >= 50 else K // 2
    rows = np.flatnonzero(y_test["event"] & (y_test["time"] == ahead))
    if len(rows):
        row = rows[0]
        unit, cycle = X_test.index[row]
        dts = [dt for dt in (1, 5, 10, 20, 30, 50, 100) if dt <= K]
        print(
            f"\nsurface row: unit {unit}, cycle {cycle}, failure in {ahead} cycles "
            "(P(event within dt))"
        )
        print("  " + f"{'dt':<15}" + "".join(f"{dt:>7}" for dt in dts))
        for name, surface in surfaces.items():
            print("  " + f"{name:<15}" + "".join(f"{surface[row, dt - 1]:>7.2f}" for dt in dts))
    few_labels(hepa, random_encoder, X_train, y_train, X_test, y_test, K, budget, args.seed)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")
    plot_per_horizon(y_test, surfaces)


def few_labels(hepa, random_encoder, X_train, y_train, X_test, y_test, K, budget, seed):
    """What pretraining adds when only a few training units carry labels.

    Both encoders are reused frozen (HEPA's was pretrained on every training
    unit without labels, as in the paper's label-efficiency protocol); only
    the rows of ``n`` units keep their labels, the rest are unlabelled
    (censored at once: no known horizon). The pred-FT head is refitted on
    them, over a budget in optimiser steps (``min_steps``), because a handful
    of units make an epoch of one or two batches.
    """
    units = series_ids(X_train)
    rng = np.random.default_rng(seed)
    print("\nfew labels: h-AUROC with the labels of n training units (same encoders, frozen)")
    print(f"  {'n units':<8}{'HEPA':>8}{'random':>8}  pred_ratio of HEPA's pretraining")
    for n in (2, 4):
        keep = np.isin(units, rng.choice(np.unique(units), n, replace=False))
        y_few = y_train.copy()
        y_few[~keep] = np.array((False, 0.0), dtype=y_few.dtype)  # unlabelled rows
        scores = []
        for model in (hepa, random_encoder):
            head = HEPAEventPredictor(
                FrozenEstimator(model.pretrainer_),
                horizons=K,
                max_epochs=10 * budget["finetune"]["max_epochs"],
                min_steps=100,
                device="auto",
                random_state=seed,
            ).fit(X_train, y_few)
            scores.append(h_auroc_score(y_test, head.predict_surface(X_test)))
        ratio = hepa.pretrainer_.prediction_reference_["ratio"]
        print(f"  {n:<8}{scores[0]:>8.3f}{scores[1]:>8.3f}  {ratio:.3f} (1 = predicts nothing)")


def plot_per_horizon(y_test, surfaces) -> None:
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
    ax.set(xlabel="horizon dt (steps)", ylabel="AUROC on the test rows", title="Per-horizon AUROC")
    ax.legend(loc="lower right")
    plt.show()


if __name__ == "__main__":
    main()
