"""Every public entry point that reads user data, against one matrix of hostile inputs (issue 20).

``tests/test_input_contract.py`` generates hostile variants of X, targets and
arguments for the core estimators and metrics. This module widens the same
contract to every public callable of the API reference (``docs/api.rst``):
each entry point is called with each structural mutation of X (None, a
scalar, text, an empty frame, a flat frame, one column as a Series, a
missing or extra sensor, NaN, inf) and must either refuse it with a
``ValueError``/``TypeError`` raised by the package's (or scikit-learn's)
validation, with a message, or, for the variants a callable documents as
accepted, answer. ``test_every_public_callable_is_covered`` keeps the matrix
complete: a public name that is neither exercised here (or in
``test_input_contract.py``) nor exempt with a reason fails the suite.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import pkgutil
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_pretrainer
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator

# outcome/assert_clear_error: one definition of "a clear error"
from test_input_contract import assert_clear_error, outcome  # noqa: E402

import sktime_hepa
from sktime_hepa import (
    AgeBaseline,
    AnomalyTransformerDetector,
    HEPAEventPredictor,
    ITransformerEncoder,
    LSTMAttentionAutoencoder,
    LSTMVAEDetector,
    MAEPretrainer,
    MTSJEPAPretrainer,
    PatchTSTEncoder,
    RidgeBaseline,
    SensitiveMambaDetector,
    SurfaceCalibrator,
    TRepEncoder,
    make_pipeline,
)
from sktime_hepa.model_selection import EventGroupKFold
from sktime_hepa.panel import as_panel, series_ids
from sktime_hepa.persistence import load_weights, save_weights, weights_info
from sktime_hepa.streaming import SurfaceStream

K = 5
_TINY = dict(d_model=16, n_heads=2, n_layers=1, max_epochs=1, batch_size=32, device="cpu")
_LSTM = dict(max_epochs=1, batch_size=32, device="cpu", random_state=0)


def _structural(X: pd.DataFrame) -> dict:
    """Mutations of X that no entry point may answer (values, shape or type broken)."""

    def with_value(value, dtype=None):
        out = X.astype(dtype) if dtype is not None else X.copy()
        out.iloc[3, 1] = value
        return out

    return {
        "None": None,
        "a scalar": 3.0,
        "a string": "X.csv",
        "empty": X.iloc[:0],
        "flat frame": X.reset_index(),
        "one column as a Series": X.iloc[:, 0],
        "a sensor missing": X.drop(columns=X.columns[0]),
        "an extra sensor": X.assign(extra=1.0),
        "NaN": with_value(np.nan),
        "inf": with_value(np.inf),
        "text": with_value("broken", object),
        "3-D with the wrong channels": np.zeros((2, X.shape[1] + 1, 10)),
    }


#: What a documented answer looks like, per kind of entry point:
#: a fresh ``fit`` learns whatever sensors X has; a stream answers an empty
#: chunk with an empty surface; the index readers (series ids, the splitter)
#: read any panel layout and refuse only what is no panel at all.
FIT_ACCEPTS = {"a sensor missing", "an extra sensor", "3-D with the wrong channels"}
NOT_A_PANEL = {"None", "a scalar", "a string"}


def _answer_allowed(entry: str, mutation: str) -> bool:
    if entry.endswith(".fit"):
        return mutation in FIT_ACCEPTS
    if entry == "SurfaceStream.update":
        return mutation == "empty"
    if entry in ("series_ids", "EventGroupKFold.split"):
        return mutation not in NOT_A_PANEL
    return False


@pytest.fixture(scope="module")
def fitted(rtf_data):
    """One fitted model per public estimator class, on the same tiny run-to-failure panel."""
    X, y = rtf_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pre = tiny_pretrainer().fit(X)
        hepa = HEPAEventPredictor(pre, horizons=K, max_epochs=1, random_state=0).fit(X, y)
        models = {
            "HEPAPretrainer": pre,
            "HEPAEventPredictor": hepa,
            "MAEPretrainer": MAEPretrainer(
                **_TINY, patch_size=4, context_length=16, random_state=0
            ).fit(X),
            "PatchTSTEncoder": PatchTSTEncoder(
                **_TINY, patch_size=4, d_out=8, context_length=16, horizons=K, random_state=0
            ).fit(X, y),
            "ITransformerEncoder": ITransformerEncoder(
                **_TINY, d_out=8, context_length=16, horizons=K, random_state=0
            ).fit(X, y),
            "TRepEncoder": TRepEncoder(
                output_dims=8,
                hidden_dims=8,
                depth=2,
                time_embedding_dims=4,
                context_length=16,
                score_window=3,
                max_epochs=1,
                batch_size=32,
                device="cpu",
                random_state=0,
            ).fit(X),
            "MTSJEPAPretrainer": MTSJEPAPretrainer(
                **_TINY, window=8, patch_size=4, n_codes=8, predictor_hidden=8, random_state=0
            ).fit(X),
            "LSTMVAEDetector": LSTMVAEDetector(hidden_size=8, latent_size=4, **_LSTM).fit(X),
            "LSTMAttentionAutoencoder": LSTMAttentionAutoencoder(
                hidden_size=8, bottleneck_size=4, attention_size=4, **_LSTM
            ).fit(X),
            "AnomalyTransformerDetector": AnomalyTransformerDetector(
                **_TINY, d_ff=16, context_length=16, random_state=0
            ).fit(X),
            "SensitiveMambaDetector": SensitiveMambaDetector(
                d_model=8, d_hidden=16, n_layers=1, context_length=16, **_LSTM
            ).fit(X),
            "AgeBaseline": AgeBaseline(horizons=K).fit(X, y),
            "RidgeBaseline": RidgeBaseline(horizons=K).fit(X, y),
            "SurfacePipeline": make_pipeline(clone(pre), AgeBaseline(horizons=K)).fit(X, y),
        }
        models["SurfaceCalibrator"] = SurfaceCalibrator(
            FrozenEstimator(hepa), method="sigmoid"
        ).fit(X, y)
        if importlib.util.find_spec("sksurv") is not None:
            from sktime_hepa import SurvivalForestBaseline

            models["SurvivalForestBaseline"] = SurvivalForestBaseline(
                horizons=K, n_estimators=3, min_samples_leaf=3, random_state=0
            ).fit(X, y)
    return models


def _entry_points(models, X, y):
    """name -> callable of one bad X; every public method that reads X."""
    out = {}
    for name, model in models.items():
        for method in ("transform", "predict_surface", "predict_proba", "predict", "score_samples"):
            if hasattr(model, method):
                out[f"{name}.{method}"] = getattr(model, method)
        if hasattr(model, "score"):
            out[f"{name}.score"] = lambda bad, m=model: m.score(bad, y)
        if name not in ("SurfaceCalibrator", "SurfacePipeline"):
            fit_y = y if "y" in inspect.signature(model.fit).parameters else None
            out[f"{name}.fit"] = lambda bad, m=model, fy=fit_y: clone(m).fit(bad, fy)
    hepa = models["HEPAEventPredictor"]
    out["SurfaceStream.update"] = lambda bad: SurfaceStream(hepa).update(bad)
    out["EventGroupKFold.split"] = lambda bad: list(
        EventGroupKFold(n_splits=2).split(bad, y, series_ids(bad))
    )
    from sktime_hepa import metrics

    scorers = ("h_auroc", "pa_f1", "f1", "rmse", "ece", "brier")
    for name, scorer in ((f"{n}_scorer", getattr(metrics, f"{n}_scorer")) for n in scorers):
        out[name] = lambda bad, sc=scorer: sc(hepa, bad, y)
    age = copy.deepcopy(models["AgeBaseline"])
    out["as_panel"] = lambda bad: as_panel(bad, estimator=age, reset=False)  # as predict reads X
    out["series_ids"] = series_ids
    return out


def _display_entry_points(models, X, y):
    from sktime_hepa.plotting import (
        EmbeddingTrajectoryDisplay,
        HorizonAUROCDisplay,
        ReliabilityDisplay,
        SurfaceDisplay,
    )

    hepa, pre = models["HEPAEventPredictor"], models["HEPAPretrainer"]
    unit = X.index.get_level_values(0)[0]
    return {
        "SurfaceDisplay.from_estimator": lambda bad: SurfaceDisplay.from_estimator(
            hepa, bad, series=unit
        ),
        "ReliabilityDisplay.from_estimator": lambda bad: ReliabilityDisplay.from_estimator(
            hepa, bad, y
        ),
        "HorizonAUROCDisplay.from_estimator": lambda bad: HorizonAUROCDisplay.from_estimator(
            {"hepa": hepa}, bad, y
        ),
        "EmbeddingTrajectoryDisplay.from_estimator": (
            lambda bad: EmbeddingTrajectoryDisplay.from_estimator(pre, bad, series=[unit])
        ),
    }


def _check(entry: str, fn, mutation: str, bad) -> None:
    kind, result = outcome(fn, bad)
    if kind == "ok":
        allowed = _answer_allowed(entry, mutation)
        assert allowed, f"{entry} answered X with {mutation} instead of refusing it"
        return
    assert_clear_error(result, f"{entry} with {mutation}")


def test_every_entry_point_refuses_a_broken_X(fitted, rtf_data):
    X, y = rtf_data
    entries = _entry_points(fitted, X, y)
    failures = []
    for entry, fn in entries.items():
        for mutation, bad in _structural(X).items():
            try:
                _check(entry, fn, mutation, bad)
            except AssertionError as exc:  # collect: one report of every gap
                failures.append(str(exc).splitlines()[0])
            except Exception as exc:  # noqa: BLE001  (a raw error is the gap being tested)
                failures.append(f"{entry} with {mutation}: {type(exc).__name__}: {exc}")
    assert not failures, f"{len(failures)} gaps:\n" + "\n".join(failures)


def test_every_display_refuses_a_broken_X(fitted, rtf_data):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = rtf_data
    failures = []
    for entry, fn in _display_entry_points(fitted, X, y).items():
        assert outcome(fn, X)[0] == "ok", f"{entry} refused the clean X"
        for mutation, bad in _structural(X).items():
            try:
                _check(entry, fn, mutation, bad)
            except AssertionError as exc:
                failures.append(str(exc).splitlines()[0])
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{entry} with {mutation}: {type(exc).__name__}: {exc}")
            plt.close("all")
    assert not failures, f"{len(failures)} gaps:\n" + "\n".join(failures)


def test_persistence_refuses_what_is_not_a_weights_file(fitted, tmp_path):
    """save/load/info: a clear error for a wrong path, a foreign or truncated file, a non-model."""
    hepa = fitted["HEPAEventPredictor"]
    path = save_weights(hepa, tmp_path / "model.safetensors")
    good = path.read_bytes()
    cases = {
        "a folder": tmp_path,
        "a missing file": tmp_path / "absent.safetensors",
        "an empty file": tmp_path / "empty.safetensors",
        "a text file": tmp_path / "notes.safetensors",
        "a truncated file": tmp_path / "cut.safetensors",
        "None": None,
        "a number": 3,
    }
    (tmp_path / "empty.safetensors").write_bytes(b"")
    (tmp_path / "notes.safetensors").write_text("not weights")
    (tmp_path / "cut.safetensors").write_bytes(good[: len(good) // 2])
    failures = []
    for reader in (load_weights, weights_info):
        for name, where in cases.items():
            try:
                kind, result = outcome(reader, where)
            except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
                # OS errors name the path; they are the clear error for a path
                assert str(where) in str(exc) or name in ("a folder",), exc
                continue
            if kind == "ok":
                failures.append(f"{reader.__name__} read {name}")
            else:
                try:
                    assert_clear_error(result, f"{reader.__name__}({name})")
                except AssertionError as exc:
                    failures.append(str(exc).splitlines()[0])
    for name, obj in {"an unfitted model": clone(hepa), "a dict": {}, "None": None}.items():
        kind, result = outcome(save_weights, obj, tmp_path / "x.safetensors")
        if kind == "ok":
            failures.append(f"save_weights saved {name}")
        else:
            try:
                assert_clear_error(result, f"save_weights({name})")
            except AssertionError as exc:
                failures.append(str(exc).splitlines()[0])
    assert not failures, "\n".join(failures)


# -- completeness ----------------------------------------------------------------------

#: Covered in tests/test_input_contract.py (metrics, loaders, targets, rows/horizon).
COVERED_ELSEWHERE = {
    "brier_score",
    "event_f1_score",
    "expected_calibration_error",
    "h_auroc_score",
    "point_adjusted_f1_score",
    "time_to_event_rmse",
    "load_batadal",
    "load_beijing_air",
    "load_cmapss",
    "load_ettm1",
    "load_gecco",
    "load_mba",
    "load_psm",
    "load_smap_msl",
    "load_tep",
    "load_vix",
    "load_weather",
}
#: Public names that take no user data, or whose inputs other modules test, with the reason.
EXEMPT = {
    # the classes a user subclasses or reads, not calls with data
    "EncoderTransformer": "abstract base; its subclasses are in the matrix",
    "SelfSupervisedEncoder": "abstract base; its subclasses are in the matrix",
    "SupervisedEncoder": "abstract base; its subclasses are in the matrix",
    "SelfSupervisedDetector": "abstract base; its subclasses are in the matrix",
    "SurfaceEstimator": "abstract base; its subclasses are in the matrix",
    "HEPAEmbeddings": "an ndarray subclass returned by transform",
    "Panel": "returned by as_panel, which is in the matrix",
    "SurfaceScorer": "scorers: tests/test_survival_metrics.py and test_metrics.py",
    "PlattSigmoid": "a fitted map inside SurfaceCalibrator (in the matrix)",
    # callbacks: constructor parameters only, validated by skorch's set_params path
    "CollapseMonitor": "callback parameters: tests/test_callback_params.py",
    "EMATargetUpdate": "callback parameters: tests/test_callback_params.py",
    "MinStepsEarlyStopping": "callback parameters: tests/test_callback_params.py",
    "PartRatio": "callback parameters: tests/test_callback_params.py",
    "PredictionReference": "callback parameters: tests/test_callback_params.py",
    "ValidRankScore": "callback parameters: tests/test_callback_params.py",
    # functions of arrays other than X
    "make_surface_scorer": "tests/test_survival_metrics.py (non-callable metric, bad sign)",
    "make_survival_scorer": "tests/test_survival_metrics.py (unknown metric, y_train)",
    "combine_surface_scorers": "tests/test_metrics.py (empty, non-scorer values)",
    "per_horizon_auroc": "h_auroc_score's validation path (test_input_contract.py)",
    "expected_time_to_event": "time_to_event_rmse's validation path (test_input_contract.py)",
    "time_dependent_auc_score": "tests/test_survival_metrics.py (bad times, field names)",
    "integrated_brier_score": "tests/test_survival_metrics.py",
    "uno_concordance_score": "tests/test_survival_metrics.py",
    "as_survival_target": "tests/test_input_validation.py (field names, bad values)",
    "make_survival_target": "tests/test_input_validation.py",
    "validate_event_target": "every fit in the matrix runs it",
    "is_survival_target": "a predicate: answers False for anything else",
    "survival_fields": "tests/test_input_validation.py (Surv field names)",
    "horizon_labels": "metrics' validation path",
    "survival_cells": "every fit in the matrix runs it",
    "target_from_event_labels": "tests/test_input_validation.py",
    "target_from_rul": "tests/test_datasets.py",
    "missing_mode": "the missing= parameter of every estimator in the matrix",
    "fit_channel_scaling": "reads the per-series arrays of as_panel's output (in the matrix)",
    "make_run_to_failure": "generator parameters: tests/test_datasets.py",
    "make_sine_panel": "generator parameters: tests/test_datasets.py",
    "get_data_home": "tests/test_datasets.py (environment variable, missing folder)",
    "LabelEfficiencyDisplay": "reads benchmark records: tests/test_plotting.py",
    "make_pipeline": "sklearn's make_pipeline; its pipeline is in the matrix",
    "band_name": "diagnostics of arrays the package computes: tests/test_prediction_reference.py",
    "embedding_stats": "diagnostics: tests/test_nn.py",
    "is_collapsed": "diagnostics: tests/test_nn.py",
    "matched_partners": "diagnostics: tests/test_prediction_reference.py",
    "prediction_reference": "diagnostics: tests/test_prediction_reference.py",
    "sigreg_references": "diagnostics: tests/test_nn.py",
}


def _public_callables() -> set:
    names = set()
    modules = [sktime_hepa] + [
        importlib.import_module(f"sktime_hepa.{m.name}")
        for m in pkgutil.iter_modules(sktime_hepa.__path__)
        if not m.name.startswith("_") and m.name != "nn"  # nn: internals, off the API sidebar
    ]
    for module in modules:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if name.startswith("__") or not callable(obj):
                continue
            if inspect.isclass(obj) and issubclass(obj, Warning):
                continue
            names.add(name)
    return names


def test_every_public_callable_is_covered(fitted, rtf_data):
    X, y = rtf_data
    exercised = {e.split(".")[0] for e in _entry_points(fitted, X, y)}
    exercised |= {e.split(".")[0] for e in _display_entry_points(fitted, X, y)}
    exercised |= {"load_weights", "save_weights", "weights_info", "SurvivalForestBaseline"}
    missing = _public_callables() - exercised - COVERED_ELSEWHERE - set(EXEMPT)
    assert not missing, f"public callables outside the hostile-input matrix: {sorted(missing)}"
    stale = (set(EXEMPT) | COVERED_ELSEWHERE) - _public_callables()
    assert not stale, f"names listed here that are no longer public: {sorted(stale)}"


# -- the target y, for every entry point that reads one ------------------------------


def _broken_targets(y) -> dict:
    """Targets no entry point may read: wrong length, values, fields or type."""
    negative = y.copy()
    negative["time"][3] = -2.0
    with_nan = y.copy()
    with_nan["time"][3] = np.nan
    return {
        "None": None,
        "too few rows": y[:-3],
        "negative time": negative,
        "NaN time": with_nan,
        "three classes": np.arange(len(y)) % 3,
        "one class": np.zeros(len(y), dtype=int),
        "text": np.array(["x"] * len(y), dtype=object),
        "2-D": np.column_stack([y["event"], y["time"]]).astype(float)[:, :, None],
        "a scalar": 1.0,
    }


def _target_entry_points(models, X, y):
    """name -> callable of one bad y: every public fit, score and display that reads y."""
    hepa = models["HEPAEventPredictor"]
    out = {}
    from sktime_hepa.encoders import SupervisedEncoder
    from sktime_hepa.surfaces import SurfaceEstimator

    for name, model in models.items():
        # self-supervised fits take y=None and ignore it (scikit-learn's convention)
        reads_y = isinstance(model, SurfaceEstimator | SupervisedEncoder)
        if reads_y and name not in ("SurfacePipeline", "SurfaceCalibrator"):
            out[f"{name}.fit"] = lambda bad, m=model: clone(m).fit(X, bad)
        if hasattr(model, "predict_surface"):
            out[f"{name}.score"] = lambda bad, m=model: m.score(X, bad)
    out["SurfaceCalibrator.fit"] = lambda bad: SurfaceCalibrator(
        FrozenEstimator(hepa), method="sigmoid"
    ).fit(X, bad)
    out["EventGroupKFold.split"] = lambda bad: list(
        EventGroupKFold(n_splits=2).split(X, bad, series_ids(X))
    )
    from sktime_hepa import metrics

    out["h_auroc_scorer"] = lambda bad: metrics.h_auroc_scorer(hepa, X, bad)
    out["make_survival_scorer"] = lambda bad: metrics.make_survival_scorer(
        "time_dependent_auc", y_train=bad
    )
    return out


#: Targets some entry points read as documented: per-step 0/1 labels of one class
#: are refused by the fits, but a scorer or splitter may read a 1-D 0/1 array.
TARGET_ANSWERS = {
    ("EventGroupKFold.split", "one class"),  # no event: a warning-free plain grouped split
    ("make_survival_scorer", "too few rows"),  # y_train is any training target, any length
}


def test_every_entry_point_refuses_a_broken_target(fitted, rtf_data):
    X, y = rtf_data
    failures = []
    for entry, fn in _target_entry_points(fitted, X, y).items():
        for mutation, bad in _broken_targets(y).items():
            try:
                kind, result = outcome(fn, bad)
                if kind == "ok":
                    assert (entry, mutation) in TARGET_ANSWERS, (
                        f"{entry} answered y with {mutation} instead of refusing it"
                    )
                    continue
                assert_clear_error(result, f"{entry} with y {mutation}")
            except AssertionError as exc:
                failures.append(str(exc).splitlines()[0])
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{entry} with y {mutation}: {type(exc).__name__}: {exc}")
    assert not failures, f"{len(failures)} gaps:\n" + "\n".join(failures)
