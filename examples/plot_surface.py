"""
Plotting event surfaces, their scores and the embeddings
========================================================

Fits a small HEPA model on synthetic run-to-failure units (the pretrainer
without labels, then the predictor and event head on the labelled units) beside
two baselines, and draws every Display of :mod:`sktime_hepa.plotting` on the
held-out units: the surface ``p(t, dt)`` of one unit with its failure marked,
the per-horizon AUROC of the three models, a reliability diagram per horizon,
the PCA trajectories of the embeddings over the units' lives (the paper's
Fig. 3b), and h-AUROC against the fraction of labelled training units.

The figures are saved as PNG files in ``--out``, else in the directory named by
the environment variable ``SKTIME_HEPA_PLOT_DIR``, else in a new temporary
directory::

    python examples/plot_surface.py --quick        # tiny budget, well under a minute
    python examples/plot_surface.py --out figures  # default budget, a few minutes on a CPU

Needs matplotlib: ``pip install "sktime_hepa[plot]"``.
"""

# %%
# Settings
# --------
# Two budgets: ``--quick`` (or ``SKTIME_HEPA_QUICK=1``, which the documentation
# build sets) is well under a minute on a CPU.

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GroupShuffleSplit

from sktime_hepa import AgeBaseline, HEPAEventPredictor, HEPAPretrainer, RidgeBaseline
from sktime_hepa.datasets import make_run_to_failure
from sktime_hepa.metrics import h_auroc_score
from sktime_hepa.panel import series_ids
from sktime_hepa.plotting import (
    EmbeddingTrajectoryDisplay,
    HorizonAUROCDisplay,
    LabelEfficiencyDisplay,
    ReliabilityDisplay,
    SurfaceDisplay,
)

BUDGETS = {
    "default": dict(
        data=dict(n_units=40, n_sensors=6, min_life=80, max_life=160),
        horizons=40,
        pretrainer=dict(d_model=32, n_heads=4, n_layers=2, predictor_hidden=64, max_epochs=10),
        finetune=dict(max_epochs=40),
        fractions=[0.1, 0.25, 0.5, 1.0],
        seeds=[0, 1, 2],
    ),
    "quick": dict(
        data=dict(n_units=24, n_sensors=4, min_life=40, max_life=80),
        horizons=20,
        pretrainer=dict(d_model=16, n_heads=2, n_layers=1, predictor_hidden=16, max_epochs=3),
        finetune=dict(max_epochs=20),
        fractions=[0.25, 0.5, 1.0],
        seeds=[0, 1],
    ),
}


PARSER = argparse.ArgumentParser(description="Draw the sktime_hepa.plotting Displays.")
PARSER.add_argument(
    "--quick",
    action="store_true",
    default=os.environ.get("SKTIME_HEPA_QUICK", "").strip().lower() not in ("", "0", "false", "no"),
    help="tiny budget (well under a minute)",
)
PARSER.add_argument("--out", default=None, help="directory for the PNG files")
PARSER.add_argument("--seed", type=int, default=0)
args, _ = PARSER.parse_known_args()  # the docs build runs this file with its own argv
budget = BUDGETS["quick" if args.quick else "default"]
K = budget["horizons"]
out = Path(args.out or os.environ.get("SKTIME_HEPA_PLOT_DIR") or tempfile.mkdtemp(prefix="hepa_"))
out.mkdir(parents=True, exist_ok=True)
start = time.perf_counter()
figures = {}

# %%
# Data and models
# ---------------
# One row per (unit, cycle), split by unit so that no unit straddles the
# split. The pretrainer is fitted once, without labels, and frozen
# (``FrozenEstimator``); each event predictor trains its predictor and head on
# it (pred-FT). Two baselines stand beside it.

X, y = make_run_to_failure(**budget["data"], n_conditions=1, random_state=args.seed)
units = series_ids(X)
split = GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=args.seed)
train, test = next(split.split(X, groups=units))
X_train, y_train, X_test, y_test = X.iloc[train], y[train], X.iloc[test], y[test]
test_units = series_ids(X_test)

settings = dict(context_length=32, patch_size=4, device="auto", random_state=args.seed)
pretrainer = HEPAPretrainer(**budget["pretrainer"], **settings).fit(X_train)
frozen = FrozenEstimator(pretrainer)


def hepa(seed=args.seed):
    """A pred-FT event predictor on the frozen pretrainer."""
    return HEPAEventPredictor(
        frozen, horizons=K, device="auto", random_state=seed, **budget["finetune"]
    )


models = {
    "HEPA": hepa().fit(X_train, y_train),
    "AgeBaseline": AgeBaseline(horizons=K).fit(X_train, y_train),
    "RidgeBaseline": RidgeBaseline(horizons=K).fit(X_train, y_train),
}

# %%
# The surface of one failing unit
# -------------------------------
# Colour is ``p(event within dt of t)``: each column (a time t) is a CDF over
# the horizon, and the surface should brighten towards the failure (marked).

unit = test_units[y_test["event"]][0]
figures["surface"] = SurfaceDisplay.from_estimator(
    models["HEPA"], X_test, y_test, series=unit
).figure_

# %%
# AUROC per horizon
# -----------------
# How well each model ranks the test rows at every horizon ``dt``; h-AUROC is
# their mean.

figures["horizon_auroc"] = HorizonAUROCDisplay.from_estimator(models, X_test, y_test).figure_

# %%
# Reliability
# -----------
# Predicted probability against the observed event frequency at four
# horizons, each with its ECE (the diagonal is perfect calibration).

figures["reliability"] = ReliabilityDisplay.from_estimator(
    models["HEPA"], X_test, y_test, horizons=[1, K // 4, K // 2, K]
).figure_

# %%
# Embedding trajectories
# ----------------------
# The first two principal components of the pretrained ``h_t`` of four test
# units over their lives, coloured by the steps left to the failure (or to the
# end of observation): the paper's Fig. 3b.

shown = list(dict.fromkeys(test_units))[:4]
figures["embedding_trajectory"] = EmbeddingTrajectoryDisplay.from_estimator(
    pretrainer, X_test, series=shown, y=y_test, color_by="time_to_event"
).figure_

# %%
# Label efficiency
# ----------------
# The head trained on a fraction of the training units' labels (the frozen
# pretrainer saw all of them, without labels), over seeds.

train_units = np.unique(series_ids(X_train))
fractions, seeds = budget["fractions"], budget["seeds"]
scores = np.full((len(fractions), len(seeds)), np.nan)
for j, seed in enumerate(seeds):
    order = np.random.default_rng(seed).permutation(train_units)
    for i, fraction in enumerate(fractions):
        keep = np.isin(series_ids(X_train), order[: max(2, round(fraction * len(order)))])
        model = hepa(seed).fit(X_train[keep], y_train[keep])
        scores[i, j] = h_auroc_score(y_test, model.predict_surface(X_test))
figures["label_efficiency"] = LabelEfficiencyDisplay.from_values(
    fractions, {"HEPA (pred-FT)": scores}, dataset="synthetic"
).figure_

# %%
# The figures as files
# --------------------

for name, figure in figures.items():
    figure.savefig(out / f"{name}.png", dpi=100, bbox_inches="tight")
print(f"{len(figures)} figures in {out} ({time.perf_counter() - start:.0f} s):")
for name in figures:
    print(f"  {name}.png")
