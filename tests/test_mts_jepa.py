"""MTSJEPAPretrainer: MTS-JEPA as an encoder and a detector (tiny models, toy series)."""

from __future__ import annotations

import importlib.util
import pickle

import numpy as np
import pytest
import torch
from conftest import TINY_EVENTS
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sktime_hepa import HEPAEventPredictor, MTSJEPAPretrainer, make_pipeline
from sktime_hepa.datasets import get_data_home, load_mba
from sktime_hepa.nn.mts_jepa import MTSJEPAModule

# Tiny models on toy series after 2 epochs have h_t near the collapse line of
# the base class's check (median cosine to the mean ~0.99); that check has its
# own tests, and these assert other properties.
pytestmark = pytest.mark.filterwarnings("ignore::sktime_hepa.CollapseWarning")

# 5 patches of 4 steps per window, contexts of 2 windows = 40 steps
TINY = dict(
    window=20,
    patch_size=4,
    d_model=16,
    n_heads=2,
    n_layers=1,
    n_codes=16,
    predictor_hidden=8,
    max_epochs=2,
    batch_size=32,
    device="cpu",
    random_state=0,
)


def tiny(**params) -> MTSJEPAPretrainer:
    return MTSJEPAPretrainer(**{**TINY, **params})


def toy(n=200, seed=0) -> np.ndarray:
    """Two variables of different shape: a sine (period 10) and a square wave (period 16)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    sine = np.sin(2 * np.pi * t / 10)
    square = np.sign(np.sin(2 * np.pi * t / 16))
    return (np.stack([sine, square], axis=1) + 0.1 * rng.normal(size=(n, 2))).astype(np.float32)


@pytest.fixture(scope="module")
def fitted():
    return tiny().fit(toy())


# ------------------------------------------------------------------- shapes
def test_shapes_and_fitted_state(fitted):
    X = toy(150, seed=1)
    H = fitted.transform(X)
    assert H.shape == (150, 16) and H.dtype == np.float32 and np.isfinite(H).all()
    assert fitted.get_feature_names_out()[0] == "mtsjepa0"
    scores = fitted.score_samples(X)
    assert scores.shape == (150,) and scores.dtype == np.float64 and np.isfinite(scores).all()
    assert (scores >= 0).all()  # a KL divergence
    flags = fitted.predict(X)
    assert set(np.unique(flags)) <= {0, 1}
    np.testing.assert_array_equal(flags, (scores > fitted.threshold_).astype(int))
    np.testing.assert_allclose(fitted.decision_function(X), scores - fitted.threshold_)
    assert fitted.threshold_ == pytest.approx(np.quantile(fitted.threshold_scores_, 0.99))
    assert fitted.context_length == 40
    assert fitted.encoder_module_.d_model == 16
    for part in MTSJEPAPretrainer._part_names:
        assert f"train_{part}" in fitted.history_[-1] and f"valid_{part}" in fitted.history_[-1]


def test_selected_rows_match_all_rows(fitted):
    X = toy(120, seed=2)
    rows = np.array([0, 7, 39, 40, 119])
    np.testing.assert_allclose(fitted.score_samples(X, rows=rows), fitted.score_samples(X)[rows])
    np.testing.assert_allclose(fitted.transform_rows(X, rows), fitted.transform(X)[rows])


def test_default_size_matches_the_original():
    """Original: about 3 M trainable parameters, encoder 1.8 M (docs/design.md)."""
    module = MTSJEPAPretrainer()._build_module(n_channels=7)
    count = lambda m: sum(p.numel() for p in m.parameters() if p.requires_grad)  # noqa: E731
    assert count(module.encoder) == 1_784_064
    assert count(module) == 2_852_904
    # channel-independent: the size does not depend on the number of variables
    assert count(MTSJEPAPretrainer()._build_module(n_channels=52)) == 2_852_904


# ----------------------------------------------------------------- causality
@pytest.mark.parametrize("method", ["transform", "score_samples"])
def test_row_t_reads_only_the_past(fitted, method):
    X = toy(160, seed=3)
    t = 100
    Y = X.copy()
    Y[t + 1 :] = np.random.default_rng(9).normal(size=Y[t + 1 :].shape) * 5
    a = np.asarray(getattr(fitted, method)(X))
    b = np.asarray(getattr(fitted, method)(Y))
    np.testing.assert_array_equal(a[: t + 1], b[: t + 1])
    assert not np.allclose(a[t + 1 :], b[t + 1 :])  # the perturbation is visible later


def test_padded_steps_never_reach_the_outputs(fitted):
    module = fitted.net_.module_.eval()
    rng = np.random.default_rng(0)
    real = torch.from_numpy(rng.normal(size=(3, 26, 2)).astype(np.float32))  # 26 real steps

    def padded(width, fill):
        x = torch.full((3, width, 2), fill)
        x[:, width - 26 :] = real
        mask = torch.zeros(3, width, dtype=torch.bool)
        mask[:, width - 26 :] = True
        return x, mask

    with torch.no_grad():
        ref_h = module.encoder(*padded(28, 0.0))
        ref_s = module.anomaly_score(*padded(28, 0.0))
        for width, fill in [(28, 1e4), (40, 0.0), (40, float("nan")), (60, -3.0)]:
            torch.testing.assert_close(module.encoder(*padded(width, fill)), ref_h)
            torch.testing.assert_close(module.anomaly_score(*padded(width, fill)), ref_s)
        # steps older than two windows are not read at all
        long_x, long_mask = padded(60, 7.0)
        long_mask[:] = True
        x40, m40 = long_x[:, -40:], long_mask[:, -40:]
        torch.testing.assert_close(module.encoder(long_x, long_mask), module.encoder(x40, m40))
        torch.testing.assert_close(
            module.anomaly_score(long_x, long_mask), module.anomaly_score(x40, m40)
        )


def test_encoder_attention_is_causal_over_patches(fitted):
    """Patch k's latent does not change when a later patch of the window changes."""
    patches = fitted.net_.module_.encoder.patches.eval()
    x = torch.randn(4, 5, 4)
    mask = torch.ones(4, 5, dtype=torch.bool)
    y = x.clone()
    y[:, 3:] = torch.randn(4, 2, 4)
    with torch.no_grad():
        a, b = patches(x, mask), patches(y, mask)
    torch.testing.assert_close(a[:, :3], b[:, :3])
    assert not torch.allclose(a[:, 3:], b[:, 3:])


