"""The Displays of sktime_hepa.plotting: what they draw, their inputs and their errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.calibration import calibration_curve  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

from sktime_hepa import AgeBaseline  # noqa: E402
from sktime_hepa.metrics import expected_calibration_error, per_horizon_auroc  # noqa: E402
from sktime_hepa.panel import series_ids  # noqa: E402
from sktime_hepa.plotting import (  # noqa: E402
    EmbeddingTrajectoryDisplay,
    HorizonAUROCDisplay,
    LabelEfficiencyDisplay,
    ReliabilityDisplay,
    SurfaceDisplay,
)
from sktime_hepa.targets import (  # noqa: E402
    horizon_labels,
    target_from_event_labels,
    target_from_rul,
)

REPO = Path(__file__).resolve().parents[1]
K = 8  # horizons of the conftest predictor


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _render(display, tmp_path, name) -> np.ndarray:
    """Save the display's figure as a PNG and return the pixels read back."""
    path = tmp_path / f"{name}.png"
    display.figure_.savefig(path)
    pixels = plt.imread(path)
    assert pixels.ndim == 3 and min(pixels.shape[:2]) > 100
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 10  # not blank
    return pixels


def _legend(display) -> list[str]:
    return [t.get_text() for t in display.ax_.get_legend().get_texts()]


def _informative_surface(y) -> np.ndarray:
    """A monotone surface that knows the time to event (plus noise)."""
    rng = np.random.default_rng(0)
    dt = np.arange(1, K + 1)
    tau = y["time"] + rng.normal(0, 3, len(y)).clip(-1.5, None) + 2
    return 1.0 - np.exp(-dt[None, :] / tau[:, None])


# ---------------------------------------------------------------------------
# optional dependency
# ---------------------------------------------------------------------------


def test_package_import_does_not_import_matplotlib():
    code = "import sys, sktime_hepa, sktime_hepa.plotting; print('matplotlib' in sys.modules)"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_without_matplotlib_the_error_names_the_extra(monkeypatch, rtf_data):
    _, y = rtf_data
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    match = r'pip install "sktime_hepa\[plot\]"'
    with pytest.raises(ImportError, match=match):
        SurfaceDisplay(np.zeros((3, 2))).plot()
    with pytest.raises(ImportError, match=match):
        HorizonAUROCDisplay.from_predictions(y, {"a": _informative_surface(y)})
    with pytest.raises(ImportError, match=match):
        LabelEfficiencyDisplay.from_values([0.5, 1.0], {"a": [0.6, 0.7]})


# ---------------------------------------------------------------------------
# SurfaceDisplay
# ---------------------------------------------------------------------------


def test_surface_display_draws_the_series_surface_and_its_failure(
    rtf_data, fitted_predictor, tmp_path
):
    X, y = rtf_data
    ids = series_ids(X)
    disp = SurfaceDisplay.from_estimator(fitted_predictor, X, y, series=5)
    expected = fitted_predictor.predict_surface(X)[ids == 5]
    # the heatmap is that series' surface, t along x and dt along y
    np.testing.assert_allclose(disp.image_.get_array(), expected.T, atol=1e-6)
    n = int((ids == 5).sum())
    assert disp.image_.get_extent() == [-0.5, n - 0.5, 0.5, K + 0.5]
    # unit 5 fails at its last cycle: one event line there, spanning every horizon
    (segment,) = disp.events_.get_segments()
    np.testing.assert_allclose(segment, [[n - 1, 0.5], [n - 1, K + 0.5]])
    assert disp.colorbar_ is not None
    assert disp.ax_.get_xlabel().startswith("t") and "Δt" in disp.ax_.get_ylabel()
    assert "series 5" in disp.ax_.get_title()
    _render(disp, tmp_path, "surface")


def test_surface_display_censored_series_has_no_event(rtf_data, fitted_predictor):
    X, y = rtf_data
    ids = series_ids(X)
    censored = ids[~y["event"]][0]
    disp = SurfaceDisplay.from_estimator(fitted_predictor, X, y, series=censored)
    assert disp.events_ is None and len(disp.event_steps) == 0


