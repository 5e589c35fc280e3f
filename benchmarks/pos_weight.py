"""What ``undo_pos_weight`` does to a surface: ranking, Brier, calibration, flags.

One HEPAEventPredictor on the synthetic run-to-failure set (40 units, 30 %
held out by unit, seed 0; d_model 64, 5 + 10 epochs, K = 50), its surface
scored with ``undo_pos_weight`` True and False, beside the age floor: h-AUROC,
Brier score and ECE over the known cells, and the share of test rows that
``predict`` flags at K against the true share with an event within K.

With ``--dataset fd001`` (or another benchmark dataset) the same comparison
runs on the matched protocol's HEPA at the ``default`` budget and 100 %
labels (seed 0): Brier score and flagged share at the horizon K.

Usage::

    python -m benchmarks.pos_weight
    python -m benchmarks.pos_weight --dataset fd001
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.model_selection import GroupShuffleSplit

from sktime_hepa import AgeBaseline, HEPAEventPredictor, HEPAPretrainer
from sktime_hepa.datasets import make_run_to_failure
from sktime_hepa.metrics import brier_score, expected_calibration_error, h_auroc_score
from sktime_hepa.panel import series_ids
from sktime_hepa.targets import horizon_labels

K = 50


def benchmark_dataset(name: str, seed: int = 0) -> None:
    """HEPA of the matched protocol on a shared dataset, both surfaces beside the age floor."""
    from .protocol import BUDGETS, estimator, predict_surface
    from .run import fit_pretrainer, labelled_target, prepare

    budget = BUDGETS["default"]
    data = prepare(name, budget)
    fitted, _ = fit_pretrainer("hepa", data, budget, seed)
    y_fit, _, n_labelled, _ = labelled_target(data, seed, 1.0, budget)
    model = estimator("hepa", data, budget, seed, n_labelled, fitted).fit(data.X_train, y_fit)
    age = estimator("age", data, budget, seed, n_labelled).fit(data.X_train, y_fit)
    rows = data.test_rows
    y = data.y_test[rows]
    K = data.horizons
    labels, known = horizon_labels(y, K)
    at_k = known[:, -1]
    truth = labels[at_k, -1]
    surfaces = {
        "undo_pos_weight=True": model.set_params(undo_pos_weight=True).predict_surface(
            data.X_test, rows=rows
        ),
        "undo_pos_weight=False": model.set_params(undo_pos_weight=False).predict_surface(
            data.X_test, rows=rows
        ),
        "AgeBaseline": predict_surface(age, data.X_test)[rows],
    }
    print(
        f"{name}: pos_weight_ = {model.pos_weight_:.2f}; K = {K}; true share with an event "
        f"within K: {truth.mean():.3f} ({at_k.sum()} known test rows)"
    )
    print("| surface | h-AUROC | Brier at K | flagged at K |")
    print("|---|---|---|---|")
    for label, s in surfaces.items():
        p = s[at_k, -1].astype(float)
        print(
            f"| {label} | {h_auroc_score(y, s):.4f} | {np.mean((p - truth) ** 2):.4f} | "
            f"{(p > 0.5).mean():.3f} |"
        )


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=None, help="a benchmark dataset (e.g. fd001)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    if args.dataset:
        benchmark_dataset(args.dataset)
        return
    X, y = make_run_to_failure(40, random_state=0)
    split = GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=0)
    tr, te = next(split.split(X, groups=series_ids(X)))
    pre = HEPAPretrainer(
        d_model=64,
        n_heads=4,
        predictor_hidden=96,
        context_length=None,
        max_epochs=5,
        random_state=0,
    )
    model = HEPAEventPredictor(pre, horizons=K, max_epochs=10, random_state=0)
    model.fit(X.iloc[tr], y[tr])
    labels, known = horizon_labels(y[te], K)
    at_k = known[:, -1]
    print(
        f"pos_weight_ = {model.pos_weight_:.2f}; true share with an event within K: "
        f"{labels[at_k, -1].mean():.3f}"
    )
    rows = {
        "undo_pos_weight=True": model.set_params(undo_pos_weight=True).predict_surface(X.iloc[te]),
        "undo_pos_weight=False": model.set_params(undo_pos_weight=False).predict_surface(
            X.iloc[te]
        ),
        "AgeBaseline": AgeBaseline(horizons=K).fit(X.iloc[tr], y[tr]).predict_surface(X.iloc[te]),
    }
    print("| surface | h-AUROC | Brier | ECE | flagged at K |")
    print("|---|---|---|---|---|")
    for name, s in rows.items():
        print(
            f"| {name} | {h_auroc_score(y[te], s):.4f} | {brier_score(y[te], s):.4f} | "
            f"{expected_calibration_error(y[te], s):.4f} | {(s[at_k, -1] > 0.5).mean():.3f} |"
        )


if __name__ == "__main__":
    main()
