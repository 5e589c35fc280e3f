"""Gaps in the data: ``missing="error"`` refuses NaN, ``missing="mask"`` masks it.

With "mask" a NaN is a missing value: the scaling leaves it out, a step whose
sensors are all NaN is masked out of every context (value 0, mask False) and
the baselines carry the last observed value forward. Without NaN both settings
give the same numbers.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch
from conftest import tiny_predictor, tiny_pretrainer
from sklearn.frozen import FrozenEstimator

from sktime_hepa import (
    AgeBaseline,
    HEPAEmbeddings,
    ITransformerEncoder,
    MAEPretrainer,
    PatchTSTEncoder,
    RidgeBaseline,
    SurvivalForestBaseline,
)
from sktime_hepa._rows import PretrainWindows
from sktime_hepa._windows import gather_contexts, gather_futures
from sktime_hepa.datasets import get_data_home, load_gecco
from sktime_hepa.panel import Panel, fit_channel_scaling
from sktime_hepa.surfaces.baselines import _ema_features

HAS_SKSURV = importlib.util.find_spec("sksurv") is not None
_TINY = dict(d_model=16, n_heads=2, n_layers=1, max_epochs=1, batch_size=32, device="cpu")
_TINY_SUP = dict(_TINY, context_length=32, horizons=8, random_state=0)

#: name -> factory(missing) of every estimator with a ``missing`` parameter
FACTORIES = {
    "HEPAPretrainer": lambda m: tiny_pretrainer(missing=m),
    "HEPAEventPredictor": lambda m: tiny_predictor(tiny_pretrainer(), missing=m),
    "MAEPretrainer": lambda m: MAEPretrainer(
        **_TINY, patch_size=4, context_length=32, random_state=0, missing=m
    ),
    "PatchTSTEncoder": lambda m: PatchTSTEncoder(**_TINY_SUP, patch_size=4, d_out=8, missing=m),
    "ITransformerEncoder": lambda m: ITransformerEncoder(**_TINY_SUP, d_out=8, missing=m),
    "AgeBaseline": lambda m: AgeBaseline(horizons=8, missing=m),
    "RidgeBaseline": lambda m: RidgeBaseline(horizons=8, features="raw+age", missing=m),
}
if HAS_SKSURV:
    FACTORIES["SurvivalForestBaseline"] = lambda m: SurvivalForestBaseline(
        horizons=8, n_estimators=5, min_samples_leaf=3, random_state=0, missing=m
    )
NEEDS_Y = {"PatchTSTEncoder", "ITransformerEncoder"}


def _fit(name, est, X, y):
    if name in NEEDS_Y or hasattr(est, "predict_surface"):
        return est.fit(X, y)
    return est.fit(X)


def _output(est, X):
    return est.predict_surface(X) if hasattr(est, "predict_surface") else est.transform(X)


def _gappy(X, rate=0.3, seed=0, cells=0.0):
    """X with ``rate`` of its steps missing (all sensors), and ``cells`` of single values.

    The first step of every series stays observed, so that no sensor starts
    with a gap.
    """
    rng = np.random.default_rng(seed)
    X = X.copy()
    first = np.r_[True, X.index.codes[0][1:] != X.index.codes[0][:-1]]
    steps = (rng.random(len(X)) < rate) & ~first
    X.iloc[steps] = np.nan
    if cells:
        hit = (rng.random(X.shape) < cells) & ~first[:, None]
        X = X.mask(hit)
    return X


@pytest.fixture(scope="module")
def gappy(rtf_data):
    X, y = rtf_data
    return _gappy(X, 0.3), y


@pytest.fixture(scope="module")
def hepa_mask(gappy):
    """A tiny HEPAEventPredictor with missing="mask" fitted on the 30 % gappy data."""
    X, y = gappy
    return tiny_predictor(tiny_pretrainer(missing="mask"), missing="mask").fit(X, y)


# -- missing="error" (the default) -----------------------------------------------------


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_nan_is_refused_by_default_with_a_message_naming_mask(name, gappy):
    X, y = gappy
    est = FACTORIES[name]("error")
    assert est.get_params()["missing"] == "error"
    assert not est.__sklearn_tags__().input_tags.allow_nan
    with pytest.raises(ValueError, match=r"NaN.*missing='mask'"):
        _fit(name, est, X, y)


def test_nan_is_refused_at_predict_time_by_default(rtf_data, fitted_pretrainer, fitted_predictor):
    X, _ = rtf_data
    X = _gappy(X, 0.1)
    with pytest.raises(ValueError, match="missing='mask'"):
        fitted_pretrainer.transform(X)
    with pytest.raises(ValueError, match="missing='mask'"):
        fitted_predictor.predict_surface(X)


# -- missing="mask" ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_mask_fits_and_gives_finite_outputs_on_30_percent_gaps(name, rtf_data):
    X, y = rtf_data
    X = _gappy(X, 0.3, cells=0.05)  # 30 % of the steps, plus 5 % of single values
    est = _fit(name, FACTORIES[name]("mask"), X, y)
    assert est.__sklearn_tags__().input_tags.allow_nan
    out = _output(est, X)
    assert out.shape[0] == len(X) and np.isfinite(out).all()
    if hasattr(est, "predict_surface"):
        assert (out >= 0).all() and (out <= 1).all() and (np.diff(out, axis=1) >= -1e-6).all()


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_mask_without_nan_gives_the_numbers_of_error(name, rtf_data):
    X, y = rtf_data
    a = _output(_fit(name, FACTORIES[name]("error"), X, y), X)
    b = _output(_fit(name, FACTORIES[name]("mask"), X, y), X)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_predictor_fits_its_encoder_with_mask_and_predicts(gappy, hepa_mask):
    X, _ = gappy
    assert hepa_mask.pretrainer_.missing == "mask"
    surface = hepa_mask.predict_surface(X)
    assert np.isfinite(surface).all()
    # a frozen encoder fitted with missing="error" on clean data serves a masking predictor
    pre = tiny_pretrainer().fit(X.groupby(level=0).ffill())
    est = tiny_predictor(FrozenEstimator(pre), missing="mask").fit(X, gappy[1])
    assert np.isfinite(est.predict_surface(X)).all()


def _perturb_after(X, unit, t, seed=1):
    """X with every value of ``unit`` after its step ``t`` changed, NaN pattern included."""
    rng = np.random.default_rng(seed)
    X = X.copy()
    rows = np.flatnonzero(X.index.get_level_values(0) == unit)[t + 1 :]
    block = X.iloc[rows].to_numpy()
    new = np.where(np.isnan(block), rng.normal(size=block.shape), np.nan)  # swap gaps
    new[::2] = 50.0 * rng.normal(size=new[::2].shape)
    X.iloc[rows] = new
    return X, rows[0] - t - 1


def test_causality_holds_with_gaps(gappy, hepa_mask):
    X, y = gappy
    unit, t = X.index.get_level_values(0)[0], 9
    X2, first = _perturb_after(X, unit, t)
    past = np.arange(first, first + t + 1)
    a, b = hepa_mask.predict_surface(X), hepa_mask.predict_surface(X2)
    np.testing.assert_array_equal(a[past], b[past])
    assert not np.array_equal(a[past[-1] + 1 :], b[past[-1] + 1 :])
    H1 = hepa_mask.pretrainer_.transform(X)
    H2 = hepa_mask.pretrainer_.transform(X2)
    np.testing.assert_array_equal(H1[past], H2[past])


@pytest.mark.skipif(not HAS_SKSURV, reason="scikit-survival not installed")
def test_forest_features_with_gaps_stay_causal(gappy):
    X, y = gappy
    est = FACTORIES["SurvivalForestBaseline"]("mask").fit(X, y)
    unit, t = X.index.get_level_values(0)[0], 9
    X2, first = _perturb_after(X, unit, t)
    past = np.arange(first, first + t + 1)
    np.testing.assert_array_equal(est.predict_surface(X)[past], est.predict_surface(X2)[past])


@pytest.mark.parametrize(
    "make",
    [
        lambda: tiny_pretrainer(missing="mask", max_epochs=1),
        lambda: FACTORIES["PatchTSTEncoder"]("mask"),
        lambda: FACTORIES["ITransformerEncoder"]("mask"),
    ],
    ids=["hepa", "patchtst", "itransformer"],
)
def test_a_missing_step_has_no_influence_whatever_its_value(make, gappy):
    """h_t of X with NaN steps == h_t of the same X holding huge values there, masked."""
    X, y = gappy
    est = make()
    est.fit(X, y) if isinstance(est, PatchTSTEncoder | ITransformerEncoder) else est.fit(X)
    H = est.transform(X)
    masked = est.to_rows(X)  # its contexts' mask is False on the NaN steps
    huge = est.to_rows(X.fillna(1e6))  # the same steps observed, with huge values
    sidx, t = masked.panel.rows()
    _, mask = masked.contexts(sidx, t)
    ctx_huge, mask_huge = huge.contexts(sidx, t)
    assert mask_huge.sum() > mask.sum()  # the huge steps would count if unmasked
    encoder = est.encoder_module_.eval()
    with torch.inference_mode():
        h = encoder(ctx_huge, mask).numpy()
    np.testing.assert_allclose(h, H, rtol=1e-5, atol=1e-5)
    with torch.inference_mode():
        h_unmasked = encoder(ctx_huge, mask_huge).numpy()
    assert not np.allclose(h_unmasked, H, atol=1e-3)


def test_scaling_ignores_nan(gappy):
    X, _ = gappy
    values = X.to_numpy()
    mean, scale = fit_channel_scaling([values])
    np.testing.assert_allclose(mean, np.nanmean(values, axis=0), rtol=1e-6)
    np.testing.assert_allclose(scale, np.nanstd(values, axis=0), rtol=1e-6)
    pre = tiny_pretrainer(missing="mask", max_epochs=0).fit(X)
    np.testing.assert_allclose(pre.mean_, np.nanmean(values, axis=0), rtol=1e-6)
    # NaN stays NaN in the scaled panel; observed values are z-scored
    panel = Panel(series=[values.astype(np.float32)], offsets=np.array([0, len(values)]))
    scaled = panel.scaled(mean, scale).series[0]
    assert np.array_equal(np.isnan(scaled), np.isnan(values))
    np.testing.assert_allclose(np.nanmean(scaled, axis=0), 0.0, atol=1e-5)


def test_inf_is_still_refused_with_mask(rtf_data):
    X, y = rtf_data
    X = _gappy(X, 0.1)
    X.iloc[5, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        tiny_pretrainer(missing="mask").fit(X)
    with pytest.raises(ValueError, match="infinity"):
        RidgeBaseline(horizons=8, missing="mask").fit(X, y)


def test_a_sensor_or_series_without_any_observation_is_refused(rtf_data, gappy, hepa_mask):
    X, y = rtf_data
    dead = _gappy(X, 0.1)
    dead.iloc[:, 1] = np.nan
    with pytest.raises(ValueError, match=r"'sensor_1' of X has no observed value"):
        tiny_pretrainer(missing="mask").fit(dead)
    with pytest.raises(ValueError, match="no observed value"):
        RidgeBaseline(horizons=8, missing="mask").fit(dead, y)
    empty = _gappy(X, 0.1)
    unit = empty.index.get_level_values(0)[0]
    empty.loc[unit] = np.nan
    with pytest.raises(ValueError, match=rf"series {int(unit)} of X has no observed value"):
        tiny_pretrainer(missing="mask").fit(empty)
    with pytest.raises(ValueError, match="no observed value"):
        hepa_mask.predict_surface(empty)
    # at predict time a sensor down for the whole X is masked like any other gap
    Xg, _ = gappy
    down = Xg.copy()
    down.iloc[:, 0] = np.nan
    assert np.isfinite(hepa_mask.predict_surface(down)).all()


def test_embeddings_with_nan_stay_an_error(gappy, hepa_mask):
    X, y = gappy
    H = hepa_mask.pretrainer_.transform(X)
    H[3, 2] = np.nan
    est = tiny_predictor("passthrough", missing="mask")
    with pytest.raises(ValueError, match="embeddings with NaN"):
        est.fit(H, y)
    assert isinstance(H, HEPAEmbeddings)


# -- the numpy side --------------------------------------------------------------------


def test_gather_masks_missing_steps_and_zeroes_missing_cells():
    s = np.arange(12, dtype=np.float32).reshape(6, 2)
    s[2] = np.nan  # a missing step
    s[4, 1] = np.nan  # one missing value of an observed step
    x, mask = gather_contexts([s], np.array([0]), np.array([5]), context_length=6, patch_size=4)
    assert x.shape == (1, 8, 2) and np.isfinite(x).all()
    np.testing.assert_array_equal(mask[0], [False, False, True, True, False, True, True, True])
    assert x[0, 4].tolist() == [0.0, 0.0] and x[0, 6].tolist() == [8.0, 0.0]
    fut, fmask = gather_futures([s], np.array([0]), np.array([1]), np.array([3]), patch_size=4)
    np.testing.assert_array_equal(fmask[0], [False, True, True, False])
    assert np.isfinite(fut).all()


def test_pretraining_windows_reach_an_observed_step():
    observed = np.ones(60, dtype=bool)
    observed[10:30] = False  # a long gap
    segments = [(0, 0, 60)]
    kw = dict(stride=1, max_horizon=8, random=True, seed=0)
    plain = PretrainWindows(segments, **kw)
    same = PretrainWindows(segments, **kw, observed=[np.ones(60, dtype=bool)])
    for i in range(len(plain)):  # all observed: the same draws
        assert plain[i] == same[i]
    gappy = PretrainWindows(segments, **kw, observed=[observed])
    for _ in range(3):
        for i in range(len(gappy)):
            _, t, dt = gappy[i]
            assert t + dt <= 59 and observed[t + 1 : t + dt + 1].any()


def test_forest_ema_skips_missing_steps():
    s = np.array([[1.0], [np.nan], [3.0], [np.nan]], dtype=np.float32)
    lead = np.array([[np.nan], [2.0]], dtype=np.float32)  # a sensor that starts with a gap
    panel = Panel(series=[s, lead], offsets=np.array([0, 4, 6]))
    ema = _ema_features(panel, 0.5, fill=np.array([7.0]))
    # held through the gap, updated by the next observation; the leading gap reads the fill
    np.testing.assert_allclose(ema[:, 0], [1.0, 1.0, 2.0, 2.0, 7.0, 2.0])


def test_ridge_reads_the_last_observed_value(gappy):
    X, y = gappy
    est = RidgeBaseline(horizons=8, missing="mask").fit(X, y)
    carried = X.groupby(level=0).ffill()  # no series starts with a gap here
    np.testing.assert_allclose(est.predict_surface(X), est.predict_surface(carried))
    np.testing.assert_allclose(est.fill_values_, np.nanmean(X.to_numpy(), axis=0), rtol=1e-6)


# -- loaders ---------------------------------------------------------------------------


def test_loaders_validate_fill(tmp_path):
    with pytest.raises(ValueError, match="fill must be 'ffill'"):
        load_gecco(data_home=tmp_path, fill="bfill")


@pytest.mark.data
@pytest.mark.skipif(
    not (get_data_home() / "gecco2018").is_dir(), reason="shared GECCO data not found"
)
def test_loader_fill_none_keeps_the_gaps():
    filled, gaps = load_gecco(), load_gecco(fill=None)
    assert not filled.X_train.isna().to_numpy().any()
    nan = gaps.X_train.isna().to_numpy()
    assert nan.any() and not nan.all(axis=0).any()
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(filled[f"labels_{split}"], gaps[f"labels_{split}"])
        np.testing.assert_array_equal(filled[f"y_{split}"], gaps[f"y_{split}"])
    # the observed values are the same readings (z-scored by observed-value statistics)
    raw_gap = gaps.X_train * gaps.zscore_std + gaps.zscore_mean
    raw_fill = filled.X_train * filled.zscore_std + filled.zscore_mean
    np.testing.assert_allclose(
        raw_gap.to_numpy()[~nan], raw_fill.to_numpy()[~nan], rtol=1e-9, atol=1e-9
    )


# -- the benchmark script ----------------------------------------------------------------


def test_missing_benchmark_runs_resumes_and_reports(tmp_path):
    import json

    from benchmarks import missing, report_heads

    out = tmp_path / "missing.jsonl"
    argv = ["--dataset", "synthetic", "--quick", "--rates", "0", "0.5", "--out", str(out)]
    missing.main([*argv, "--method", "hepa"])
    missing.main([*argv, "--skip-existing"])  # hepa is done: only rsf runs
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted((r["method"], r["missing_rate"]) for r in records) == [
        ("hepa", 0.0),
        ("hepa", 0.5),
        ("rsf", 0.0),
        ("rsf", 0.5),
    ]
    for r in records:
        assert 0.0 <= r["h_auroc"] <= 1.0 and r["budget"] == "smoke"
        n = r["n_missing_steps"]
        if r["missing_rate"] == 0:
            assert n == {"train": 0, "test": 0}
        else:  # about half of the steps of each split
            assert 0.35 < n["train"] / r["n_steps"]["train"] < 0.65
    assert report_heads.missing_data_section(out) == []  # quick records are never reported
    for r in records:
        r["budget"] = "default"
    out.write_text("".join(json.dumps(r) + "\n" for r in records))
    table = report_heads.missing_data_section(out)
    assert any(line.startswith("| synthetic | HEPA |") for line in table)
    assert any(line.startswith("| synthetic | RSF |") for line in table)