def test_surface_display_from_predictions_marks_label_steps(tmp_path):
    rng = np.random.default_rng(0)
    surface = np.sort(rng.random((20, 5)), axis=1)
    labels = np.zeros(20, dtype=int)
    labels[[4, 9, 10]] = 1
    fig, ax = plt.subplots()
    disp = SurfaceDisplay.from_predictions(labels, surface, ax=ax, colorbar=False)
    assert disp.ax_ is ax and disp.figure_ is fig and disp.colorbar_ is None
    assert [s[0, 0] for s in disp.events_.get_segments()] == [4, 9, 10]
    np.testing.assert_array_equal(disp.image_.get_array(), surface.T)
    _render(disp, tmp_path, "surface_labels")


def test_surface_display_event_after_the_last_row_is_kept_not_drawn():
    surface = np.full((6, 3), 0.5)
    y = target_from_rul(np.arange(6)[::-1] + 4.0)  # the failure comes 4 steps after the end
    disp = SurfaceDisplay.from_predictions(y, surface)
    np.testing.assert_array_equal(disp.event_steps, [9.0])
    assert disp.events_ is None


def test_surface_display_errors(rtf_data, fitted_predictor):
    X, y = rtf_data
    with pytest.raises(ValueError, match="series 99 is not in X"):
        SurfaceDisplay.from_estimator(fitted_predictor, X, y, series=99)
    with pytest.raises(ValueError, match="choose one with series="):
        SurfaceDisplay.from_estimator(fitted_predictor, X, y)
    with pytest.raises(ValueError, match="y has 5 rows but X has"):
        SurfaceDisplay.from_estimator(fitted_predictor, X, y[:5], series=1)
    with pytest.raises(ValueError, match="one label per row"):
        SurfaceDisplay.from_predictions(np.zeros(4), np.zeros((6, 3)))
    with pytest.raises(ValueError, match="0/1 or booleans"):
        SurfaceDisplay.from_predictions(np.full(6, 2), np.zeros((6, 3)))
    with pytest.raises(ValueError, match="2-D"):
        SurfaceDisplay.from_predictions(None, np.zeros(6))


# ---------------------------------------------------------------------------
# HorizonAUROCDisplay
# ---------------------------------------------------------------------------


def test_horizon_auroc_lines_are_per_horizon_auroc(rtf_data, tmp_path):
    _, y = rtf_data
    rng = np.random.default_rng(1)
    surfaces = {
        "informative": _informative_surface(y),
        "noise": rng.random((len(y), K)),
        "shorter": _informative_surface(y)[:, :5],
    }
    disp = HorizonAUROCDisplay.from_predictions(y, surfaces)
    assert list(disp.lines_) == list(surfaces)
    assert len(disp.ax_.get_lines()) == len(surfaces) + 1  # + the chance level
    for name, line in disp.lines_.items():
        expected = per_horizon_auroc(y, surfaces[name])
        np.testing.assert_allclose(line.get_ydata(), expected, equal_nan=True)
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, len(expected) + 1))
        assert disp.h_auroc[name] == pytest.approx(np.nanmean(expected))
    assert disp.h_auroc["informative"] > 0.8 > disp.h_auroc["noise"]
    assert f"informative (h-AUROC {disp.h_auroc['informative']:.3f})" in _legend(disp)
    assert disp.chance_line_.get_ydata()[0] == 0.5
    _render(disp, tmp_path, "auroc")


def test_horizon_auroc_from_estimator(rtf_data, fitted_predictor, tmp_path):
    X, y = rtf_data
    models = {"hepa": fitted_predictor, "age": AgeBaseline(horizons=K).fit(X, y)}
    disp = HorizonAUROCDisplay.from_estimator(models, X, y)
    assert len(disp.lines_) == 2
    for name, model in models.items():
        expected = per_horizon_auroc(y, model.predict_surface(X))
        np.testing.assert_allclose(disp.lines_[name].get_ydata(), expected, equal_nan=True)
    _render(disp, tmp_path, "auroc_models")


def test_horizon_auroc_reads_per_step_labels_per_series(rtf_data):
    X, y = rtf_data
    ids = series_ids(X)
    labels = (y["event"] & (y["time"] == 0)).astype(int)  # the failure steps
    surface = _informative_surface(y)
    disp = HorizonAUROCDisplay.from_predictions(labels, {"m": surface}, groups=ids)
    expected = per_horizon_auroc(target_from_event_labels(labels, ids), surface)
    np.testing.assert_allclose(disp.lines_["m"].get_ydata(), expected, equal_nan=True)


