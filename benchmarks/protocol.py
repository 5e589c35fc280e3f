"""The matched benchmark protocol: datasets, methods, budgets, label budgets.

Everything ``benchmarks.run`` varies lives here, as plain functions and tables,
so the report can state exactly what produced each record.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline

from sktime_hepa import (
    HEPAEventPredictor,
    HEPAPretrainer,
    ITransformerEncoder,
    MAEPretrainer,
    PatchTSTEncoder,
)
from sktime_hepa import datasets as ds
from sktime_hepa.baselines import AgeBaseline, RidgeBaseline, SurvivalForestBaseline
from sktime_hepa.panel import series_ids
from sktime_hepa.targets import SURVIVAL_DTYPE, horizon_labels

# ---------------------------------------------------------------------------
# datasets
# ---------------------------------------------------------------------------

#: name -> (loader, keyword arguments, kind). kind "rul" scores RMSE at the last
#: test cycle; "anomaly" scores PA-F1 and F1 at dt = 1; "threshold" only h-AUROC.
DATASETS = {
    "fd001": ("load_cmapss", {"subset": "FD001"}, "rul"),
    "fd002": ("load_cmapss", {"subset": "FD002"}, "rul"),
    "fd002-regime": ("load_cmapss", {"subset": "FD002", "scaling": "regime"}, "rul"),
    "smap": ("load_smap_msl", {"spacecraft": "SMAP"}, "anomaly"),
    "msl": ("load_smap_msl", {"spacecraft": "MSL"}, "anomaly"),
    "mba": ("load_mba", {}, "anomaly"),
    "batadal": ("load_batadal", {}, "anomaly"),
    "gecco": ("load_gecco", {}, "anomaly"),
    "tep": ("load_tep", {}, "anomaly"),
    "ettm1": ("load_ettm1", {}, "threshold"),
    "weather": ("load_weather", {}, "threshold"),
    "beijing": ("load_beijing_air", {}, "threshold"),
    "vix": ("load_vix", {}, "threshold"),
}


def load_dataset(name: str):
    """The loader's Bunch plus ``kind``, ``horizons`` and ``context_length``."""
    loader, kwargs, kind = DATASETS[name]
    bunch = getattr(ds, loader)(**kwargs)
    bunch.kind = kind
    if kind == "rul":
        bunch.horizons, bunch.context_length = 150, None  # whole engine history (paper D)
    return bunch


# ---------------------------------------------------------------------------
# budgets
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """Per-run training budget, sized so the full sweep fits ~6 h on 2 CPU cores.

    Epoch sizes are fixed in samples, not in rows: the stride of each
    estimator is chosen per dataset so that an epoch visits about
    ``*_samples`` anchors (rows are redrawn within their stride cell every
    epoch, so all rows are still seen over the epochs). Labelled training rows
    and scored test rows are thinned to every s-th step when a split has more
    than ``max_train_rows`` / ``max_test_rows`` rows.
    """

    pretrain_epochs: int = 8
    pretrain_samples: int = 1500
    pretrain_patience: int = 3
    head_epochs: int = 8
    head_samples: int = 1500
    head_patience: int = 3
    supervised_epochs: int = 4
    supervised_samples: int = 600
    supervised_patience: int = 2
    max_train_rows: int = 3000
    max_test_rows: int = 4000
    forest_trees: int = 100
    forest_rows: int = 4000
    # PatchTST encodes every sensor separately (C x the tokens of HEPA): its
    # default 128-wide, 3-layer size runs at ~9 rows/s on TEP's 52 sensors here
    patchtst_d_model: int = 64
    patchtst_layers: int = 2


BUDGETS = {
    "default": Budget(),
    # the budget-sensitivity check on FD001: ~2.5x the pretraining samples, 5x the
    # head samples, and (almost) every row
    "large": Budget(
        pretrain_epochs=20,
        pretrain_samples=3000,
        pretrain_patience=5,
        head_epochs=20,
        head_samples=3000,
        head_patience=5,
        supervised_epochs=10,
        supervised_samples=2000,
        supervised_patience=3,
        max_train_rows=12000,
        max_test_rows=14000,
        forest_rows=20000,
    ),
    # a smoke test of the whole pipeline in seconds (never reported)
    "smoke": Budget(1, 64, 1, 1, 64, 1, 1, 64, 1, 500, 500, 10, 300, 16, 1),
}


def stride_for(n_rows: int, samples: int) -> int:
    return max(1, math.ceil(n_rows / samples))


def thin_rows(groups, max_rows: int) -> tuple[np.ndarray, int]:
    """Every s-th row of each series (s chosen so at most ``max_rows`` stay)."""
    groups = np.asarray(groups)
    s = stride_for(len(groups), max_rows)
    new = np.r_[True, groups[1:] != groups[:-1]]
    pos = np.arange(len(groups)) - np.maximum.accumulate(np.where(new, np.arange(len(groups)), 0))
    return np.flatnonzero(pos % s == s - 1 if s > 1 else np.ones(len(groups), bool)), s


# ---------------------------------------------------------------------------
# label budgets
# ---------------------------------------------------------------------------

UNLABELLED = (False, 0.0)  # censored at once: no known horizon, no loss


