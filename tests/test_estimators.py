"""Behaviour of HEPAPretrainer and HEPAEventPredictor on small run-to-failure data."""

from __future__ import annotations

import copy
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from conftest import tiny_predictor, tiny_pretrainer, to_numpy3d
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline

from sktime_hepa import HEPAEmbeddings, HEPAEventPredictor, HEPAPretrainer
from sktime_hepa.datasets import make_run_to_failure
from sktime_hepa.metrics import h_auroc_scorer
from sktime_hepa.panel import series_ids
from sktime_hepa.targets import target_from_event_labels

K = 8  # horizons of the tiny predictor


def _state(module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _units(X, units):
    """The rows of the given series, in the given order of series."""
    return X.loc[list(units)]


@pytest.fixture(scope="module")
def equal_length_data():
    """4 uncensored units of 24 cycles each (so a 3-D array holds them)."""
    return make_run_to_failure(
        4,
        n_sensors=3,
        n_conditions=1,
        min_life=24,
        max_life=24,
        censor_fraction=0.0,
        random_state=1,
    )


# -- surfaces -----------------------------------------------------------------------------


def test_surface_shape_range_monotone(rtf_data, fitted_predictor):
    X, _ = rtf_data
    surface = fitted_predictor.predict_surface(X)
    assert surface.shape == (len(X), K)
    assert surface.dtype == np.float32
    assert np.isfinite(surface).all()
    assert (surface >= 0).all() and (surface <= 1).all()
    assert (np.diff(surface, axis=1) >= 0).all()


@pytest.mark.parametrize("horizon", [None, 1, 3, K])
def test_predict_proba_is_the_surface_at_horizon(rtf_data, fitted_predictor, horizon):
    X, _ = rtf_data
    est = copy.deepcopy(fitted_predictor).set_params(horizon=horizon)
    surface = est.predict_surface(X)
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(proba[:, 1], surface[:, (horizon or K) - 1])
    pred = est.predict(X)
    np.testing.assert_array_equal(pred, est.classes_[(proba[:, 1] > 0.5).astype(int)])


def test_per_step_labels_are_read_per_series(rtf_data, fitted_pretrainer):
    X, y = rtf_data
    labels = (y["event"] & (y["time"] == 0)).astype(int)  # the failure step of each unit
    est = tiny_predictor(FrozenEstimator(fitted_pretrainer)).fit(X, labels)
    np.testing.assert_array_equal(est.classes_, [0, 1])
    from_labels = target_from_event_labels(labels, groups=series_ids(X))
    direct = tiny_predictor(FrozenEstimator(fitted_pretrainer)).fit(X, from_labels)
    np.testing.assert_array_equal(est.predict_surface(X), direct.predict_surface(X))
    assert est.pos_weight_ == direct.pos_weight_


def test_string_labels_keep_their_classes(rtf_data, fitted_pretrainer):
    X, y = rtf_data
    labels = np.where(y["event"] & (y["time"] == 0), "z_fail", "a_ok")
    est = tiny_predictor(FrozenEstimator(fitted_pretrainer)).fit(X, labels)
    np.testing.assert_array_equal(est.classes_, ["a_ok", "z_fail"])
    assert set(est.predict(X)) <= {"a_ok", "z_fail"}


# -- finetuning modes ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def finetuned(rtf_data, fitted_pretrainer):
    """Each finetune mode fitted twice on the frozen pretrainer: 0 and 2 epochs."""
    X, y = rtf_data
    frozen = FrozenEstimator(fitted_pretrainer)
    return {
        (mode, epochs): tiny_predictor(frozen, finetune=mode, max_epochs=epochs).fit(X, y)
        for mode in ("predictor", "probe", "end_to_end", "scratch")
        for epochs in (0, 2)
    }


@pytest.mark.parametrize("mode", ["predictor", "probe", "end_to_end", "scratch"])
def test_finetune_modes_train_and_freeze_the_right_parts(mode, finetuned, fitted_pretrainer):
    pre = fitted_pretrainer.net_.module_
    before = finetuned[mode, 0].net_.module_  # the same start, no epochs
    after = finetuned[mode, 2].net_.module_
    trained = {
        "predictor": {"predictor", "head"},
        "probe": {"head"},
        "end_to_end": {"encoder", "predictor", "head"},
        "scratch": {"encoder", "predictor", "head"},
    }[mode]
    if mode == "probe":
        # the paper's linear probe reads h_t itself: no predictor in the network
        assert before.predictor is None and after.predictor is None
    for part in ("encoder", "predictor", "head"):
        if getattr(after, part) is None:
            continue
        grads = {p.requires_grad for p in getattr(after, part).parameters()}
        assert grads == {part in trained}, part
        changed = not _same_weights(_state(getattr(before, part)), _state(getattr(after, part)))
        # the attention-pool query of the encoder only serves pretraining targets
        assert changed == (part in trained), part
    # where training starts: pretrained weights except in "scratch"
    for part in ("encoder", "predictor") if mode != "probe" else ("encoder",):
        pretrained = _same_weights(_state(getattr(pre, part)), _state(getattr(before, part)))
        assert pretrained == (mode != "scratch"), part
    # the frozen pretrainer is used as is; "scratch" borrows only its architecture
    used = finetuned[mode, 2].pretrainer_
    if mode == "scratch":
        assert used is not fitted_pretrainer
        assert used.get_params() == fitted_pretrainer.get_params() | {"max_epochs": 0}
    else:
        assert used is fitted_pretrainer


def test_finetune_modes_parameter_counts(finetuned, fitted_pretrainer):
    pre = fitted_pretrainer.n_parameters_
    counts = {mode: finetuned[mode, 2].n_parameters_ for mode in ("predictor", "probe")}
    counts.update({m: finetuned[m, 2].n_parameters_ for m in ("end_to_end", "scratch")})
    n_head = 2 * 16 + 16 + 1  # LayerNorm(16) + Linear(16, 1)
    total = pre["encoder"] + pre["predictor"] + n_head
    n_probe = 16 + 1  # Linear(16, 1) on h_t: the paper's 257 parameters at d=256
    assert {c["total"] for m, c in counts.items() if m != "probe"} == {total}
    assert counts["probe"] == {"total": pre["encoder"] + n_probe, "trained": n_probe}
    assert counts["predictor"]["trained"] == pre["predictor"] + n_head
    assert counts["end_to_end"]["trained"] == total
    assert counts["scratch"]["trained"] == total
    assert pre == {"encoder": pre["encoder"], "predictor": 16 * 17 + 16 + 16 * 16 + 16}


def test_finetune_modes_give_valid_surfaces(rtf_data, finetuned):
    X, _ = rtf_data
    for est in finetuned.values():
        surface = est.predict_surface(X)
        assert surface.shape == (len(X), K)
        assert (np.diff(surface, axis=1) >= 0).all()


def test_scratch_and_end_to_end_pretrain_when_unfrozen(rtf_data, monkeypatch):
    X, y = rtf_data
    epochs = []
    fit = HEPAPretrainer.fit

    def counting_fit(self, X, y=None):
        epochs.append(self.max_epochs)
        return fit(self, X, y)

    monkeypatch.setattr(HEPAPretrainer, "fit", counting_fit)
    tiny_predictor(finetune="end_to_end", max_epochs=1).fit(X, y)
    tiny_predictor(finetune="scratch", max_epochs=1).fit(X, y)
    assert epochs == [2, 0]  # "scratch" builds the architecture without pretraining


# -- reproducibility ---------------------------------------------------------------------------


def test_same_random_state_same_surface(rtf_data):
    X, y = rtf_data
    a = tiny_predictor(random_state=3).fit(X, y).predict_surface(X)
    b = tiny_predictor(random_state=3).fit(X, y).predict_surface(X)
    np.testing.assert_array_equal(a, b)
    c = tiny_predictor(tiny_pretrainer(random_state=1), random_state=4).fit(X, y)
    assert not np.allclose(a, c.predict_surface(X))


def test_pretrainer_random_state(rtf_data, fitted_pretrainer):
    X, _ = rtf_data
    H = fitted_pretrainer.transform(X)
    np.testing.assert_array_equal(H, tiny_pretrainer().fit(X).transform(X))
    assert not np.allclose(H, tiny_pretrainer(random_state=1).fit(X).transform(X))


def test_fit_leaves_global_torch_rng_alone(rtf_data, fitted_pretrainer):
    X, y = rtf_data
    H = fitted_pretrainer.transform(X)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    tiny_pretrainer(max_epochs=1).fit(X)
    tiny_predictor(FrozenEstimator(fitted_pretrainer), max_epochs=1).fit(X, y)
    HEPAEventPredictor("passthrough", horizons=K, max_epochs=1, device="cpu").fit(H, y)
    np.testing.assert_array_equal(torch.rand(3), expected)


# -- sklearn API -----------------------------------------------------------------------------


def test_get_params_set_params_clone(fitted_predictor):
    est = tiny_predictor()
    params = est.get_params(deep=True)
    assert params["pretrainer__d_model"] == 16 and params["horizons"] == K
    est.set_params(pretrainer__d_model=8, lr=0.01)
    assert est.pretrainer.d_model == 8 and est.lr == 0.01
    cloned = clone(est)
    assert cloned is not est and cloned.pretrainer is not est.pretrainer
    assert cloned.get_params(deep=True) == est.get_params(deep=True) | {
        "pretrainer": cloned.pretrainer
    }
    # a fitted estimator clones to an unfitted one; a frozen pretrainer is kept as is
    refit = clone(fitted_predictor)
    assert not hasattr(refit, "net_")
    assert refit.pretrainer is fitted_predictor.pretrainer
    pre = clone(fitted_predictor.pretrainer_)
    assert not hasattr(pre, "net_") and pre.get_params() == tiny_pretrainer().get_params()


@pytest.mark.parametrize("which", ["pretrainer", "predictor"])
@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_persistence_round_trip(
    rtf_data, fitted_pretrainer, fitted_predictor, which, how, tmp_path
):
    X, _ = rtf_data
    est = fitted_pretrainer if which == "pretrainer" else fitted_predictor
    predict = est.transform if which == "pretrainer" else est.predict_surface
    if how == "pickle":
        loaded = pickle.loads(pickle.dumps(est))
    else:
        joblib.dump(est, tmp_path / "est.joblib")
        loaded = joblib.load(tmp_path / "est.joblib")
    again = loaded.transform if which == "pretrainer" else loaded.predict_surface
    np.testing.assert_array_equal(predict(X), again(X))
    if which == "predictor":
        np.testing.assert_array_equal(est.predict_proba(X), loaded.predict_proba(X))


def test_pickle_holds_no_training_data():
    sizes = []
    for n_units in (4, 100):
        X, _ = make_run_to_failure(
            n_units, n_sensors=3, n_conditions=1, min_life=100, max_life=100, random_state=0
        )
        pre = tiny_pretrainer(max_epochs=1, stride=50, batch_size=256).fit(X)
        sizes.append(len(pickle.dumps(pre)))
    # 9,600 more rows of 3 float32 sensors would add 115 kB
    assert sizes[1] - sizes[0] < 10_000


# -- Pipeline and grid search ----------------------------------------------------------------


def test_pipeline_predicts_from_embeddings(rtf_data):
    X, y = rtf_data
    pipe = Pipeline(
        [
            ("encode", tiny_pretrainer()),
            ("events", HEPAEventPredictor(horizons=K, max_epochs=2, device="cpu", random_state=0)),
        ]
    ).fit(X, y)
    events = pipe.named_steps["events"]
    assert events.pretrainer_ is None and events.n_features_in_ == 16
    H = pipe.named_steps["encode"].transform(X)
    assert isinstance(H, HEPAEmbeddings)
    surface = events.predict_surface(H)
    assert surface.shape == (len(X), K) and (np.diff(surface, axis=1) >= 0).all()
    np.testing.assert_array_equal(pipe.predict_proba(X)[:, 1], surface[:, K - 1])
    np.testing.assert_array_equal(pipe.predict(X), events.predict(H))
    assert np.isfinite(h_auroc_scorer(pipe, X, y))
    # "passthrough" reads any array as embeddings, also a plain one
    plain = HEPAEventPredictor("passthrough", horizons=K, max_epochs=2, random_state=0)
    plain.set_params(device="cpu").fit(np.asarray(H), y)
    assert plain.predict_surface(np.asarray(H)).shape == (len(X), K)


def test_pipeline_per_step_labels_stay_within_series(rtf_data):
    X, y = rtf_data
    labels = (y["event"] & (y["time"] == 0)).astype(int)
    encode = tiny_pretrainer().fit(X)
    H = encode.transform(X)
    np.testing.assert_array_equal(H.groups, pd.factorize(series_ids(X))[0])
    assert H[:10].groups is None  # a slice no longer knows its series
    events = HEPAEventPredictor(horizons=K, max_epochs=2, device="cpu", random_state=0)
    a = events.fit(H, labels).predict_surface(H)
    b = clone(events).fit(H, target_from_event_labels(labels, groups=H.groups))
    np.testing.assert_array_equal(a, b.predict_surface(H))


def test_grid_search_does_not_refit_frozen_pretrainer(rtf_data, fitted_pretrainer, monkeypatch):
    X, y = rtf_data
    net, weights = fitted_pretrainer.net_, _state(fitted_pretrainer.net_.module_)
    calls = []
    fit = HEPAPretrainer.fit

    def counting_fit(self, *args, **kwargs):
        calls.append(self)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(HEPAPretrainer, "fit", counting_fit)
    search = GridSearchCV(
        tiny_predictor(FrozenEstimator(fitted_pretrainer), max_epochs=1),
        {"lr": [1e-3, 1e-2]},
        cv=GroupKFold(n_splits=2),
        scoring=h_auroc_scorer,
        error_score="raise",
    ).fit(X, y, groups=series_ids(X))
    assert calls == []
    assert fitted_pretrainer.net_ is net
    assert _same_weights(weights, _state(fitted_pretrainer.net_.module_))
    assert search.best_estimator_.pretrainer_ is fitted_pretrainer
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert np.isfinite(search.score(X, y))


# -- input formats -------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_input_formats_give_the_same_surface(equal_length_data, fitted_predictor):
    X, _ = equal_length_data
    X3 = to_numpy3d(X)
    assert X3.shape == (4, 3, 24)
    frame = fitted_predictor.predict_surface(X)
    array3d = fitted_predictor.predict_surface(X3)
    assert frame.shape == array3d.shape == (len(X), K)
    np.testing.assert_allclose(frame, array3d, rtol=0, atol=1e-6)
    first = X.loc[X.index.get_level_values(0)[0]].to_numpy()  # one series as a 2-D array
    single = fitted_predictor.predict_surface(first)
    assert single.shape == (24, K)
    np.testing.assert_allclose(single, frame[:24], rtol=0, atol=1e-5)
    np.testing.assert_allclose(
        fitted_predictor.pretrainer_.transform(X3),
        fitted_predictor.pretrainer_.transform(X),
        rtol=0,
        atol=1e-6,
    )


@pytest.mark.parametrize("fmt", ["frame", "2d", "3d"])
def test_fit_on_each_format(equal_length_data, fmt):
    X, y = equal_length_data
    if fmt == "2d":
        X, y = X.loc[1].to_numpy(), y[:24]
    elif fmt == "3d":
        X = to_numpy3d(X)
    pre = tiny_pretrainer(max_epochs=1).fit(X)
    n_rows = 24 if fmt == "2d" else 96
    assert pre.transform(X).shape == (n_rows, 16)
    est = tiny_predictor(FrozenEstimator(pre), max_epochs=1).fit(X, y)
    assert est.predict_surface(X).shape == (n_rows, K)
    assert est.n_features_in_ == pre.n_features_in_ == 3


def test_feature_names(rtf_data, fitted_pretrainer, fitted_predictor):
    X, _ = rtf_data
    np.testing.assert_array_equal(fitted_pretrainer.feature_names_in_, X.columns)
    np.testing.assert_array_equal(fitted_predictor.feature_names_in_, X.columns)
    names = fitted_pretrainer.get_feature_names_out()
    assert list(names) == [f"hepa{i}" for i in range(16)]


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_series_shorter_than_a_patch_is_padded(rtf_data, fitted_predictor):
    X, _ = rtf_data
    short = X.loc[[1]].iloc[:2].rename(index={1: 99}, level=0)  # 2 steps < patch_size 4
    one = X.loc[[2]].iloc[:1].rename(index={2: 98}, level=0)  # a single step
    mixed = pd.concat([short, X.loc[[3, 4]], one])
    surface = fitted_predictor.predict_surface(mixed)
    assert surface.shape == (len(mixed), K)
    assert np.isfinite(surface).all()
    assert fitted_predictor.predict_surface(short.to_numpy()).shape == (2, K)
    # and fitting on data with such series keeps every row too
    est = tiny_predictor(max_epochs=1).fit(mixed, np.r_[0, 1, np.zeros(len(mixed) - 2, int)])
    assert est.predict_surface(mixed).shape == (len(mixed), K)


def test_series_order_invariance(rtf_data, fitted_pretrainer, fitted_predictor):
    """Permuting whole series permutes the rows: the analogue of sklearn's check."""
    X, _ = rtf_data
    units = X.index.get_level_values(0).unique()
    shuffled = _units(X, units[np.random.default_rng(0).permutation(len(units))])
    order = pd.Series(np.arange(len(X)), index=X.index).loc[shuffled.index].to_numpy()
    full = fitted_predictor.predict_surface(X)
    np.testing.assert_allclose(fitted_predictor.predict_surface(shuffled), full[order], atol=1e-5)
    H = fitted_pretrainer.transform(X)
    np.testing.assert_allclose(fitted_pretrainer.transform(shuffled), H[order], atol=1e-5)


def test_series_subset_invariance(rtf_data, fitted_predictor):
    """Predicting some whole series gives their rows of the full prediction."""
    X, _ = rtf_data
    full = fitted_predictor.predict_surface(X)
    units = X.index.get_level_values(0)
    for subset in ([1], [2, 5], [12, 3, 7]):
        rows = np.flatnonzero(np.isin(units, subset))
        part = fitted_predictor.predict_surface(_units(X, sorted(subset)))
        np.testing.assert_allclose(part, full[rows], atol=1e-5)


# -- fit diagnostics -----------------------------------------------------------------------------


def test_pretrainer_history(fitted_pretrainer):
    history = fitted_pretrainer.history_
    assert len(history) == 2  # max_epochs
    for epoch in history:
        for key in ("train_loss", "train_l1", "train_sigreg", "valid_loss"):
            assert np.isfinite(epoch[key]), key
    assert history[-1, "epoch"] == 2


def test_predictor_history(fitted_predictor):
    assert len(fitted_predictor.history_) == 2
    assert all(
        np.isfinite(e["train_loss"]) and np.isfinite(e["valid_loss"])
        for e in (fitted_predictor.history_)
    )


def test_verbose(rtf_data, capsys):
    X, y = rtf_data
    pre = tiny_pretrainer(max_epochs=1, verbose=0).fit(X)
    tiny_predictor(FrozenEstimator(pre), max_epochs=1, verbose=0).fit(X, y)
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    pre = tiny_pretrainer(max_epochs=2, verbose=1).fit(X)
    out, _ = capsys.readouterr()
    assert "epoch" in out and "train_loss" in out and "train_l1" in out and "valid_loss" in out
    assert sum(line.strip()[:1].isdigit() for line in out.splitlines()) == 2
    tiny_predictor(FrozenEstimator(pre), max_epochs=2, verbose=1).fit(X, y)
    out, _ = capsys.readouterr()
    assert "epoch" in out and "train_loss" in out
    assert sum(line.strip()[:1].isdigit() for line in out.splitlines()) == 2


def test_device_auto_resolves_to_cpu(rtf_data, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y = rtf_data
    pre = tiny_pretrainer(device="auto", max_epochs=1).fit(X)
    assert pre.net_.device == "cpu"
    assert {p.device.type for p in pre.net_.module_.parameters()} == {"cpu"}
    est = tiny_predictor(pre, device="auto", max_epochs=1).fit(X, y)
    assert est.net_.device == "cpu" and est.pretrainer_.net_.device == "cpu"
    assert {p.device.type for p in est.net_.module_.parameters()} == {"cpu"}


def test_transform_returns_embeddings(rtf_data, fitted_pretrainer):
    X, _ = rtf_data
    H = fitted_pretrainer.transform(X)
    assert type(H) is HEPAEmbeddings and isinstance(H, np.ndarray)
    assert H.shape == (len(X), 16) and H.dtype == np.float32
    assert np.isfinite(H).all()
    H2 = tiny_pretrainer().fit_transform(X)
    np.testing.assert_array_equal(H, H2)


def test_stride_visits_one_row_per_cell(rtf_data, fitted_pretrainer):
    """stride=s trains on ~1/s of the rows per epoch; validation keeps every row."""
    X, y = rtf_data
    full = tiny_predictor(FrozenEstimator(fitted_pretrainer), batch_size=1).fit(X, y)
    strided = tiny_predictor(FrozenEstimator(fitted_pretrainer), batch_size=1, stride=4).fit(X, y)

    def n_batches(est, training):
        return sum(
            b.get("train_loss") is not None if training else "valid_loss" in b
            for b in est.history_[0]["batches"]
        )

    n_train = n_batches(full, True)
    assert n_batches(strided, True) < n_train / 3
    assert n_batches(strided, True) >= n_train / 4
    assert n_batches(strided, False) == n_batches(full, False)


def test_probability_scales_keep_every_ranking(rtf_data, fitted_predictor):
    """Each probability scale maps every horizon's column by an increasing function."""
    from sktime_hepa.metrics import brier_score, h_auroc_score, per_horizon_auroc
    from sktime_hepa.surfaces._probability import apply_logit_map, odds_map

    X, y = rtf_data
    model = copy.deepcopy(fitted_predictor)
    w = model.pos_weight_
    assert w > 1  # events are the rarer class of these cells
    assert model.held_out_map_.shape == (2, 3)
    surfaces = {}
    for scale in ("weighted", "unweighted", "held_out"):  # read at prediction, no refit
        surfaces[scale] = model.set_params(probability=scale).predict_surface(X)
    weighted = surfaces["weighted"]
    np.testing.assert_allclose(
        surfaces["unweighted"], apply_logit_map(weighted, odds_map(w)), rtol=1e-5, atol=1e-7
    )
    assert (surfaces["unweighted"] <= weighted + 1e-7).all()  # w > 1 lowers every probability
    for scale, s in surfaces.items():
        assert (np.diff(s, axis=1) >= -1e-6).all(), scale  # still non-decreasing in dt
        assert h_auroc_score(y, s) == pytest.approx(h_auroc_score(y, weighted), abs=0.01)
    # one map per scale and horizon: the per-horizon ranks are the weighted surface's
    np.testing.assert_allclose(
        per_horizon_auroc(y, surfaces["unweighted"]), per_horizon_auroc(y, weighted)
    )
    assert brier_score(y, surfaces["unweighted"]) < brier_score(y, weighted)
    # predict_proba and predict read the same scale
    p = model.set_params(probability="held_out").predict_proba(X)[:, 1]
    np.testing.assert_allclose(p, surfaces["held_out"][:, model.horizons - 1], rtol=1e-6)
    np.testing.assert_array_equal(model.predict(X), (p > 0.5).astype(int))
    # the odds map's known values: fixed ends, odds divided by w
    ends = apply_logit_map(np.array([[0.0], [0.5], [1.0]]), odds_map(4.0))
    np.testing.assert_allclose(ends[:, 0], [0.0, 0.2, 1.0], atol=1e-6)


def test_held_out_map_recovers_known_logit_shifts():
    """Known answer: cells drawn at sigmoid(a_k logit(p) + b_k) give back that map."""
    from scipy.special import expit, logit

    from sktime_hepa.surfaces._probability import apply_logit_map, fit_logit_map

    rng = np.random.default_rng(0)
    n, K = 20_000, 12
    p = rng.uniform(0.02, 0.98, (n, K))
    u = np.log(np.arange(1, K + 1)) / np.log(K)
    a, b = 1.5 - 0.5 * u, -2.0 + 1.0 * u  # slope and intercept drift with log k
    truth = expit(a * logit(p) + b)
    labels = rng.uniform(size=p.shape) < truth
    known = np.ones_like(labels)
    coef = fit_logit_map(p, labels, known)
    np.testing.assert_allclose(coef[0], [1.5, -0.5, 0.0], atol=0.1)
    np.testing.assert_allclose(coef[1], [-2.0, 1.0, 0.0], atol=0.1)
    # sorted along dt: the mapped surface equals the true probabilities, as a CDF
    p_sorted = np.sort(p, axis=1)
    mapped = apply_logit_map(p_sorted, coef)
    assert (np.diff(mapped, axis=1) >= 0).all()
    assert np.abs(mapped - expit(a * logit(p_sorted) + b)).max() < 0.05
    assert fit_logit_map(p, np.zeros_like(labels), known) is None  # one class: nothing to fit
    # a surface that ranks backwards gets flat columns, never reversed ones
    reversed_labels = rng.uniform(size=p.shape) < 1 - p
    backwards = fit_logit_map(p, reversed_labels, known)
    flat = apply_logit_map(p, backwards)
    assert np.ptp(flat, axis=0).max() < 0.05
    # ... around the event rate of the held-out cells (0.5 here, up to the running max)
    assert abs(flat.mean() - reversed_labels.mean()) < 0.05


def test_probability_set_after_fit_is_checked(rtf_data, fitted_predictor):
    X, _ = rtf_data
    model = copy.deepcopy(fitted_predictor).set_params(probability="calibrated")
    with pytest.raises(ValueError, match="probability must be one of"):
        model.predict_proba(X)


def test_horizons_changed_after_fit_are_refused(rtf_data, fitted_predictor):
    """set_params(horizons=...) after fit refits nothing: predict_proba says so."""
    from sktime_hepa import AgeBaseline, SurfaceCalibrator

    X, y = rtf_data
    for model in (copy.deepcopy(fitted_predictor), AgeBaseline(horizons=6).fit(X, y)):
        K = model.n_horizons_
        model.set_params(horizons=K + 3)
        with pytest.raises(ValueError, match="differs from the .* horizons the model was fitted"):
            model.predict_proba(X)
        model.set_params(horizons=K, horizon=K)
        assert model.predict_proba(X).shape == (len(X), 2)
        assert len(model.unique_times_) == K
    calibrated = SurfaceCalibrator(
        FrozenEstimator(AgeBaseline(horizons=6).fit(X, y)), method="sigmoid", min_cells=1
    ).fit(X, y)
    for bad in (0, -2, 2.5, 7):
        with pytest.raises(ValueError, match="horizon"):
            calibrated.set_params(horizon=bad).predict_proba(X)


def test_score_reads_y_as_fit_does(rtf_data):
    """A shuffled pandas y and a structured y of other fields: refused by name, as in fit."""
    import pandas as pd

    from sktime_hepa import AgeBaseline

    X, y = rtf_data
    model = AgeBaseline(horizons=5).fit(X, y)
    labels = pd.Series((y["event"] & (y["time"] <= 1)).astype(int), index=X.index)
    with pytest.raises(ValueError, match="another order"):
        model.score(X, labels.sample(frac=1.0, random_state=0))
    other = np.zeros(len(y), dtype=[("a", float), ("b", float)])
    with pytest.raises(ValueError, match="field"):
        model.score(X, other)
    assert model.score(X, labels) == pytest.approx(model.score(X, labels.to_numpy()))