def test_horizon_auroc_errors(rtf_data, fitted_predictor):
    X, y = rtf_data
    with pytest.raises(ValueError, match="surfaces is empty"):
        HorizonAUROCDisplay.from_predictions(y, {})
    with pytest.raises(ValueError, match="estimators is empty"):
        HorizonAUROCDisplay.from_estimator({}, X, y)
    with pytest.raises(ValueError, match="must be a dict"):
        HorizonAUROCDisplay.from_predictions(y, [_informative_surface(y)])
    with pytest.raises(ValueError, match="'short'.*rows but y has"):
        HorizonAUROCDisplay.from_predictions(y, {"short": _informative_surface(y)[:10]})
    with pytest.raises(ValueError, match="no predict_surface"):
        HorizonAUROCDisplay.from_estimator({"pca": PCA()}, X, y)
    with pytest.raises(ValueError, match="y has 3 rows but X has"):
        HorizonAUROCDisplay.from_estimator({"hepa": fitted_predictor}, X, y[:3])


# ---------------------------------------------------------------------------
# ReliabilityDisplay
# ---------------------------------------------------------------------------


def test_reliability_points_are_the_calibration_curve_of_known_cells(rtf_data, tmp_path):
    _, y = rtf_data
    rng = np.random.default_rng(2)
    surface = np.sort(rng.random((len(y), K)), axis=1)
    disp = ReliabilityDisplay.from_predictions(y, surface, horizons=[1, 4, 8], n_bins=5)
    assert list(disp.lines_) == [1, 4, 8]
    labels, known = horizon_labels(y, K)
    for h, line in disp.lines_.items():
        cells = known[:, h - 1]
        observed, predicted = calibration_curve(
            labels[cells, h - 1], surface[cells, h - 1], n_bins=5
        )
        np.testing.assert_allclose(line.get_xdata(), predicted)
        np.testing.assert_allclose(line.get_ydata(), observed)
        assert disp.counts[h].sum() == cells.sum()
        assert f"Δt = {h} (ECE {disp.ece[h]:.3f})" in _legend(disp)
    # at dt=1 the per-horizon ECE is the package's ECE of the first column
    assert disp.ece[1] == pytest.approx(expected_calibration_error(y, surface[:, :1], n_bins=5))
    np.testing.assert_array_equal(disp.reference_line_.get_xydata(), [[0, 0], [1, 1]])
    _render(disp, tmp_path, "reliability")


def test_reliability_from_estimator_default_horizons(rtf_data, fitted_predictor, tmp_path):
    X, y = rtf_data
    disp = ReliabilityDisplay.from_estimator(fitted_predictor, X, y)
    assert list(disp.lines_) == [1, 3, 6, 8]  # four spread over 1..K
    surface = fitted_predictor.predict_surface(X)
    assert disp.ece[1] == pytest.approx(expected_calibration_error(y, surface[:, :1]))
    _render(disp, tmp_path, "reliability_model")


