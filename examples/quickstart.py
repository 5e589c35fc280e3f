"""
Quickstart: HEPA event surfaces on synthetic run-to-failure data
================================================================

Pretrain a HEPA encoder on training units without labels, finetune its
predictor and event head (pred-FT) into a surface
``p(t, dt) = P(event within dt steps | x_<=t)``, and score it on held-out units
beside its controls: the same network on a randomly initialised encoder (what
pretraining adds), the row's age in its series (``AgeBaseline``) and a ridge
regression on the row's sensors (``RidgeBaseline``). Run it from the
repository root::

    python examples/quickstart.py            # default budget, a few minutes on 2 CPU cores
    python examples/quickstart.py --quick    # tiny budget, about half a minute
    SKTIME_HEPA_QUICK=1 python examples/quickstart.py   # the same (the docs build sets it)

``device="auto"`` uses a CUDA GPU when torch sees one, else the CPU.
"""

# %%
# Settings
# --------
# Modest budgets for a CPU (the paper's are ``d_model=256``, 100 + 50 epochs).
# ``--quick`` (or ``SKTIME_HEPA_QUICK=1``, which the documentation build sets)
# picks the tiny one.

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GroupShuffleSplit

from sktime_hepa import AgeBaseline, HEPAEventPredictor, HEPAPretrainer, RidgeBaseline
from sktime_hepa.datasets import make_run_to_failure
from sktime_hepa.metrics import brier_score, h_auroc_score, per_horizon_auroc
from sktime_hepa.panel import series_ids

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
QUICK = os.environ.get("SKTIME_HEPA_QUICK", "").strip().lower() not in ("", "0", "false", "no")
parser = argparse.ArgumentParser(description="HEPA quickstart on synthetic data")
parser.add_argument("--quick", action="store_true", default=QUICK, help="tiny budget (~30 s)")
parser.add_argument("--seed", type=int, default=0)
args, _ = parser.parse_known_args()  # the docs build runs this file with its own argv
budget = BUDGETS["quick" if args.quick else "default"]
K = budget["horizons"]
start = time.perf_counter()

# %%
# Data: one row per (unit, cycle)
# -------------------------------
# ``X`` is a DataFrame indexed by (unit, cycle), one column per sensor; ``y``
# holds one ``(event, time)`` pair per row: whether the unit fails, and in
# how many steps (a scikit-survival ``Surv`` array reads the same). Rows of
# one unit share their history, so the split is by unit, never by row.

X, y = make_run_to_failure(budget["n_units"], random_state=args.seed)
units = series_ids(X)
split = GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=args.seed)
train, test = next(split.split(X, groups=units))
X_train, y_train, X_test, y_test = X.iloc[train], y[train], X.iloc[test], y[test]
print(
    f"data: synthetic run-to-failure, {len(np.unique(units[train]))} train units "
    f"({len(train)} rows), {len(np.unique(units[test]))} test units ({len(test)} rows), "
    f"{X.shape[1]} sensors"
)

# %%
# HEPA: pretrain without labels, then finetune the predictor and head
# ---------------------------------------------------------------------
# ``HEPAEventPredictor`` fits a clone of its ``pretrainer`` on X (the JEPA
# objective reads no label), freezes the encoder and trains the
# horizon-conditioned predictor and the event head on the labelled rows.
# ``context_length=None`` lets every row read its unit's whole history.

pretrainer = HEPAPretrainer(
    **budget["pretrainer"], context_length=None, device="auto", random_state=args.seed
)
hepa = HEPAEventPredictor(
    pretrainer, horizons=K, device="auto", random_state=args.seed, **budget["finetune"]
)
hepa.fit(X_train, y_train)
print(
    f"HEPA fit in {time.perf_counter() - start:.0f} s on {hepa.net_.device}: "
    f"{len(hepa.pretrainer_.history_)} pretraining + {len(hepa.history_)} finetuning epochs, "
    f"{hepa.n_parameters_['trained']:,} of {hepa.n_parameters_['total']:,} parameters trained"
)

