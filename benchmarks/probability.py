"""HEPA's probability scales (``probability=``) on test data, beside the age floor.

The positively weighted survival BCE ranks well but shifts the odds of every
cell. ``HEPAEventPredictor(probability=...)`` maps each horizon of the trained
surface by an increasing function (rankings kept): "weighted" (as trained,
the paper's), "unweighted" (odds divided by ``pos_weight_``, the theory) or
"held_out" (Platt scaling whose slope and intercept are quadratic in log dt,
fitted on the series the fit held out for early stopping; the default), and
beside it the same map at other degrees in log dt (``held_out_degree0``: one
map for every horizon; 1; 3), refitted on the same held-out rows. For
each (dataset, seed) HEPA is fitted once as ``benchmarks.run`` fits it
(method ``hepa``, 100 % labels, ``default`` budget) and its test surface is
scored under each scale, with the age floor beside it: h-AUROC, ECE and Brier
over every known cell, and at the horizon K (what ``predict_proba`` answers
by default) the Brier score and the share of rows ``predict`` flags against
the true share with an event within K. One record per (dataset, seed, scale)
in ``benchmarks/results/probability.jsonl``; ``--figure`` also draws the
reliability diagram of each scale (``docs/figures/probability_<dataset>.png``).

Without ``--dataset`` it runs on the synthetic run-to-failure set (seconds;
printed, not recorded).

Usage::

    python -m benchmarks.probability --dataset fd001 --seeds 0 1 2 --figure
    python -m benchmarks.probability            # synthetic, printed only
"""

from __future__ import annotations

import argparse
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from sktime_hepa import __version__
from sktime_hepa.metrics import brier_score, expected_calibration_error, h_auroc_score
from sktime_hepa.targets import horizon_labels

from .protocol import BUDGETS, DATASETS, budget_dict, estimator
from .run import RESULTS, append_record, done_runs, fit_pretrainer, git_commit, labelled_target

OUT = RESULTS.with_name("probability.jsonl")
FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"
SCALES = ("weighted", "unweighted", "held_out")


def score_surface(y, surface) -> dict:
    """Whole-surface and at-K statistics of one surface against the test target."""
    K = surface.shape[1]
    labels, known = horizon_labels(y, K)
    at_k = known[:, -1]
    truth, p = labels[at_k, -1], surface[at_k, -1].astype(np.float64)
    return {
        "h_auroc": h_auroc_score(y, surface),
        "ece": expected_calibration_error(y, surface),
        "brier": brier_score(y, surface),
        "brier_at_k": float(np.mean((p - truth) ** 2)),
        "flagged_at_k": float(np.mean(p > 0.5)),
        "true_at_k": float(truth.mean()),
        "n_known_at_k": int(at_k.sum()),
    }


#: Other degrees (in log dt) of the held-out map, refitted on the same held-out rows:
#: 0 is one map for every horizon.
VARIANT_DEGREES = (0, 1, 3)


def degree_variants(model, X_train, y_fit, X, rows) -> dict:
    """The test surface under held-out maps of other degrees, fitted as the default one is."""
    from sktime_hepa.surfaces._probability import apply_logit_map, fit_logit_map

    held = model.held_out_rows_
    if not len(held):
        return {}
    model.set_params(probability="weighted")
    valid = model.predict_surface(X_train, rows=held)
    labels, known = horizon_labels(y_fit[held], model.horizons)
    test = model.predict_surface(X, rows=rows)
    model.set_params(probability="held_out")
    out = {}
    for degree in VARIANT_DEGREES:
        coef = fit_logit_map(valid, labels, known, degree=degree)
        out[f"held_out_degree{degree}"] = apply_logit_map(test, coef)
    return out


def surfaces_of(model, age, X, rows) -> dict:
    """The test surface under each probability scale (one fit), and the age floor's."""
    out = {}
    for scale in SCALES:
        out[scale] = model.set_params(probability=scale).predict_surface(X, rows=rows)
    model.set_params(probability="held_out")
    surface = age.predict_surface(X)
    out["age"] = surface if rows is None else surface[rows]
    return out