# ------------------------------------------------------------ reproducibility
def test_reproducible_under_random_state(fitted):
    X = toy()
    again = tiny().fit(X)
    np.testing.assert_array_equal(again.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(again.score_samples(X), fitted.score_samples(X))
    assert again.threshold_ == fitted.threshold_
    other = tiny(random_state=1).fit(X)
    assert not np.allclose(other.transform(X), fitted.transform(X))


# ------------------------------------------------------------------ learning
def test_loss_decreases_and_recon_weight_is_annealed():
    est = tiny(max_epochs=6, stride=1, patience=10).fit(toy(300))
    h = est.history_
    assert h[-1, "train_loss"] < 0.8 * h[0, "train_loss"]
    assert h[-1, "valid_kl_fine"] < h[0, "valid_kl_fine"]
    assert h[-1, "train_recon"] < h[0, "train_recon"]
    np.testing.assert_allclose(h[:, "recon_weight"], np.linspace(0.5, 0.1, 6))


def _hard_code_perplexity(est, X):
    """exp(entropy) of the histogram of each patch's most likely code (1 = collapsed)."""
    source = est.to_rows(X)
    rows = np.arange(est.context_length, len(X))
    ctx, mask = source.contexts(np.zeros(len(rows), dtype=int), rows)
    module = est.net_.module_.eval()
    with torch.no_grad():
        codes = module.code_probabilities(ctx, mask).argmax(dim=-1).flatten().numpy()
    share = np.bincount(codes, minlength=est.n_codes) / codes.size
    share = share[share > 0]
    return float(np.exp(-(share * np.log(share)).sum()))


def test_no_codebook_collapse():
    """Patches use codes as evenly as >= 2 equally used codes would.

    Collapse is every patch on one code: perplexity 1, which the random
    initialisation gives on this toy (seed 0: measured 1.0). The toy's two
    variables have different shapes, so a working codebook must tell their
    patches apart, i.e. use at least two codes. Measured after this fit,
    seeds 0-4: 2.4-4.9.
    """
    X = toy(400)
    assert _hard_code_perplexity(tiny(max_epochs=0).fit(X), X) < 1.5  # the collapsed start
    est = tiny(max_epochs=8, stride=1, patience=10).fit(X)
    assert _hard_code_perplexity(est, X) >= 2.0
    # the soft distributions too: the batch-mean code distribution stays spread
    assert est.history_[-1, "valid_code_perplexity"] > 0.5 * est.n_codes


def test_ema_target_moves_between_start_and_online():
    X = toy()
    start = tiny(max_epochs=0).fit(X).net_.module_

    def targets(module):
        return torch.cat([p.flatten() for p in module.target_patches.parameters()])

    def online(module):
        return torch.cat([p.flatten() for p in module.encoder.patches.parameters()])

    ema = tiny(validation_fraction=0.0).fit(X).net_.module_
    assert not torch.equal(targets(ema), targets(start))  # it moved
    assert not torch.equal(targets(ema), online(ema))  # but lags the online encoder
    frozen = tiny(ema_momentum=1.0, validation_fraction=0.0).fit(X).net_.module_
    torch.testing.assert_close(targets(frozen), targets(start))
    follow = tiny(ema_momentum=0.0, validation_fraction=0.0).fit(X).net_.module_
    torch.testing.assert_close(targets(follow), online(follow))


def test_update_target_is_an_exponential_moving_average(fitted):
    module = pickle.loads(pickle.dumps(fitted.net_.module_))
    with torch.no_grad():
        for p in module.encoder.patches.parameters():
            p.add_(1.0)
    before = [p.clone() for p in module.target_patches.parameters()]
    module.update_target(0.75)
    online = list(module.encoder.patches.parameters())
    for b, t, s in zip(before, module.target_patches.parameters(), online, strict=True):
        torch.testing.assert_close(t, 0.75 * b + 0.25 * s)


def test_targets_are_not_optimised_and_stay_in_eval_mode(fitted):
    module = fitted.net_.module_
    assert not any(p.requires_grad for p in module.target_patches.parameters())
    optimised = sum(p.numel() for g in fitted.net_.optimizer_.param_groups for p in g["params"])
    assert optimised == fitted.n_parameters_["trainable"]
    module.train()
    assert module.encoder.training and not module.target_patches.training
    module.eval()


# -------------------------------------------------------------- sklearn API
def test_clone_and_pickle(fitted):
    params = clone(fitted).get_params()
    assert params == tiny().get_params()
    assert not hasattr(clone(fitted), "net_")
    X = toy(120, seed=4)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(restored.score_samples(X), fitted.score_samples(X))
    assert restored.threshold_ == fitted.threshold_


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(window=18), "multiple of patch_size"),
        (dict(predictor_hidden=7), "predictor_hidden=7 must be divisible"),
        (dict(d_model=15), "divisible by n_heads"),
        (dict(contamination=0.7), "contamination"),
        (dict(missing="drop"), "missing"),
        (dict(temperature=0.0), "temperature"),
        (dict(ema_momentum=1.5), "ema_momentum"),
    ],
)
def test_bad_parameters_raise_clear_errors(params, match):
    with pytest.raises(ValueError, match=match):
        tiny(**params).fit(toy(60))


