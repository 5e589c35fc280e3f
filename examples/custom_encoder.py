"""
Your own encoder in the package's tools: pipeline, grid search, weights, benchmark
==================================================================================

``gru_encoder.py`` defines ``GRUEncoder`` outside the package, in one file of
about 50 lines of code. Here it is used as a user would use any of the
package's encoders, without touching the package:

1. in ``make_pipeline(GRUEncoder(), HEPAEventPredictor(head="dt_mlp"))``,
   scored on held-out units beside the age-only floor;
2. in ``GridSearchCV`` over its own ``d_model`` and a shared training setting
   (``max_epochs``), with whole-unit folds (``EventGroupKFold``);
3. in ``HEPAEventPredictor``'s encoder slot, saved weights-only and loaded
   back (``load_weights(..., classes=[GRUEncoder])``) with identical surfaces;
4. in the benchmark runner, as ``--encoder examples/gru_encoder.py:GRUEncoder``.

Run it from the repository root::

    python examples/custom_encoder.py          # about a minute on 2 CPU cores
    python examples/custom_encoder.py --quick  # tiny budget (or SKTIME_HEPA_QUICK=1)
"""

# %%
# The encoder, the data and the budget
# ------------------------------------
# ``GRUEncoder`` comes from a file outside the package; the budget is small
# (``--quick``, or ``SKTIME_HEPA_QUICK=1`` as in the docs build, is tiny).

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.model_selection import GridSearchCV, GroupShuffleSplit

# the examples folder (sphinx-gallery runs the examples inside it)
HERE = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
sys.path[:0] = [str(HERE), str(HERE.parent)]  # gru_encoder.py, and benchmarks/ for step 4

from gru_encoder import GRUEncoder  # noqa: E402

from sktime_hepa import AgeBaseline, HEPAEventPredictor, make_pipeline  # noqa: E402
from sktime_hepa.datasets import make_run_to_failure  # noqa: E402
from sktime_hepa.metrics import h_auroc_score, h_auroc_scorer  # noqa: E402
from sktime_hepa.model_selection import EventGroupKFold  # noqa: E402
from sktime_hepa.panel import series_ids  # noqa: E402
from sktime_hepa.persistence import load_weights, save_weights  # noqa: E402

BUDGETS = {
    "default": dict(n_units=40, horizons=30, epochs=20, head_epochs=30, grid=[16, 32]),
    "quick": dict(n_units=16, horizons=20, epochs=2, head_epochs=3, grid=[8, 16]),
}


QUICK = os.environ.get("SKTIME_HEPA_QUICK", "").strip().lower() not in ("", "0", "false", "no")
parser = argparse.ArgumentParser(description="Your own encoder in the package's tools")
parser.add_argument("--quick", action="store_true", default=QUICK)
parser.add_argument("--seed", type=int, default=0)
args, _ = parser.parse_known_args()  # the docs build runs this file with its own argv
budget = BUDGETS["quick" if args.quick else "default"]
K, seed = budget["horizons"], args.seed

X, y = make_run_to_failure(budget["n_units"], random_state=seed)
units = series_ids(X)
train, test = next(
    GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=seed).split(X, groups=units)
)
X_train, y_train, X_test, y_test = X.iloc[train], y[train], X.iloc[test], y[test]

# %%
# 1. A pipeline, beside the age-only floor
# ----------------------------------------
# ``GRUEncoder.transform`` gives one embedding per row; the event predictor
# trains the appendix-C dt-MLP head on them.

encoder = GRUEncoder(max_epochs=budget["epochs"], random_state=seed)
head = HEPAEventPredictor(
    head="dt_mlp", horizons=K, max_epochs=budget["head_epochs"], random_state=seed
)
pipe = make_pipeline(encoder, head).fit(X_train, y_train)
age = AgeBaseline(horizons=K).fit(X_train, y_train)
for name, model in [("GRUEncoder + dt-MLP head", pipe), ("age only", age)]:
    auroc = h_auroc_score(y_test, model.predict_surface(X_test))
    print(f"1. {name:<26} test h-AUROC {auroc:.3f}")
print(f"   the encoder's last training MSE: {pipe[0].history_[-1, 'train_mse']:.3f}")

# %%
# 2. Grid search over the encoder's own and a shared setting
# ----------------------------------------------------------
# ``d_model`` is the encoder's own parameter, ``max_epochs`` one of the shared
# training settings every torch estimator inherits; the folds keep units whole.

search = GridSearchCV(
    make_pipeline(GRUEncoder(random_state=seed), head),
    {
        "gruencoder__d_model": budget["grid"],
        "gruencoder__max_epochs": [1, budget["epochs"]],
    },
    cv=EventGroupKFold(n_splits=2),
    scoring=h_auroc_scorer,
)
search.fit(X_train, y_train, groups=series_ids(X_train))
print(f"2. grid search: best {search.best_params_}, CV h-AUROC {search.best_score_:.3f}")

# %%
# 3. The encoder slot, saved weights-only and loaded back
# -------------------------------------------------------
# ``load_weights`` builds only the classes it is given (and the package's):
# nothing is imported from a name the file holds.

slot = HEPAEventPredictor(
    GRUEncoder(max_epochs=budget["epochs"], random_state=seed),
    head="dt_mlp",
    horizons=K,
    max_epochs=budget["head_epochs"],
    random_state=seed,
).fit(X_train, y_train)
with tempfile.TemporaryDirectory() as tmp:
    path = save_weights(slot, Path(tmp) / "gru_hepa.safetensors")
    loaded = load_weights(path, classes=[GRUEncoder])
same = np.array_equal(loaded.predict_surface(X_test), slot.predict_surface(X_test))
print(f"3. weights-only save and load: {type(loaded.pretrainer_).__name__}, same surface: {same}")
if not same:
    raise RuntimeError("the loaded model predicts differently")

# %%
# 4. The benchmark runner
# -----------------------
# ``--encoder FILE.py:CLASS`` registers the class as a method of the runner,
# here on its synthetic set at the smoke budget.

from benchmarks.run import main as run_benchmark  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    out = Path(tmp) / "records.jsonl"
    run_benchmark(
        ["--dataset", "synthetic", "--encoder", f"{HERE / 'gru_encoder.py'}:GRUEncoder"]
        + ["--method", "gruencoder", "age", "--seeds", str(seed), "--labels", "1.0"]
        + ["--budget", "smoke", "--out", str(out)]
    )
    records = [json.loads(line) for line in out.read_text().splitlines()]
print("4. runner records: " + ", ".join(f"{r['method']} {r['h_auroc']:.3f}" for r in records))
