"""What ``undo_pos_weight`` does to a surface: ranking, Brier, calibration, flags.

One HEPAEventPredictor on the synthetic run-to-failure set (40 units, 30 %
held out by unit, seed 0; d_model 64, 5 + 10 epochs, K = 50), its surface
scored with ``undo_pos_weight`` True and False, beside the age floor: h-AUROC,
Brier score and ECE over the known cells, and the share of test rows that
``predict`` flags at K against the true share with an event within K.

Usage::

    python -m benchmarks.pos_weight
"""

from __future__ import annotations

import warnings

from sklearn.model_selection import GroupShuffleSplit

from sktime_hepa import AgeBaseline, HEPAEventPredictor, HEPAPretrainer
from sktime_hepa.datasets import make_run_to_failure
from sktime_hepa.metrics import brier_score, expected_calibration_error, h_auroc_score
from sktime_hepa.panel import series_ids
from sktime_hepa.targets import horizon_labels

K = 50


def main():
    warnings.simplefilter("ignore")
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
        "undo_pos_weight=True": model.predict_surface(X.iloc[te]),
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
