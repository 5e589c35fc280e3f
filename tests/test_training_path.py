"""The path from X to the surface: pipelines, fitted state, interrupts, collapse, callbacks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn
import torch
from conftest import TINY_EVENTS, tiny_predictor, tiny_pretrainer
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline
from skorch.callbacks import Callback

from sktime_hepa import (
    CollapseWarning,
    HEPAEventPredictor,
    MAEPretrainer,
    SurfacePipeline,
    _rows,
    make_pipeline,
)
from sktime_hepa.callbacks import MinStepsEarlyStopping
from sktime_hepa.diagnostics import embedding_stats, is_collapsed, sigreg_references
from sktime_hepa.metrics import h_auroc_score, h_auroc_scorer
from sktime_hepa.nn.encoder import HEPAEncoder
from sktime_hepa.nn.hepa import JEPAModule
from sktime_hepa.nn.predictor import HorizonPredictor
from sktime_hepa.panel import series_ids
from sktime_hepa.targets import horizon_labels

# -- public-method arguments -------------------------------------------------------------


@pytest.mark.parametrize("bad", [-5, 0, 2.5, True, "8"])
def test_batch_size_of_inference_methods_is_validated(rtf_data, fitted_predictor, bad):
    X, _ = rtf_data
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        fitted_predictor.predict_surface(X, batch_size=bad)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        fitted_predictor.pretrainer_.transform_rows(X, batch_size=bad)


def test_default_score_is_h_auroc_and_takes_a_structured_y(rtf_data, fitted_predictor):
    X, y = rtf_data
    expected = h_auroc_score(y, fitted_predictor.predict_surface(X))
    assert fitted_predictor.score(X, y) == pytest.approx(expected)


def test_score_reads_per_step_labels_as_fit_does(rtf_data, fitted_pretrainer):
    X, y = rtf_data
    steps = np.where(y["event"] & (y["time"] == 0), "z_fail", "a_ok")  # the failure step
    with pytest.warns(UserWarning, match="z_fail"):
        est = tiny_predictor(FrozenEstimator(fitted_pretrainer)).fit(X, steps)
    binary = (steps == "z_fail").astype(int)
    assert est.score(X, steps) == pytest.approx(h_auroc_scorer(est, X, binary))


# -- pipelines ------------------------------------------------------------------------


def _events(**params):
    """A tiny event predictor for the end of a pipeline (its X are embeddings)."""
    return HEPAEventPredictor(**{**TINY_EVENTS, **params})


def test_make_pipeline_exposes_predict_surface(rtf_data, fitted_pretrainer):
    X, y = rtf_data
    pipe = make_pipeline(FrozenEstimator(fitted_pretrainer), _events()).fit(X, y)
    assert isinstance(pipe, SurfacePipeline) and isinstance(pipe, Pipeline)
    surface = pipe.predict_surface(X)
    manual = pipe[-1].predict_surface(pipe[0].transform(X))
    np.testing.assert_array_equal(surface, manual)
    rows = np.array([0, 5, 17, len(X) - 1])
    np.testing.assert_allclose(pipe.predict_surface(X, rows=rows), surface[rows], atol=1e-6)
    assert pipe.predict_proba(X).shape == (len(X), 2)


def test_pipeline_grid_search_with_grouped_cv_and_surface_scorer(rtf_data, fitted_pretrainer):
    X, y = rtf_data
    pipe = make_pipeline(FrozenEstimator(fitted_pretrainer), _events())
    search = GridSearchCV(
        pipe,
        {"hepaeventpredictor__lr": [1e-3, 3e-3]},
        cv=GroupKFold(n_splits=3),
        scoring=h_auroc_scorer,
    ).fit(X, y, groups=series_ids(X))
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.predict_surface(X).shape == (len(X), 8)


def test_pandas_output_keeps_embeddings_embeddings(rtf_data, fitted_pretrainer):
    """Under transform_output="pandas" the embeddings arrive as a frame; no second encoder."""
    X, y = rtf_data
    plain = make_pipeline(FrozenEstimator(fitted_pretrainer), _events()).fit(X, y)
    with sklearn.config_context(transform_output="pandas"):
        framed = make_pipeline(FrozenEstimator(fitted_pretrainer), _events()).fit(X, y)
        H = framed[0].transform(X)
        assert list(H.columns[:2]) == ["hepa0", "hepa1"]
        assert framed[-1].pretrainer_ is None  # read as embeddings, not pretrained on
        assert framed[-1].n_features_in_ == fitted_pretrainer.d_model
        np.testing.assert_allclose(framed.predict_surface(X), plain.predict_surface(X), atol=1e-6)


def test_an_encoder_after_an_encoder_is_refused(rtf_data, fitted_pretrainer):
    """Embeddings reaching an estimator that would encode them again: say so."""
    X, y = rtf_data
    pipe = make_pipeline(FrozenEstimator(fitted_pretrainer), tiny_predictor())
    with pytest.raises(ValueError, match="would encode them again"):
        pipe.fit(X, y)


# -- fitted state only when fit succeeds ---------------------------------------------------


def _state(est):
    return {k: v for k, v in vars(est).items() if k.endswith("_")}


def test_failed_refit_leaves_the_fitted_estimator_untouched(rtf_data, fitted_pretrainer):
    X, y = rtf_data
    est = tiny_predictor(FrozenEstimator(fitted_pretrainer)).fit(X, y)
    before, surface = _state(est), est.predict_surface(X)
    other = X.rename(columns=lambda c: f"other_{c}")
    with pytest.raises(ValueError, match="feature names"):
        est.fit(other, y)  # the frozen pretrainer knows other sensor names
    after = _state(est)
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before)
    np.testing.assert_array_equal(est.predict_surface(X), surface)


class _Interrupt(Callback):
    """Press Ctrl-C at the end of epoch ``at``."""

    def __init__(self, at=2):
        self.at = at

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.at:
            raise KeyboardInterrupt


def test_ctrl_c_during_fit_propagates_and_leaves_no_fitted_state(rtf_data):
    X, y = rtf_data
    pre = tiny_pretrainer(max_epochs=6, callbacks=[_Interrupt(2)])
    with pytest.raises(KeyboardInterrupt):
        pre.fit(X)
    assert not hasattr(pre, "net_") and not hasattr(pre, "n_features_in_")
    est = tiny_predictor(tiny_pretrainer(max_epochs=1), max_epochs=6, callbacks=[_Interrupt(2)])
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert not hasattr(est, "net_") and not hasattr(est, "pretrainer_")


def test_early_stopping_is_not_an_interrupt(rtf_data):
    X, _ = rtf_data
    pre = tiny_pretrainer(max_epochs=30, patience=1, lr=1e-9).fit(X)  # no improvement: stops
    assert len(pre.history_) < 30


def test_callbacks_are_copied_per_fit_and_validated(rtf_data):
    X, _ = rtf_data

    class Count(Callback):
        def initialize(self):
            self.epochs_ = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs_ += 1

    counter = Count()
    pre = tiny_pretrainer(callbacks=[("count", counter)]).fit(X)
    assert dict(pre.net_.callbacks_)["count"].epochs_ == 2 and not hasattr(counter, "epochs_")
    with pytest.raises(ValueError, match="not a skorch.callbacks.Callback"):
        tiny_pretrainer(callbacks=[print]).fit(X)


# -- whole-history contexts --------------------------------------------------------------


def test_whole_history_is_bounded_and_says_so(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2)).cumsum(axis=0)
    y = np.zeros(300, dtype=int)
    y[::50] = 1
    monkeypatch.setattr(_rows, "MAX_HISTORY", 64)
    with pytest.warns(_rows.ContextLengthWarning, match="cut to the last 64 steps"):
        est = tiny_predictor(tiny_pretrainer(context_length=None)).fit(X, y)
    bounded = tiny_predictor(tiny_pretrainer(context_length=64)).fit(X, y)
    with pytest.warns(_rows.ContextLengthWarning):
        surface = est.predict_surface(X)
    np.testing.assert_allclose(surface, bounded.predict_surface(X), atol=1e-6)


# -- collapse diagnostics -------------------------------------------------------------------


def test_embedding_stats_reference_values():
    rng = np.random.default_rng(0)
    spread = embedding_stats(rng.normal(size=(512, 32)))
    assert spread["rank"] > 25 and abs(spread["cos"]) < 0.2 and not is_collapsed(spread)
    one = rng.normal(size=32)
    collapsed = embedding_stats(one + 1e-3 * rng.normal(size=(512, 32)))
    assert collapsed["cos"] > 0.999 and is_collapsed(collapsed)
    line = embedding_stats(np.outer(rng.normal(size=512), one))
    assert line["rank"] == pytest.approx(1.0) and is_collapsed(line)
    refs = sigreg_references(torch.from_numpy(one).expand(64, -1), batch_size=64)
    # SIGReg of N(0, I) is O(1); of a constant batch it grows with the batch size
    assert refs["sigreg_gauss_ref"] < 3 < 15 < refs["sigreg_const_ref"]


class _CollapseEncoder(Callback):
    """Force collapse: the encoder's final LayerNorm outputs its bias alone."""

    def on_train_begin(self, net, **kwargs):
        ln = net.module_.encoder.ln_f
        with torch.no_grad():
            ln.weight.zero_()
            ln.bias.normal_()
        ln.weight.requires_grad_(False)