# %%
# Controls on the same rows
# -------------------------
# A number means little alone: beside HEPA stand the same architecture,
# scaling and head on a random encoder (zero pretraining epochs, the control
# for what pretraining adds; it warns that it is untrained) and two trivial
# floors. h-AUROC averages the AUROC of every horizon ``dt = 1..K``.

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
print(f"h-AUROC on the {len(test)} test rows (dt = 1..{K}):")
for name, surface in surfaces.items():
    print(f"  {name:<15} {h_auroc_score(y_test, surface):.3f}")
stats = hepa.pretrainer_.collapse_stats_
print(
    f"HEPA's h_t: median cosine to the mean {stats['cos']:.3f}, effective rank "
    f"{stats['rank']:.1f} of {hepa.pretrainer_.d_model} (collapsed: cosine > 0.99)"
)

# %%
# One row of the surface, and probabilities on the data's scale
# -------------------------------------------------------------
# Each row of the surface is a CDF over the horizon: non-decreasing in ``dt``.
# The event head is trained with a positively weighted loss, which ranks well
# but shifts probabilities; by default (``probability="held_out"``) the
# surface is mapped back on the units the fit held out for early stopping, so
# ``predict_proba`` (the surface at ``horizon``, K by default) can be read as
# a probability. The Brier score compares the three scales.

ahead = 20 if K >= 50 else K // 2
rows = np.flatnonzero(y_test["event"] & (y_test["time"] == ahead))
if len(rows):
    row = rows[0]
    unit, cycle = X_test.index[row]
    dts = [dt for dt in (1, 5, 10, 20, 30, 50, 100) if dt <= K]
    print(f"surface row: unit {unit}, cycle {cycle}, failure in {ahead} cycles")
    print("  " + f"{'dt':<15}" + "".join(f"{dt:>7}" for dt in dts))
    for name, surface in surfaces.items():
        print("  " + f"{name:<15}" + "".join(f"{surface[row, dt - 1]:>7.2f}" for dt in dts))
for scale in ("weighted", "unweighted", "held_out"):  # read at prediction: no refit
    brier = brier_score(y_test, hepa.set_params(probability=scale).predict_surface(X_test))
    print(f"  Brier score of HEPA's surface, probability={scale!r}: {brier:.4f}")

# %%
# Few labels: what pretraining is for
# ------------------------------------
# Both encoders are reused frozen (HEPA's was pretrained on every training
# unit without labels, as in the paper's label-efficiency protocol); only the
# rows of ``n`` units keep their labels, the rest are unlabelled (censored at
# once: no known horizon). The head is refitted on them over a budget in
# optimiser steps (``min_steps``), because a handful of units make an epoch of
# one or two batches. ``pred_ratio`` is the pretraining's held-out error
# against the real future target over its error against another row's target
# (1: the predictor learned nothing to predict).

rng = np.random.default_rng(args.seed)
train_units = series_ids(X_train)
print("few labels: h-AUROC with the labels of n training units (same encoders, frozen)")
print(f"  {'n units':<8}{'HEPA':>8}{'random':>8}  pred_ratio of HEPA's pretraining")
for n in (2, 4):
    keep = np.isin(train_units, rng.choice(np.unique(train_units), n, replace=False))
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
            random_state=args.seed,
        ).fit(X_train, y_few)
        scores.append(h_auroc_score(y_test, head.predict_surface(X_test)))
    ratio = hepa.pretrainer_.prediction_reference_["ratio"]
    print(f"  {n:<8}{scores[0]:>8.3f}{scores[1]:>8.3f}  {ratio:.3f} (1 = predicts nothing)")
print(f"total {time.perf_counter() - start:.0f} s")

# %%
# AUROC per horizon
# -----------------
# Where along the horizon each model ranks rows well (NaN where a horizon has
# a single class among the test rows). Needs matplotlib.

try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print("(matplotlib is not installed: no figure)")
if plt is not None:
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    for name, surface in surfaces.items():
        auroc = per_horizon_auroc(y_test, surface)  # (K,)
        ax.plot(np.arange(1, len(auroc) + 1), auroc, label=name)
    ax.set(xlabel="horizon dt (steps)", ylabel="AUROC on the test rows", title="Per-horizon AUROC")
    ax.legend(loc="lower right")
    plt.show()