def test_bad_input_raises_clear_errors(fitted):
    with pytest.raises(NotFittedError):
        tiny().score_samples(toy(50))
    with pytest.raises(ValueError, match="features"):
        fitted.score_samples(np.zeros((50, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="rows must lie"):
        fitted.score_samples(toy(50), rows=[50])
    with pytest.raises(ValueError, match="batch_size"):
        fitted.score_samples(toy(50), batch_size=0)
    X = toy(60)
    X[10, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        tiny().fit(X)


def test_missing_steps_can_be_masked():
    X = toy(120)
    X[30:34, 0] = np.nan
    est = tiny(missing="mask").fit(X)
    assert np.isfinite(est.transform(X)).all() and np.isfinite(est.score_samples(X)).all()


# --------------------------------------------------------------- end to end
def test_as_the_pretrainer_of_an_event_predictor(rtf_data):
    X, y = rtf_data
    model = HEPAEventPredictor(pretrainer=tiny(), **TINY_EVENTS).fit(X, y)
    surface = model.predict_surface(X)
    assert surface.shape == (len(X), TINY_EVENTS["horizons"])
    assert np.isfinite(surface).all() and (np.diff(surface, axis=1) >= -1e-6).all()
    assert isinstance(model.pretrainer_, MTSJEPAPretrainer)
    assert isinstance(model.pretrainer_.net_.module_, MTSJEPAModule)


def test_in_a_pipeline_with_the_dt_mlp_head(rtf_data):
    X, y = rtf_data
    pipe = make_pipeline(tiny(), HEPAEventPredictor(head="dt_mlp", **TINY_EVENTS)).fit(X, y)
    assert pipe.predict_surface(X).shape == (len(X), TINY_EVENTS["horizons"])


# --------------------------------------------------------------- real data
@pytest.mark.data
@pytest.mark.skipif(
    not (get_data_home() / "mba").is_dir() or importlib.util.find_spec("openpyxl") is None,
    reason="shared MBA data (or openpyxl) not found",
)
def test_mba_fits_and_scores_through_the_public_api():
    data = load_mba()
    est = MTSJEPAPretrainer(
        window=100, patch_size=20, d_model=16, n_heads=2, n_layers=1, n_codes=32,
        predictor_hidden=8, max_epochs=1, stride=16, device="cpu", random_state=0,
    ).fit(data.X_train)  # fmt: skip
    scores = est.score_samples(data.X_test)
    assert scores.shape == (len(data.X_test),) and np.isfinite(scores).all()
    assert est.transform(data.X_test).shape == (len(data.X_test), 16)
    # the threshold comes from held-out training rows: about 1 % of them lie above it
    assert np.mean(est.threshold_scores_ > est.threshold_) <= 0.011