def test_collapse_is_recorded_per_epoch_and_warned(rtf_data):
    X, _ = rtf_data
    with warnings.catch_warnings():
        warnings.simplefilter("error", CollapseWarning)
        healthy = tiny_pretrainer(max_epochs=3).fit(X)
    for key in ("h_std", "h_rank", "h_cos", "pred_std", "pred_rank"):
        assert len(healthy.history_[:, key]) == 3, key
    assert healthy.history_[-1, "sigreg_gauss_ref"] < healthy.history_[-1, "sigreg_const_ref"]
    assert not is_collapsed(healthy.collapse_stats_)
    forced = tiny_pretrainer(max_epochs=3, callbacks=[_CollapseEncoder()])
    with pytest.warns(CollapseWarning, match="collapsed"):
        forced.fit(X)
    assert forced.history_[-1, "h_cos"] > 0.999 and is_collapsed(forced.collapse_stats_)


# -- objective variants ------------------------------------------------------------------


def test_ema_target_follows_the_encoder(rtf_data):
    X, _ = rtf_data
    pre = tiny_pretrainer(target_encoder="ema", ema_momentum=0.5, max_epochs=2).fit(X)
    module = pre.net_.module_
    enc = dict(module.encoder.named_parameters())
    tgt = dict(module.target_encoder.named_parameters())
    assert not any(p.requires_grad for p in tgt.values())
    assert any(not torch.equal(enc[k], tgt[k]) for k in enc)  # lags behind, not a copy
    module.update_target(0.0)  # momentum 0: the target becomes the encoder
    assert all(torch.equal(enc[k], tgt[k]) for k in enc)
    assert pre.transform(X).shape == (len(X), 16)


