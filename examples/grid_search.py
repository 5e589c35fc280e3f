"""
Model selection with HEPA: grid search over a frozen pretrainer, and a Pipeline
===============================================================================

Part 1 pretrains ONE encoder on the unlabeled training series, wraps it in
``sklearn.frozen.FrozenEstimator`` and grid-searches the downstream settings of
``HEPAEventPredictor`` on top of it: ``GridSearchCV`` clones the event
predictor for every candidate and fold, but a FrozenEstimator is never refitted,
so the (expensive) pretraining happens once.

Part 2 shows the same model as a two-step pipeline,
``make_pipeline(HEPAPretrainer(), HEPAEventPredictor())``, under
``cross_validate``. There the encoder is pretrained again inside every fold,
which is the honest protocol when the pretraining data must not include the
validation series.

THE CROSS-VALIDATION TRAP. Always pass a grouped splitter with
``groups=series_ids(X)``, never an integer: ``EventGroupKFold`` (whole series,
stratified so that every fold holds series with an event; with heavy
censoring a plain ``GroupKFold`` can leave a fold without one, where the
scores are NaN) or ``GroupKFold``. HEPAEventPredictor is a classifier
and its structured (event, time) y looks "multiclass" to scikit-learn
(``type_of_target(y) == "multiclass"``), so ``cv=3`` silently becomes a
``StratifiedKFold`` over the (event, time) pairs: rows of one series land in
different folds, a validation row's neighbours (whose contexts overlap it almost
entirely) sit in the training fold, and the score is inflated by leakage.
Grouping by series keeps every series whole on one side of each split.
Run it from the repository root::

    python examples/grid_search.py          # about a minute on 2 CPU cores
    python examples/grid_search.py --quick  # tiny models (or SKTIME_HEPA_QUICK=1)
"""

# %%
# Settings
# --------
# A small budget so the whole example runs in about a minute on a CPU;
# ``--quick`` (or ``SKTIME_HEPA_QUICK=1``, set by the documentation build) uses
# tiny models.

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, GroupShuffleSplit, cross_validate

from sktime_hepa import HEPAEventPredictor, HEPAPretrainer, make_pipeline
from sktime_hepa.datasets import make_run_to_failure
from sktime_hepa.metrics import h_auroc_scorer, make_survival_scorer
from sktime_hepa.model_selection import EventGroupKFold
from sktime_hepa.panel import series_ids

SEED = 0
BUDGETS = {
    # a small budget so the whole example runs in about a minute on a CPU
    "default": dict(
        n_units=30,
        pretrain=dict(
            d_model=32, n_heads=4, predictor_hidden=64, context_length=None, max_epochs=5
        ),
        finetune=dict(horizons=50, max_epochs=5),  # horizons dt = 1..50
    ),
    # tiny models for smoke runs and the docs build
    "quick": dict(
        n_units=18,
        pretrain=dict(
            d_model=16, n_heads=2, predictor_hidden=16, context_length=None, max_epochs=2
        ),
        finetune=dict(horizons=20, max_epochs=2),
    ),
}


QUICK = os.environ.get("SKTIME_HEPA_QUICK", "").strip().lower() not in ("", "0", "false", "no")
parser = argparse.ArgumentParser(description="Model selection with HEPA")
parser.add_argument("--quick", action="store_true", default=QUICK, help="tiny models")
args, _ = parser.parse_known_args()  # the docs build runs this file with its own argv
budget = BUDGETS["quick" if args.quick else "default"]
pretrain_params = dict(**budget["pretrain"], patience=3)
finetune_params = dict(**budget["finetune"], patience=3)
start = time.perf_counter()

# %%
# Data, and the splitter
# ----------------------
# Whole units are held out for a final test; model selection sees only the
# rest. ``groups`` gives every row the unit it belongs to, and the splitter
# keeps units whole (never ``cv=3``: see the trap above).

X, y = make_run_to_failure(budget["n_units"], random_state=SEED)
units = series_ids(X)
train, test = next(
    GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=SEED).split(X, groups=units)
)
X_train, y_train, X_test, y_test = X.iloc[train], y[train], X.iloc[test], y[test]
groups = series_ids(X_train)
cv = EventGroupKFold(n_splits=3)
print(
    f"data: {len(np.unique(groups))} training units ({len(X_train)} rows), "
    f"{len(np.unique(units[test]))} test units ({len(X_test)} rows)"
)