def test_reliability_errors(rtf_data):
    _, y = rtf_data
    surface = _informative_surface(y)
    with pytest.raises(ValueError, match="horizon 9 is unknown"):
        ReliabilityDisplay.from_predictions(y, surface, horizons=[1, 9])
    with pytest.raises(ValueError, match="horizon 0 is unknown"):
        ReliabilityDisplay.from_predictions(y, surface, horizons=[0])
    with pytest.raises(ValueError, match="twice"):
        ReliabilityDisplay.from_predictions(y, surface, horizons=[2, 2])
    with pytest.raises(ValueError, match="n_bins"):
        ReliabilityDisplay.from_predictions(y, surface, n_bins=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ReliabilityDisplay.from_predictions(y, surface * 2)
    with pytest.raises(ValueError, match="rows but y has"):
        ReliabilityDisplay.from_predictions(y[:-1], surface)


# ---------------------------------------------------------------------------
# EmbeddingTrajectoryDisplay
# ---------------------------------------------------------------------------


def test_embedding_trajectory_is_the_pca_of_the_chosen_series(
    rtf_data, fitted_pretrainer, tmp_path
):
    X, _ = rtf_data
    ids = series_ids(X)
    chosen = [1, 2, 5]
    disp = EmbeddingTrajectoryDisplay.from_estimator(fitted_pretrainer, X, series=chosen)
    assert list(disp.lines_) == chosen  # one line per series
    H = np.asarray(fitted_pretrainer.transform(X), dtype=np.float64)
    pca = PCA(n_components=2, svd_solver="full").fit(H[np.isin(ids, chosen)])
    np.testing.assert_allclose(
        disp.pca_.explained_variance_ratio_, pca.explained_variance_ratio_, atol=1e-5
    )
    for s, line in disp.lines_.items():
        expected = pca.transform(H[ids == s])
        segments = np.asarray(line.get_segments())
        np.testing.assert_allclose(segments[:, 0], expected[:-1], atol=1e-4)
        np.testing.assert_allclose(segments[:, 1], expected[1:], atol=1e-4)
        np.testing.assert_array_equal(line.get_array(), np.arange(len(expected) - 1))
    firsts = np.stack([pca.transform(H[ids == s])[0] for s in chosen])
    lasts = np.stack([pca.transform(H[ids == s])[-1] for s in chosen])
    np.testing.assert_allclose(disp.start_markers_.get_offsets(), firsts, atol=1e-4)
    np.testing.assert_allclose(disp.end_markers_.get_offsets(), lasts, atol=1e-4)
    assert disp.ax_.get_xlabel().startswith("PC1 (")
    _render(disp, tmp_path, "trajectory")


def test_embedding_trajectory_coloured_by_time_to_event(rtf_data, fitted_pretrainer, tmp_path):
    X, y = rtf_data
    ids = series_ids(X)
    disp = EmbeddingTrajectoryDisplay.from_estimator(
        fitted_pretrainer, X, series=[6, 3], y=y, color_by="time_to_event"
    )
    for s in (6, 3):
        np.testing.assert_array_equal(disp.lines_[s].get_array(), y["time"][ids == s][:-1])
    assert "event" in disp.colorbar_.ax.get_ylabel()
    _render(disp, tmp_path, "trajectory_tte")


def test_embedding_trajectory_errors(rtf_data, fitted_pretrainer, fitted_predictor):
    X, y = rtf_data
    with pytest.raises(ValueError, match="series is empty"):
        EmbeddingTrajectoryDisplay.from_estimator(fitted_pretrainer, X, series=[])
    with pytest.raises(ValueError, match="series 99 is not in X"):
        EmbeddingTrajectoryDisplay.from_estimator(fitted_pretrainer, X, series=[1, 99])
    with pytest.raises(ValueError, match="twice"):
        EmbeddingTrajectoryDisplay.from_estimator(fitted_pretrainer, X, series=[1, 1])
    with pytest.raises(ValueError, match="color_by"):
        EmbeddingTrajectoryDisplay.from_estimator(fitted_pretrainer, X, series=[1], color_by="x")
    with pytest.raises(ValueError, match="needs y"):
        EmbeddingTrajectoryDisplay.from_estimator(
            fitted_pretrainer, X, series=[1], color_by="time_to_event"
        )
    with pytest.raises(ValueError, match="no transform method"):
        EmbeddingTrajectoryDisplay.from_estimator(fitted_predictor, X, series=[1])
    with pytest.raises(ValueError, match="same width"):
        EmbeddingTrajectoryDisplay.from_embeddings({"a": np.ones((4, 3)), "b": np.ones((4, 5))})
    with pytest.raises(ValueError, match="embeddings is empty"):
        EmbeddingTrajectoryDisplay.from_embeddings({})


# ---------------------------------------------------------------------------
# LabelEfficiencyDisplay
# ---------------------------------------------------------------------------


def _bars(container):
    """(x, y, low, high) of an ErrorbarContainer."""
    line, _, (bars,) = container.lines
    segments = np.asarray(bars.get_segments())
    return line.get_xdata(), line.get_ydata(), segments[:, 0, 1], segments[:, 1, 1]


def test_label_efficiency_from_records_mean_and_seed_std(tmp_path):
    values = {  # method -> fraction -> h-AUROC of seeds 0, 1, 2
        "hepa": {0.01: [0.6, 0.7, 0.8], 0.1: [0.8, 0.82, 0.9], 1.0: [0.9, 0.95, 0.97]},
        "age": {0.01: [0.7, 0.7, 0.7], 0.1: [0.7, 0.72, 0.74], 1.0: [0.75, 0.74, 0.76]},
    }
    records = [  # an earlier run of hepa/0.1/seed 0 that a later record replaces
        dict(dataset="toy", method="hepa", label_fraction=0.1, seed=0, h_auroc=0.1),
        dict(dataset="other", method="hepa", label_fraction=0.1, seed=0, h_auroc=0.3),
        dict(dataset="toy", method="age", label_fraction=1.0, seed=3, h_auroc=None),
    ]
    for m, by_fraction in values.items():
        for f, seeds in by_fraction.items():
            records += [
                dict(dataset="toy", method=m, label_fraction=f, seed=s, h_auroc=v)
                for s, v in enumerate(seeds)
            ]
    path = tmp_path / "benchmark.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    disp = LabelEfficiencyDisplay.from_records(path, dataset="toy")
    assert list(disp.errorbars_) == ["hepa", "age"]
    for m, by_fraction in values.items():
        x, mean, low, high = _bars(disp.errorbars_[m])
        table = np.array([by_fraction[f] for f in sorted(by_fraction)])
        std = table.std(axis=1, ddof=1)
        np.testing.assert_allclose(x, sorted(by_fraction))
        np.testing.assert_allclose(mean, table.mean(axis=1))
        np.testing.assert_allclose(high - mean, std, atol=1e-12)
        np.testing.assert_allclose(mean - low, std, atol=1e-12)
        np.testing.assert_array_equal(disp.counts[m], [3, 3, 3])
    assert disp.ax_.get_xscale() == "log"
    assert [t.get_text() for t in disp.ax_.get_xticklabels()] == ["1%", "10%", "100%"]
    _render(disp, tmp_path, "label_efficiency")
    with pytest.raises(ValueError, match="2 datasets"):
        LabelEfficiencyDisplay.from_records(path)
    with pytest.raises(ValueError, match="'nope' has no record"):
        LabelEfficiencyDisplay.from_records(records, dataset="nope")
    with pytest.raises(ValueError, match=r"\['ridge'\] have no 'toy' record"):
        LabelEfficiencyDisplay.from_records(records, dataset="toy", methods=["hepa", "ridge"])
    with pytest.raises(ValueError, match=r"lacks the field\(s\) \['seed'\]"):
        LabelEfficiencyDisplay.from_records(
            [dict(dataset="t", method="a", label_fraction=1.0, h_auroc=0.5)]
        )
    with pytest.raises(ValueError, match="records is empty"):
        LabelEfficiencyDisplay.from_records([])


def test_label_efficiency_from_the_benchmark_records(tmp_path):
    path = REPO / "benchmarks" / "results" / "benchmark.jsonl"
    if not path.is_file():
        pytest.skip("no benchmark records")
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    fd001 = [r for r in records if r["dataset"] == "fd001"]
    if not fd001:
        pytest.skip("no FD001 records")
    disp = LabelEfficiencyDisplay.from_records(records, dataset="fd001")
    assert list(disp.errorbars_) == list(dict.fromkeys(r["method"] for r in fd001))
    latest = {(r["method"], r["label_fraction"], r["seed"]): r["h_auroc"] for r in fd001}
    full = [v for (m, f, _), v in latest.items() if m == "hepa" and f == 1.0]
    x, mean, *_ = _bars(disp.errorbars_["hepa"])
    assert mean[list(x).index(1.0)] == pytest.approx(np.mean(full))
    _render(disp, tmp_path, "label_efficiency_fd001")


def test_label_efficiency_from_values(tmp_path):
    scores = {"a": [[0.6, 0.8], [0.7, np.nan], [0.9, 0.92]], "b": [0.5, 0.6, 0.7]}
    disp = LabelEfficiencyDisplay.from_values([0.05, 0.2, 1.0], scores, dataset="toy")
    x, mean, low, high = _bars(disp.errorbars_["a"])
    np.testing.assert_allclose(mean, [0.7, 0.7, 0.91])
    np.testing.assert_allclose(
        high - mean, [np.std([0.6, 0.8], ddof=1), 0.0, 0.01 * 2**0.5], atol=1e-12
    )
    np.testing.assert_array_equal(disp.counts["a"], [2, 1, 2])
    _, mean_b, low_b, high_b = _bars(disp.errorbars_["b"])
    np.testing.assert_allclose(high_b, mean_b)  # one seed: no spread
    assert "toy" in disp.ax_.get_title()
    _render(disp, tmp_path, "label_efficiency_values")
    with pytest.raises(ValueError, match="one row per label fraction"):
        LabelEfficiencyDisplay.from_values([0.1, 1.0], {"a": [0.5, 0.6, 0.7]})
    with pytest.raises(ValueError, match=r"in \(0, 1\]"):
        LabelEfficiencyDisplay.from_values([0.0, 1.0], {"a": [0.5, 0.6]})
    with pytest.raises(ValueError, match="scores is empty"):
        LabelEfficiencyDisplay.from_values([0.1, 1.0], {})