def test_sigreg_on_all_regularises_h_and_target():
    enc = HEPAEncoder(n_channels=2, d_model=8, n_layers=1, n_heads=2, patch_size=2, dropout=0.0)
    jepa = JEPAModule(encoder=enc, predictor=HorizonPredictor(d_model=8, hidden=8))
    ctx, mask = torch.randn(16, 8, 2), torch.ones(16, 8, dtype=bool)
    out = jepa(ctx, mask, ctx[:, :4], mask[:, :4], torch.ones(16))
    from sktime_hepa.nn.losses import JEPALoss

    torch.manual_seed(0)
    _, only = JEPALoss(sigreg_on="predictor")(out)
    torch.manual_seed(0)
    _, all_ = JEPALoss(sigreg_on="all")(out)
    assert only["l1"] == all_["l1"] and only["sigreg"] != all_["sigreg"]


def test_standardize_stores_the_scaler_in_the_network(rtf_data, fitted_pretrainer):
    X, y = rtf_data
    est = tiny_predictor(FrozenEstimator(fitted_pretrainer), standardize=True).fit(X, y)
    scaler = est.net_.module_.scaler
    H = fitted_pretrainer.transform(X)
    labelled = H[horizon_labels(y, 8)[1].any(axis=1)]
    np.testing.assert_allclose(scaler.mean.numpy(), labelled.mean(0), atol=1e-5)
    surface = est.predict_surface(X)
    assert surface.shape == (len(X), 8) and (np.diff(surface, axis=1) >= 0).all()
    with pytest.raises(ValueError, match="standardize=True"):
        tiny_predictor(
            FrozenEstimator(fitted_pretrainer), standardize=True, finetune="scratch"
        ).fit(X, y)


