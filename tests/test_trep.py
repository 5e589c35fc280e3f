"""TRepEncoder and its torch modules: shapes, causality, masking, learning, scoring, interop."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sktime_hepa import HEPAEmbeddings, HEPAEventPredictor, TRepEncoder
from sktime_hepa.datasets import get_data_home, load_batadal, make_run_to_failure
from sktime_hepa.nn.trep import TASKS, Time2Vec, TRepBackbone, TRepModule, jensen_shannon

TINY = dict(
    output_dims=8,
    hidden_dims=8,
    depth=2,
    time_embedding_dims=4,
    context_length=24,
    score_window=5,
    max_epochs=2,
    batch_size=16,
    device="cpu",
    random_state=0,
)


def tiny_trep(**params) -> TRepEncoder:
    return TRepEncoder(**{**TINY, **params})


def tiny_module(n_channels=3, **params) -> TRepModule:
    torch.manual_seed(0)
    sizes = dict(hidden_dims=8, output_dims=8, depth=3, time_embedding_dims=4)
    backbone = TRepBackbone(n_channels=n_channels, **sizes)
    return TRepModule(encoder=backbone, **params).eval()


def sine_series(n=240, seed=0) -> np.ndarray:
    """Two noisy sinusoids, one series (n, 2)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    X = np.c_[np.sin(2 * np.pi * t / 25), np.cos(2 * np.pi * t / 40)]
    return X + 0.05 * rng.standard_normal(X.shape)


@pytest.fixture(scope="module")
def fitted(rtf_data):
    X, _ = rtf_data
    return tiny_trep().fit(X)


# --------------------------------------------------------------------- modules


def test_time_embedding_is_a_distribution():
    with torch.no_grad():
        tau = Time2Vec(dims=6)(torch.arange(-20.0, 1.0))
    assert tau.shape == (21, 6)
    assert (tau > 0).all()
    torch.testing.assert_close(tau.sum(-1), torch.ones(21))
    p, q = tau[0], tau[5]
    assert float(jensen_shannon(p, p)) == pytest.approx(0.0, abs=1e-7)
    assert float(jensen_shannon(p, q)) > 0
    torch.testing.assert_close(jensen_shannon(p, q), jensen_shannon(q, p))


def test_step_representations_are_causal_inside_the_context():
    """Step p's representation reads steps <= p only (left-padded convolutions)."""
    module = tiny_module()
    x = torch.randn(2, 30, 3)
    mask = torch.ones(2, 30, dtype=torch.bool)
    z, _ = module.encoder.steps(x, mask)  # (2, 30, 8)
    x2 = x.clone()
    x2[:, 18:] = torch.randn(2, 12, 3) * 10
    z2, _ = module.encoder.steps(x2, mask)
    torch.testing.assert_close(z2[:, :18], z[:, :18])
    assert not torch.allclose(z2[:, 18:], z[:, 18:])