# %%
# Part 1: one frozen pretrainer, a grid over the downstream settings
# ------------------------------------------------------------------
# Pretraining needs no labels; it sees the training units only (never the
# test units). The folds share this encoder, which is fine for an unlabeled,
# self-supervised step (pretrain inside the folds, as in part 2, when even
# that is not acceptable).

t0 = time.perf_counter()
pretrainer = HEPAPretrainer(**pretrain_params, device="auto", random_state=SEED).fit(X_train)
print(f"pretrained once in {time.perf_counter() - t0:.0f} s")
search = GridSearchCV(
    HEPAEventPredictor(
        pretrainer=FrozenEstimator(pretrainer),
        **finetune_params,
        device="auto",
        random_state=SEED,
    ),
    param_grid={"lr": [1e-3, 3e-3], "finetune": ["predictor", "probe"]},
    scoring=h_auroc_scorer,
    cv=cv,
)
t0 = time.perf_counter()
search.fit(X_train, y_train, groups=groups)
print(f"grid search (4 candidates x 3 folds + refit) in {time.perf_counter() - t0:.0f} s")
table = pd.DataFrame(search.cv_results_)[
    ["param_finetune", "param_lr", "mean_test_score", "std_test_score", "rank_test_score"]
].sort_values("rank_test_score")
print(table.to_string(index=False, float_format="%.3f"))
print(f"best: {search.best_params_}, CV h-AUROC {search.best_score_:.3f}")
# the refitted best estimator reuses the same frozen encoder
print(f"held-out test h-AUROC: {h_auroc_scorer(search.best_estimator_, X_test, y_test):.3f}")

# %%
# Part 2: the Pipeline form, pretrained inside every fold
# -------------------------------------------------------
# ``HEPAPretrainer.transform`` feeds embeddings ``h_t`` to
# ``HEPAEventPredictor``, which recognises them and trains a new predictor and
# event head on them. Beside h-AUROC, Uno's IPCW AUC
# (``make_survival_scorer``) weighs censored rows by the censoring
# distribution of each fold's own training targets (``y_train="fit"``, the
# default), as scikit-survival's scorer wrappers do.

pipe = make_pipeline(
    HEPAPretrainer(**pretrain_params, device="auto", random_state=SEED),
    HEPAEventPredictor(**finetune_params, device="auto", random_state=SEED),
)
scoring = {"h_auroc": h_auroc_scorer}
try:
    import sksurv  # noqa: F401  (the IPCW metrics need scikit-survival)

    scoring["uno_auc"] = make_survival_scorer("time_dependent_auc")
except ImportError:
    print("(scikit-survival is not installed: h-AUROC only)")
t0 = time.perf_counter()
scores = cross_validate(pipe, X_train, y_train, groups=groups, cv=cv, scoring=scoring)
print(f"Pipeline, cross_validate with EventGroupKFold(3) in {time.perf_counter() - t0:.0f} s:")
for name in scoring:
    per_fold = scores[f"test_{name}"]
    print(f"  {name}: per fold {np.round(per_fold, 3).tolist()}, mean {per_fold.mean():.3f}")
print(f"total {time.perf_counter() - start:.0f} s")

# %%
# The scores
# ----------
# The grid's mean CV score per candidate, and the pipeline's score per fold.
# Needs matplotlib.

try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print("(matplotlib is not installed: no figure)")
if plt is not None:
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=(8, 3.4), layout="constrained", gridspec_kw=dict(width_ratios=[2, 1])
    )
    labels = [
        f"{f}\nlr={lr:g}" for f, lr in zip(table["param_finetune"], table["param_lr"], strict=True)
    ]
    ax1.bar(labels, table["mean_test_score"], yerr=table["std_test_score"], capsize=4)
    ax1.set(ylabel="CV h-AUROC (EventGroupKFold)", title="Part 1: grid search, frozen encoder")
    fold_scores = scores["test_h_auroc"]
    ax2.bar([f"fold {i}" for i in range(len(fold_scores))], fold_scores)
    ax2.set(title="Part 2: Pipeline, per fold")
    for ax in (ax1, ax2):
        ax.set_ylim(0, 1)
    plt.show()