def test_whiten_gives_the_labelled_embeddings_identity_covariance(rtf_data, fitted_pretrainer):
    X, y = rtf_data
    est = tiny_predictor(FrozenEstimator(fitted_pretrainer), standardize="whiten").fit(X, y)
    whitener = est.net_.module_.scaler
    H = fitted_pretrainer.transform(X)
    labelled = torch.as_tensor(H[horizon_labels(y, 8)[1].any(axis=1)])
    Z = whitener(labelled).double().numpy()
    eig = np.linalg.eigvalsh(np.cov(Z.T))
    # every direction the rows use gets unit variance; LayerNorm's output has one
    # direction of exactly zero variance, which no scaling can fill
    assert np.allclose(eig[1:], 1.0, atol=1e-3) and eig[0] < 1e-6
    assert np.allclose(Z.mean(0), 0, atol=1e-4)
    with pytest.raises(ValueError, match="standardize='whiten'"):
        tiny_predictor(
            FrozenEstimator(fitted_pretrainer), standardize="whiten", finetune="scratch"
        ).fit(X, y)
    with pytest.raises(ValueError, match="standardize"):
        tiny_predictor(FrozenEstimator(fitted_pretrainer), standardize="pca").fit(X, y)


def test_any_encoder_fills_the_slot(rtf_data):
    X, y = rtf_data
    mae = MAEPretrainer(
        d_model=16, n_heads=2, n_layers=1, patch_size=4, context_length=32, max_epochs=1
    ).set_params(device="cpu", random_state=0)
    est = HEPAEventPredictor(mae, horizons=8, max_epochs=1, device="cpu", random_state=0).fit(X, y)
    assert isinstance(est.pretrainer_, MAEPretrainer)
    assert est.predict_surface(X).shape == (len(X), 8)


# -- heads that do not stop at their random start -----------------------------------------


@pytest.mark.parametrize("min_steps, stops_early", [(0, True), (10_000, False)])
def test_min_steps_holds_early_stopping(rtf_data, fitted_pretrainer, min_steps, stops_early):
    X, y = rtf_data
    est = tiny_predictor(
        FrozenEstimator(fitted_pretrainer),
        max_epochs=12,
        patience=1,
        lr=1e-9,  # the validation loss cannot improve: patience alone would stop at once
        min_steps=min_steps,
    ).fit(X, y)
    assert (len(est.history_) < 12) == stops_early
    stopper = dict(est.net_.callbacks_)["early_stopping"]
    assert isinstance(stopper, MinStepsEarlyStopping) and stopper.stopped_ == stops_early


def test_valid_auroc_is_recorded_and_can_be_monitored(rtf_data, fitted_pretrainer):
    X, y = rtf_data
    est = tiny_predictor(
        FrozenEstimator(fitted_pretrainer), monitor="valid_auroc", max_epochs=3
    ).fit(X, y)
    scores = est.history_[:, "valid_auroc"]
    assert len(scores) == 3 and all(0.0 <= s <= 1.0 for s in scores)


@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_mixed_precision_trains_in_float32_weights(rtf_data, precision):
    X, y = rtf_data
    base = tiny_predictor(max_epochs=3).fit(X, y)
    mixed = tiny_predictor(max_epochs=3, precision=precision).fit(X, y)
    assert next(mixed.net_.module_.parameters()).dtype == torch.float32
    assert mixed.net_.grad_scaler_ is None  # training state is not kept
    # the two networks as trained (each fit's held-out probability map would add its own noise)
    S0, S1 = (m.set_params(probability="weighted").predict_surface(X) for m in (base, mixed))
    assert S1.dtype == np.float32 and np.isfinite(S1).all()
    assert np.all(np.diff(S1, axis=1) >= 0)
    # autocast changes the arithmetic, not the model: surfaces stay close (float16's
    # loss scaler skips the first steps whose scaled gradients overflow)
    assert np.abs(S1 - S0).max() < 0.25
    assert not np.array_equal(S1, S0)
    assert np.isfinite([row["train_loss"] for row in mixed.history_]).all()