def test_left_padding_does_not_leak():
    """A row's output is the same whatever padding its batch gives it, whatever the pads hold."""
    module = tiny_module()
    x = torch.randn(1, 7, 3)
    alone = module.encoder(x, torch.ones(1, 7, dtype=torch.bool))
    padded = torch.cat([torch.full((1, 20, 3), 1e3), x], dim=1)  # garbage in the padding
    pad_mask = torch.cat(
        [torch.zeros(1, 20, dtype=torch.bool), torch.ones(1, 7, dtype=torch.bool)], 1
    )
    torch.testing.assert_close(module.encoder(padded, pad_mask), alone, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(
        module.anomaly_score(padded, pad_mask), module.anomaly_score(x, pad_mask[:, 20:])
    )


def test_masked_steps_are_never_read():
    """Missing steps (mask False) are masked as T-Rep masks: their values (NaN too) are not read."""
    module = tiny_module()
    x = torch.randn(3, 16, 3)
    mask = torch.ones(3, 16, dtype=torch.bool)
    mask[:, [4, 9, 15]] = False
    h = module.encoder(x, mask)
    score = module.anomaly_score(x, mask)
    for fill in (float("nan"), 1e6, 0.0):
        x_fill = x.clone()
        x_fill[~mask] = fill
        torch.testing.assert_close(module.encoder(x_fill, mask), h)
        torch.testing.assert_close(module.anomaly_score(x_fill, mask), score)
    assert torch.isfinite(h).all() and torch.isfinite(score).all()
    # masking a step does change the representation (the mask is not a no-op)
    assert not torch.allclose(module.encoder(x, torch.ones_like(mask)), h)


def test_pretraining_losses_are_finite_and_train_every_part():
    module = tiny_module().train()
    x = torch.randn(6, 20, 3)
    mask = torch.ones(6, 20, dtype=torch.bool)
    mask[0, :15] = False  # a short history (left padding)
    mask[1, :19] = False  # a single real step
    parts = module(x, mask)
    assert len(parts) == len(TASKS)
    assert all(torch.isfinite(p) and p.ndim == 0 for p in parts)
    sum(parts).backward()
    grads = {n: p.grad for n, p in module.named_parameters()}
    for name in (
        "encoder.input_fc.weight",
        "divergence_head.fc.0.weight",
        "forecast_head.fc.0.weight",
    ):
        assert grads[name] is not None and torch.isfinite(grads[name]).all()
    # a batch of first steps only (W = 1) has nothing to contrast: zero, still differentiable
    parts = module(x[:, -1:], mask[:, -1:])
    assert all(float(p.detach()) == 0.0 for p in parts)
    sum(parts).backward()


def test_validation_losses_are_deterministic():
    module = tiny_module()
    x, mask = torch.randn(5, 20, 3), torch.ones(5, 20, dtype=torch.bool)
    with torch.no_grad():
        a, b = module(x, mask), module(x, mask)
    for p, q in zip(a, b, strict=True):
        assert float(p) == float(q)


@torch.no_grad()
def test_anomaly_score_is_the_papers_adjusted_distance():
    """a_p = |z_p - z_p(p masked)|_1; the score is (a_t - mean a) / mean a over Z earlier steps."""
    module = tiny_module(score_window=0)
    x, mask = torch.randn(2, 12, 3), torch.ones(2, 12, dtype=torch.bool)
    z, _ = module.encoder.steps(x, mask)  # (2, 12, 8)

    def distance(p):
        keep = torch.ones_like(mask)
        keep[:, p] = False
        z_masked, _ = module.encoder.steps(x, mask, keep=keep)
        return (z[:, p] - z_masked[:, p]).abs().sum(-1)  # (2,)

    raw = module.anomaly_score(x, mask)
    torch.testing.assert_close(raw, distance(11))
    assert (raw > 0).all()
    module.score_window = 3
    mean = (distance(10) + distance(9) + distance(8)) / 3
    torch.testing.assert_close(module.anomaly_score(x, mask), (raw - mean) / mean)
    # a missing earlier step is left out of the mean
    mask[:, 9] = False
    z, _ = module.encoder.steps(x, mask)
    mean = (distance(10) + distance(8)) / 2
    torch.testing.assert_close(module.anomaly_score(x, mask), (distance(11) - mean) / mean)
    # a first step has no history: score 0
    assert float(module.anomaly_score(x[:1, :1], mask[:1, :1])[0]) == 0.0


# --------------------------------------------------------------------- estimator


def test_shapes_and_names(rtf_data, fitted):
    X, _ = rtf_data
    H = fitted.transform(X)
    assert isinstance(H, HEPAEmbeddings)
    assert H.shape == (len(X), 8) and H.dtype == np.float32 and np.isfinite(H).all()
    assert fitted.encoder_module_.d_model == 8
    assert list(fitted.get_feature_names_out()) == [f"trep{i}" for i in range(8)]
    scores = fitted.score_samples(X)
    assert scores.shape == (len(X),) and np.isfinite(scores).all()
    flags = fitted.predict(X)
    assert set(np.unique(flags)) <= {0, 1}
    np.testing.assert_array_equal(flags, (scores > fitted.threshold_).astype(int))
    assert 0 < len(fitted.threshold_scores_) < len(X)  # held-out rows only
    for name in TASKS:
        assert len(fitted.history_[:, f"train_{name}"]) == 2
        assert np.isfinite(fitted.history_[:, f"valid_{name}"]).all()


def test_transform_and_scores_are_causal():
    X = sine_series(120)
    est = tiny_trep().fit(X)
    H, S = est.transform(X), est.score_samples(X)
    t = 70
    X2 = X.copy()
    X2[t + 1 :] = np.random.default_rng(1).normal(size=X2[t + 1 :].shape) * 5
    H2, S2 = est.transform(X2), est.score_samples(X2)
    np.testing.assert_allclose(H2[: t + 1], H[: t + 1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(S2[: t + 1], S[: t + 1], rtol=1e-5, atol=1e-6)
    assert not np.allclose(H2[t + 1 :], H[t + 1 :])
    assert not np.allclose(S2[t + 1 :], S[t + 1 :])


# two epochs of a width-8 model may leave a low-rank h_t; not what this test is about
@pytest.mark.filterwarnings("ignore::sktime_hepa.CollapseWarning")
def test_reproducible_with_random_state(rtf_data, fitted):
    X, _ = rtf_data
    again = clone(fitted).fit(X)
    np.testing.assert_array_equal(again.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(again.score_samples(X), fitted.score_samples(X))
    assert again.threshold_ == fitted.threshold_
    other = tiny_trep(random_state=1).fit(X)
    assert not np.allclose(other.transform(X), fitted.transform(X))


def test_validation_loss_goes_down():
    X, _ = make_run_to_failure(
        16, n_sensors=3, n_conditions=1, min_life=30, max_life=50, random_state=0
    )
    est = tiny_trep(max_epochs=6, patience=0, lr=3e-3).fit(X)
    valid = est.history_[:, "valid_loss"]
    assert len(valid) == 6
    assert valid[-1] < valid[0]
    assert np.all(np.isfinite(est.history_[:, "train_loss"]))


def test_spike_scores_higher_than_normal_rows():
    X = sine_series(300)
    est = tiny_trep(score_window=21, max_epochs=3).fit(X)
    test = sine_series(160, seed=5)
    spike = 120
    test[spike] += 8.0
    scores = est.score_samples(test)
    assert scores[spike] > scores[np.arange(len(test)) != spike].max()
    assert est.predict(test)[spike] == 1


def test_missing_mask_mode_is_handled_natively():
    X = sine_series(160)
    est = tiny_trep(missing="mask").fit(X)
    X_nan = X.copy()
    X_nan[[40, 41, 90]] = np.nan
    H, S = est.transform(X_nan), est.score_samples(X_nan)
    assert np.isfinite(H).all() and np.isfinite(S).all()
    # a missing step is masked like T-Rep's own masking: whatever value it held
    X_other = X_nan.copy()
    X_other[[40, 41, 90]] = np.nan
    np.testing.assert_allclose(est.transform(X_other), H)
    with pytest.raises(ValueError, match="NaN"):
        tiny_trep().fit(X_nan)


def test_clone_and_pickle_round_trip(rtf_data, fitted):
    X, _ = rtf_data
    fresh = clone(fitted)
    assert fresh.get_params() == fitted.get_params()
    with pytest.raises(NotFittedError):
        fresh.transform(X)
    loaded = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(loaded.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(loaded.score_samples(X), fitted.score_samples(X))
    assert loaded.threshold_ == fitted.threshold_


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_clear_errors(rtf_data, fitted):
    X, _ = rtf_data
    with pytest.raises(ValueError, match="feature"):
        fitted.transform(X.iloc[:, :2])
    with pytest.raises(ValueError, match="3 features"):
        fitted.score_samples(X.to_numpy()[:, :2])
    with pytest.raises(ValueError, match=r"rows must lie in \[0, "):
        fitted.score_samples(X, rows=[len(X)])
    with pytest.raises(ValueError, match="hidden_dims"):
        tiny_trep(hidden_dims=(8, 8, 8)).fit(X)  # depth=2
    with pytest.raises(ValueError, match="mask_prob"):
        tiny_trep(mask_prob=1.5).fit(X)
    with pytest.raises(ValueError, match="time_embedding_dims"):
        tiny_trep(time_embedding_dims=1).fit(X)
    with pytest.raises(NotFittedError):
        tiny_trep().score_samples(X)


def test_hidden_dims_per_block(rtf_data):
    X, _ = rtf_data
    est = tiny_trep(hidden_dims=np.array([4, 12])).fit(X)  # the public code passes an array
    blocks = est.encoder_module_.feature_extractor.blocks
    assert [b.conv1.conv.out_channels for b in blocks] == [4 + 4, 12 + 4, 8]
    assert est.transform(X).shape == (len(X), 8)


def test_in_hepa_event_predictor(rtf_data):
    X, y = rtf_data
    K = 6
    pred = HEPAEventPredictor(
        pretrainer=tiny_trep(),
        head="dt_mlp",
        horizons=K,
        max_epochs=2,
        batch_size=32,
        device="cpu",
        random_state=0,
    ).fit(X, y)
    assert isinstance(pred.pretrainer_, TRepEncoder)
    surface = pred.predict_surface(X)
    assert surface.shape == (len(X), K) and np.isfinite(surface).all()
    assert (np.diff(surface, axis=1) >= 0).all()
    assert pred.predict_proba(X).shape == (len(X), 2)


# --------------------------------------------------------------------- shared data


@pytest.mark.data
@pytest.mark.skipif(
    not (get_data_home() / "batadal").is_dir(), reason="shared batadal data not found"
)
def test_fits_and_scores_on_batadal():
    data = load_batadal()
    X_train = data.X_train.iloc[:1500]
    est = tiny_trep(context_length=32, stride=8, max_epochs=1).fit(X_train)
    H = est.transform(data.X_test)
    scores = est.score_samples(data.X_test)
    assert H.shape == (len(data.X_test), 8) and np.isfinite(H).all()
    assert scores.shape == (len(data.X_test),) and np.isfinite(scores).all()