def run_dataset_seed(name: str, seed: int, commit: str, figure: bool, budget_name: str):
    """Fit HEPA once; one record per probability scale, and the age floor's."""
    from .run import prepare

    budget = BUDGETS[budget_name]
    data = prepare(name, budget)
    t0 = time.perf_counter()
    fitted, _ = fit_pretrainer("hepa", data, budget, seed)
    y_fit, _, n_labelled, _ = labelled_target(data, seed, 1.0, budget)
    model = estimator("hepa", data, budget, seed, n_labelled, fitted).fit(data.X_train, y_fit)
    fit_seconds = time.perf_counter() - t0
    age = estimator("age", data, budget, seed, n_labelled).fit(data.X_train, y_fit)
    rows = data.test_rows
    y = data.y_test[rows]
    surfaces = surfaces_of(model, age, data.X_test, rows)
    if figure:
        draw(name, seed, y, surfaces)
    surfaces.update(degree_variants(model, data.X_train, y_fit, data.X_test, rows))
    records = []
    for scale, surface in surfaces.items():
        records.append(
            {
                "dataset": name,
                "seed": seed,
                "scale": scale,
                **score_surface(y, surface),
                "pos_weight": float(model.pos_weight_),
                "held_out_map": None
                if model.held_out_map_ is None
                else np.asarray(model.held_out_map_).tolist(),
                "horizons": int(data.horizons),
                "n_test_rows_scored": int(len(rows)),
                "test_row_stride": data.test_stride,
                "hepa_fit_seconds": round(fit_seconds, 2),
                "budget": budget_name,
                "budget_settings": budget_dict(budget),
                "version": __version__,
                "commit": commit,
                "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
        )
    return records


def draw(name: str, seed: int, y, surfaces: dict) -> None:
    """Reliability of each scale at three horizons, one panel per scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sktime_hepa.plotting import ReliabilityDisplay

    K = next(iter(surfaces.values())).shape[1]
    horizons = sorted({max(1, K // 10), K // 2, K})
    fig, axes = plt.subplots(1, len(surfaces), figsize=(4 * len(surfaces), 4), sharey=True)
    for ax, (scale, surface) in zip(axes, surfaces.items(), strict=True):
        ReliabilityDisplay.from_predictions(y, surface, horizons=horizons, ax=ax, name=scale)
        ax.set_title(f"{name}: {scale}")
    fig.tight_layout()
    FIGURES.mkdir(exist_ok=True)
    path = FIGURES / f"probability_{name}.png"
    fig.savefig(path, dpi=80)
    print(f"figure: {path} (seed {seed})")


def synthetic() -> None:
    """The same comparison on the synthetic run-to-failure set, printed."""
    from sklearn.model_selection import GroupShuffleSplit

    from sktime_hepa import AgeBaseline, HEPAEventPredictor, HEPAPretrainer
    from sktime_hepa.datasets import make_run_to_failure
    from sktime_hepa.panel import series_ids

    K = 50
    X, y = make_run_to_failure(40, random_state=0)
    split = GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=0)
    tr, te = next(split.split(X, groups=series_ids(X)))
    pre = HEPAPretrainer(
        d_model=64, n_heads=4, predictor_hidden=96, context_length=None, max_epochs=5,
        random_state=0,
    )  # fmt: skip
    model = HEPAEventPredictor(pre, horizons=K, max_epochs=10, random_state=0)
    model.fit(X.iloc[tr], y[tr])
    age = AgeBaseline(horizons=K).fit(X.iloc[tr], y[tr])
    print_table(
        "synthetic (40 units, 30 % held out, seed 0)",
        {s: score_surface(y[te], v) for s, v in surfaces_of(model, age, X.iloc[te], None).items()},
    )


def print_table(title: str, scores: dict) -> None:
    print(title)
    print("| scale | h-AUROC | ECE | Brier | Brier at K | flagged at K | true at K |")
    print("|---|---|---|---|---|---|---|")
    for scale, s in scores.items():
        print(
            f"| {scale} | {s['h_auroc']:.4f} | {s['ece']:.4f} | {s['brier']:.4f} | "
            f"{s['brier_at_k']:.4f} | {s['flagged_at_k']:.3f} | {s['true_at_k']:.3f} |"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", nargs="+", default=None, choices=sorted(DATASETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--figure", action="store_true", help="draw the first seed's diagram")
    parser.add_argument("--budget", default="default", choices=sorted(BUDGETS))
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--skip-existing", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    if not args.dataset:
        synthetic()
        return
    commit = git_commit()
    done = set()
    if args.skip_existing:
        done = done_runs(
            args.out,
            key=lambda r: (r["dataset"], r["seed"]),
            where=lambda r: r["budget"] == args.budget,
        )
    for name in args.dataset:
        for i, seed in enumerate(args.seeds):
            if (name, seed) in done:
                continue
            figure = args.figure and i == 0
            records = run_dataset_seed(name, seed, commit, figure, args.budget)
            for rec in records:
                append_record(args.out, rec)
            print_table(f"{name} seed {seed}", {r["scale"]: r for r in records})
    print(f"records in {args.out}")


if __name__ == "__main__":
    main()