def test_unknown_precision_is_refused(rtf_data):
    X, y = rtf_data
    with pytest.raises(ValueError, match="precision"):
        tiny_predictor(precision="float8").fit(X, y)


def test_verbose_2_shows_progress_bars(rtf_data, fitted_pretrainer, capsys):
    X, y = rtf_data
    model = tiny_predictor(FrozenEstimator(fitted_pretrainer), max_epochs=1, verbose=2).fit(X, y)
    fit_err = capsys.readouterr().err
    model.predict_surface(X, batch_size=64)
    pred_err = capsys.readouterr().err
    fitted_pretrainer.transform_rows(X, batch_size=64)  # verbose=0: no bar
    quiet = capsys.readouterr().err
    assert "/" in fit_err and "it" in fit_err  # skorch's ProgressBar over the batches
    n_chunks = -(-len(X) // 64)
    assert "surface" in pred_err and f"{n_chunks}/{n_chunks}" in pred_err
    assert "embedding" not in quiet


def test_weight_decay_reaches_weight_matrices_only(rtf_data, fitted_pretrainer):
    X, y = rtf_data
    model = tiny_predictor(fitted_pretrainer, max_epochs=1).fit(X, y)
    names = {id(p): n for n, p in model.net_.module_.named_parameters()}
    decay, rest = model.net_.optimizer_.param_groups
    assert decay["weight_decay"] == model.weight_decay and rest["weight_decay"] == 0.0
    decayed = [names[id(p)] for p in decay["params"]]
    kept = [names[id(p)] for p in rest["params"]]
    assert decayed and all(n.endswith(".weight") and "norm" not in n for n in decayed)
    assert any(n.endswith(".bias") for n in kept) and any("norm" in n for n in kept)
    # the frozen encoder reaches neither group
    assert not any(n.startswith("encoder.") for n in decayed + kept)
    # the pretrainer: positional queries and LayerNorm gains are not decayed
    groups = fitted_pretrainer.net_.optimizer_.param_groups
    names = {id(p): n for n, p in fitted_pretrainer.net_.module_.named_parameters()}
    kept = {names[id(p)] for p in groups[1]["params"]}
    assert {"encoder.pool.query", "encoder.ln_f.weight", "encoder.blocks.0.ln_1.weight"} <= kept


def test_reconstruction_term_learns_the_last_patch(rtf_data):
    X, _ = rtf_data
    pre = tiny_pretrainer(
        reconstruction_weight=1.0, normalization="instance_stats", max_epochs=12, lr=3e-3, stride=1
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pre.fit(X)
    ratios = pre.history_[:, "recon_ratio"]
    # the decoder starts at about the mean predictor's error and learns well below it
    assert ratios[0] > 0.5 and ratios[-1] < 0.3
    assert isinstance(pre.net_.module_.decoder, torch.nn.Linear)
    # the term is off by default: no decoder, no history key
    assert tiny_pretrainer().reconstruction_weight == 0.0


def test_reconstruction_target_is_what_the_encoder_sees():
    enc = HEPAEncoder(n_channels=2, d_model=8, n_layers=1, n_heads=2, patch_size=2, dropout=0.0)
    width = JEPAModule.decoder_width(enc, 2)
    jepa = JEPAModule(
        encoder=enc,
        predictor=HorizonPredictor(d_model=8, hidden=8),
        decoder=torch.nn.Linear(8, width),
    )
    ctx, mask = torch.randn(4, 8, 2), torch.ones(4, 8, dtype=bool)
    mask[0, -1] = False  # a missing last step is not scored
    out = jepa(ctx, mask, ctx[:, :4], mask[:, :4], torch.ones(4))
    recon, values, counted = out[3:]
    assert recon.shape == values.shape == counted.shape == (4, width)
    mean, std = enc.context_stats(ctx, mask)
    assert torch.allclose(values[1, :4], ((ctx[1, -2:] - mean[1]) / std[1]).reshape(-1))
    assert not counted[0, 2:4].any() and counted[0, :2].all()