def subsample_labels(y, groups, fraction: float, seed: int, *, horizons: int, n_blocks=20):
    """Keep the labels of a random ``fraction`` of the training data.

    With 20 or more series whole series are kept (C-MAPSS units, runs,
    channels); otherwise each series is cut into ``n_blocks`` chronological
    blocks and whole blocks are kept. Dropped rows become unlabelled
    (censored at time 0: no known horizon), so the encoders still see every
    row as context and the pretrainers still pretrain on all of X, as in the
    paper's label-efficiency protocol. Draws are repeated (same seed stream)
    until the kept rows hold both a positive and a negative cell.
    """
    y = np.asarray(y).copy()
    if fraction >= 1.0:
        return y, {"unit": "all"}
    groups = np.asarray(groups)
    ids, first = np.unique(groups, return_index=True)
    ids = ids[np.argsort(first)]
    if len(ids) >= 20:
        unit, cells = "series", [np.flatnonzero(groups == g) for g in ids]
    else:
        unit, cells = "blocks", []
        for g in ids:
            rows = np.flatnonzero(groups == g)
            cells += [c for c in np.array_split(rows, n_blocks) if len(c)]
    n_keep = max(1, round(fraction * len(cells)))
    rng = np.random.default_rng(seed)
    labels, known = horizon_labels(y, horizons)
    for _ in range(200):
        keep = rng.choice(len(cells), n_keep, replace=False)
        rows = np.concatenate([cells[k] for k in keep])
        pos = labels[rows][known[rows]]
        if pos.any() and not pos.all():
            break
    else:
        raise RuntimeError(f"no {fraction:.0%} label draw holds both classes")
    mask = np.ones(len(y), bool)
    mask[rows] = False
    y[mask] = np.array(UNLABELLED, dtype=SURVIVAL_DTYPE)
    return y, {"unit": unit, "kept": int(n_keep), "of": len(cells)}


# ---------------------------------------------------------------------------
# methods
# ---------------------------------------------------------------------------

SELF_SUPERVISED = {"hepa", "hepa_paper", "hepa_dtmlp", "mae"}
METHODS = ["hepa", "hepa_paper", "mae", "patchtst", "itransformer", "rsf", "ridge", "age"]
#: Diagnostics outside "all": HEPA's encoder under the baselines' dt-MLP head
#: separates the encoder's share of a gap from the head's.
EXTRA_METHODS = ["hepa_dtmlp"]


def pretrainer(method, data, budget: Budget, seed: int, n_rows: int):
    """The unfitted self-supervised encoder of a method (fitted once per seed)."""
    common = dict(
        context_length=data.context_length,
        max_epochs=budget.pretrain_epochs,
        patience=budget.pretrain_patience,
        stride=stride_for(n_rows, budget.pretrain_samples),
        random_state=seed,
    )
    if method == "mae":
        return MAEPretrainer(normalization="instance_stats", **common)
    normalization = "instance" if method == "hepa_paper" else "instance_stats"
    return HEPAPretrainer(normalization=normalization, max_horizon=data.horizons, **common)


def estimator(method, data, budget: Budget, seed: int, n_labelled: int, fitted_pretrainer=None):
    """The event-surface estimator of a method, ready for ``fit(X_train, y)``."""
    K = data.horizons
    head = dict(
        horizons=K,
        max_epochs=budget.head_epochs,
        patience=budget.head_patience,
        stride=stride_for(n_labelled, budget.head_samples),
        random_state=seed,
    )
    if method in ("hepa", "hepa_paper"):
        return HEPAEventPredictor(pretrainer=FrozenEstimator(fitted_pretrainer), **head)
    if method in ("mae", "hepa_dtmlp"):
        return Pipeline(
            [
                ("encode", FrozenEstimator(fitted_pretrainer)),
                ("events", HEPAEventPredictor(head="dt_mlp", **head)),
            ]
        )
    if method in ("patchtst", "itransformer"):
        context = data.context_length
        if method == "patchtst":
            cls = PatchTSTEncoder
            size = dict(d_model=budget.patchtst_d_model, n_layers=budget.patchtst_layers, n_heads=4)
        else:
            cls, size = ITransformerEncoder, {}
            if context is None:
                context = 512  # a fixed window; every C-MAPSS history fits
        encoder = cls(
            **size,
            context_length=context,
            horizons=K,
            max_epochs=budget.supervised_epochs,
            patience=budget.supervised_patience,
            stride=stride_for(n_labelled, budget.supervised_samples),
            random_state=seed,
        )
        return Pipeline(
            [("encode", encoder), ("events", HEPAEventPredictor(head="dt_mlp", **head))]
        )
    if method == "rsf":
        return SurvivalForestBaseline(
            horizons=K,
            n_estimators=budget.forest_trees,
            max_rows=budget.forest_rows,
            random_state=seed,
        )
    if method == "ridge":
        return RidgeBaseline(horizons=K)
    if method == "age":
        return AgeBaseline(horizons=K)
    raise ValueError(f"unknown method {method!r}; choose from {METHODS}")


def predict_surface(model, X):
    """Surface of an estimator or of an encoder -> event Pipeline."""
    if isinstance(model, Pipeline):
        return model[-1].predict_surface(model[:-1].transform(X))
    return model.predict_surface(X)


def epochs_run(model) -> dict:
    """Epochs trained per stage and whether each stopped early."""
    out = {}
    stages = [("head", model)]
    if isinstance(model, Pipeline):
        stages = [("encoder", model[0]), ("head", model[-1])]
    for name, est in stages:
        est = getattr(est, "estimator", est)  # FrozenEstimator
        hist = getattr(est, "history_", None)
        if hist is not None and hasattr(est, "max_epochs"):
            n = len(hist)
            out[name] = {"epochs": n, "max_epochs": est.max_epochs, "early": n < est.max_epochs}
    return out


def budget_dict(budget: Budget) -> dict:
    return asdict(budget)


__all__ = [
    "BUDGETS",
    "DATASETS",
    "METHODS",
    "EXTRA_METHODS",
    "SELF_SUPERVISED",
    "Budget",
    "budget_dict",
    "epochs_run",
    "estimator",
    "load_dataset",
    "predict_surface",
    "pretrainer",
    "series_ids",
    "stride_for",
    "subsample_labels",
    "thin_rows",
]
