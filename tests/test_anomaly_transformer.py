"""AnomalyTransformerDetector and its torch module (sktime_hepa/nn/anomaly_transformer.py)."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import torch
from conftest import TINY_EVENTS
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sktime_hepa import AnomalyTransformerDetector, HEPAEventPredictor
from sktime_hepa.datasets import get_data_home, load_smap_msl
from sktime_hepa.nn.anomaly_transformer import (
    AnomalyAttention,
    AnomalyTransformerEncoder,
    AnomalyTransformerModule,
    CausalTokenEmbedding,
    MinimaxDiscrepancyLoss,
)

TINY = dict(
    d_model=16,
    n_heads=2,
    n_layers=1,
    d_ff=16,
    context_length=16,
    lr=3e-3,
    max_epochs=3,
    batch_size=32,
    device="cpu",
    random_state=0,
)


def toy(n_series=4, n=150, seed=0):
    """Noisy sines, (n_series, 3 channels, n steps)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_series):
        t = np.arange(n) + rng.integers(100)
        clean = np.stack([np.sin(t / 4), np.cos(t / 6), 0.5 * np.sin(t / 9)])
        out.append(clean + 0.05 * rng.normal(size=(3, n)))
    return np.stack(out).astype(np.float32)


@pytest.fixture(scope="module")
def data():
    return toy(), toy(1, 120, seed=1)[0].T  # training panel; one test series (steps, channels)


@pytest.fixture(scope="module")
def fitted(data):
    return AnomalyTransformerDetector(**TINY).fit(data[0])


def tiny_module(n_channels=3, d_model=16, n_heads=2, n_layers=2):
    torch.manual_seed(0)
    enc = AnomalyTransformerEncoder(
        n_channels=n_channels, d_model=d_model, n_heads=n_heads, n_layers=n_layers, d_ff=16
    )
    return AnomalyTransformerModule(encoder=enc, n_channels=n_channels).eval()


# ---------------------------------------------------------------------- the module


def test_module_shapes():
    m = tiny_module()
    ctx, mask = torch.randn(5, 12, 3), torch.ones(5, 12, dtype=torch.bool)
    recon, x, mk, series, prior = m(ctx, mask)
    assert recon.shape == (5, 12, 3) and x is ctx and mk is mask
    assert len(series) == len(prior) == 2
    assert all(s.shape == p.shape == (5, 2, 12, 12) for s, p in zip(series, prior, strict=True))
    assert m.encoder(ctx, mask).shape == (5, 16) and m.encoder.d_model == 16
    assert m.anomaly_score(ctx, mask).shape == (5,)


def test_prior_rows_are_normalised_gaussians_over_real_keys():
    torch.manual_seed(0)
    attn = AnomalyAttention(d_model=8, n_heads=2)
    x = torch.randn(3, 10, 8)
    mask = torch.ones(3, 10, dtype=torch.bool)
    mask[1, :4] = False  # a left-padded context
    prior = attn.prior(x, mask)  # (3, 2, 10, 10)
    torch.testing.assert_close(prior.sum(-1), torch.ones(3, 2, 10))
    assert (prior[1, :, :, :4] == 0).all()
    # the original's density 1/(sqrt(2 pi) sigma) exp(-d^2 / 2 sigma^2), normalised per row
    s = attn.sigma(x).transpose(1, 2).double()  # (3, 2, 10)
    sigma = 3.0 ** (torch.sigmoid(5 * s) + 1e-5) - 1
    d = torch.arange(10.0, dtype=torch.float64)
    dens = torch.exp(-((d[:, None] - d[None]) ** 2) / (2 * sigma[..., None] ** 2))
    dens = dens / (math.sqrt(2 * math.pi) * sigma[..., None])
    dens = dens * mask[:, None, None, :]
    expected = dens / dens.sum(-1, keepdim=True)
    # (padded queries may have every real key below float range: compare real ones)
    real = mask[:, None, :, None].expand_as(prior)
    torch.testing.assert_close(prior.double()[real], expected[real], atol=1e-6, rtol=1e-5)


def test_minimax_gradient_is_the_sum_of_the_two_phase_gradients():
    m = tiny_module().train()
    crit = MinimaxDiscrepancyLoss(k=3.0)
    ctx = torch.randn(4, 12, 3)
    mask = torch.ones(4, 12, dtype=torch.bool)
    mask[0, :5] = False

    def grads():
        g = {
            n: torch.zeros_like(p) if p.grad is None else p.grad.clone()
            for n, p in m.named_parameters()
        }
        m.zero_grad()
        return g

    # the original: loss1.backward(retain_graph=True); loss2.backward()
    loss1, loss2, _ = crit.phases(m(ctx, mask))
    loss1.backward(retain_graph=True)
    phase1 = grads()
    loss2.backward()
    phase2 = grads()
    loss1, loss2, _ = crit.phases(m(ctx, mask))
    loss1.backward(retain_graph=True)
    loss2.backward()
    original = grads()
    loss, parts = crit(m(ctx, mask))  # one backward of the sum (the package's path)
    loss.backward()
    ours = grads()
    for name in ours:
        torch.testing.assert_close(ours[name], original[name])
        torch.testing.assert_close(ours[name], phase1[name] + phase2[name])
    # the prior only learns in the maximise phase; the series in both
    sigma = [n for n in ours if "attention.sigma" in n]
    assert sigma and all((phase1[n] == 0).all() for n in sigma)
    assert all(phase2[n].abs().sum() > 0 for n in sigma)
    assert phase1["encoder.layers.0.attention.query.weight"].abs().sum() > 0
    # the two discrepancies cancel in the value: loss = 2 * rec
    torch.testing.assert_close(loss, 2 * parts["rec"])


def test_padding_does_not_change_real_steps():
    m = tiny_module()
    torch.manual_seed(1)
    real = torch.randn(2, 9, 3)
    short = (real, torch.ones(2, 9, dtype=torch.bool))
    pad = torch.randn(2, 7, 3) * 5  # arbitrary values in the padding
    long_mask = torch.cat(
        [torch.zeros(2, 7, dtype=torch.bool), torch.ones(2, 9, dtype=torch.bool)], 1
    )
    long = (torch.cat([pad, real], 1), long_mask)
    with torch.no_grad():
        torch.testing.assert_close(m.encoder(*long), m.encoder(*short), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(m.anomaly_score(*long), m.anomaly_score(*short))
        h_long, _, _ = m.encoder.forward_tokens(*long)
        h_short, _, _ = m.encoder.forward_tokens(*short)
        torch.testing.assert_close(h_long[:, 7:], h_short, atol=1e-5, rtol=1e-5)
        # a context with no observed step (all missing) scores 0, not NaN
        none = torch.zeros(2, 9, dtype=torch.bool)
        assert (m.anomaly_score(real, none) == 0).all() and m.encoder(real, none).isfinite().all()


def test_token_embedding_is_causal():
    torch.manual_seed(0)
    emb = CausalTokenEmbedding(n_channels=3, d_model=8)
    x = torch.randn(1, 12, 3)
    mask = torch.ones(1, 12, dtype=torch.bool)
    x2 = x.clone()
    x2[:, 7] += 10.0
    a, b = emb(x, mask), emb(x2, mask)
    torch.testing.assert_close(a[:, :7], b[:, :7])
    assert not torch.allclose(a[:, 7], b[:, 7])


# ---------------------------------------------------------------------- the estimator


def test_shapes_and_threshold(data, fitted):
    _, Xt = data
    s = fitted.score_samples(Xt)
    assert s.shape == (len(Xt),) and s.dtype == np.float64 and np.isfinite(s).all()
    assert (s >= 0).all()
    H = fitted.transform(Xt)
    assert H.shape == (len(Xt), 16) and H.dtype == np.float32
    assert fitted.threshold_ == pytest.approx(np.quantile(fitted.threshold_scores_, 0.99))
    np.testing.assert_array_equal(fitted.predict(Xt), (s > fitted.threshold_).astype(np.int64))
    np.testing.assert_allclose(fitted.decision_function(Xt), s - fitted.threshold_)
    # another batch composition: the same scores up to float summation order
    np.testing.assert_allclose(fitted.score_samples(Xt, rows=[3, 50]), s[[3, 50]], rtol=1e-5)


def test_rows_do_not_read_the_future(data, fitted):
    _, Xt = data
    t = 60
    X2 = Xt.copy()
    X2[t + 1 :] = np.random.default_rng(0).normal(size=X2[t + 1 :].shape) * 5
    np.testing.assert_array_equal(fitted.transform(X2)[: t + 1], fitted.transform(Xt)[: t + 1])
    np.testing.assert_array_equal(
        fitted.score_samples(X2)[: t + 1], fitted.score_samples(Xt)[: t + 1]
    )


def test_reproducible_under_random_state(data, fitted):
    X, Xt = data
    again = AnomalyTransformerDetector(**TINY).fit(X)
    np.testing.assert_array_equal(again.score_samples(Xt), fitted.score_samples(Xt))
    other = AnomalyTransformerDetector(**{**TINY, "random_state": 1, "max_epochs": 1}).fit(X)
    assert not np.array_equal(other.transform(Xt), fitted.transform(Xt))


def test_reconstruction_loss_decreases_and_lr_halves(fitted):
    rec = fitted.history_[:, "train_rec"]
    assert rec[-1] < 0.7 * rec[0]
    assert fitted.history_[:, "valid_rec"][-1] < fitted.history_[:, "valid_rec"][0]
    np.testing.assert_allclose(fitted.history_[:, "event_lr"], [3e-3, 1.5e-3, 7.5e-4])


def test_flags_toy_anomalies(data):
    X, Xt = data
    Xa = Xt.copy()
    anomalies = np.r_[40:44, 90:94]
    Xa[anomalies, 1] += 4.0
    # the default (population) read-out; test_detector_scores.py shows the
    # original's window read-out failing at the last position
    det = AnomalyTransformerDetector(**TINY).fit(X)
    s = det.score_samples(Xa)
    normal = np.delete(s, anomalies)
    assert s[anomalies].min() > np.quantile(normal, 0.95)
    flags = det.predict(Xa)  # the threshold is fitted on clean rows, without these labels
    assert flags[anomalies].mean() >= 0.75 and flags.sum() <= len(anomalies) + 0.05 * len(Xa)


def test_clone_and_pickle(data, fitted):
    _, Xt = data
    c = clone(fitted)
    assert c.get_params() == fitted.get_params() and not hasattr(c, "net_")
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.score_samples(Xt), fitted.score_samples(Xt))
    assert restored.threshold_ == fitted.threshold_


def test_clear_errors(data, fitted):
    X, Xt = data
    with pytest.raises(ValueError, match="divisible"):
        AnomalyTransformerDetector(**{**TINY, "d_model": 15}).fit(X)
    with pytest.raises(ValueError, match="contamination"):
        AnomalyTransformerDetector(**{**TINY, "contamination": 0.7}).fit(X)
    with pytest.raises(ValueError, match="context_length"):
        AnomalyTransformerDetector(**{**TINY, "context_length": None}).fit(X)
    with pytest.raises(ValueError, match="missing"):
        AnomalyTransformerDetector(**{**TINY, "missing": "drop"}).fit(X)
    with pytest.raises(ValueError, match="features"):
        fitted.score_samples(Xt[:, :2])
    with pytest.raises(ValueError, match="batch_size"):
        fitted.score_samples(Xt, batch_size=0)
    with pytest.raises(ValueError, match="rows"):
        fitted.score_samples(Xt, rows=[len(Xt)])
    bad = Xt.copy()
    bad[5, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fitted.score_samples(bad)
    with pytest.raises(NotFittedError):
        AnomalyTransformerDetector(**TINY).score_samples(Xt)


def test_end_to_end_as_event_predictor_pretrainer(rtf_data):
    X, y = rtf_data
    pre = AnomalyTransformerDetector(**{**TINY, "max_epochs": 1})
    est = HEPAEventPredictor(pretrainer=pre, **TINY_EVENTS).fit(X, y)
    surface = est.predict_surface(X)
    assert surface.shape == (len(X), TINY_EVENTS["horizons"])
    assert np.isfinite(surface).all() and (np.diff(surface, axis=1) >= 0).all()
    assert est.pretrainer_.threshold_ >= 0


@pytest.mark.data
@pytest.mark.skipif(
    not (get_data_home() / "smap_msl").is_dir(), reason="shared SMAP/MSL data not found"
)
def test_smap_channel():
    data = load_smap_msl("SMAP", channels=["A-1"])
    det = AnomalyTransformerDetector(
        **{**TINY, "context_length": data.context_length, "stride": 64, "max_epochs": 1}
    ).fit(data.X_train)
    rows = np.arange(0, len(data.X_test), 7)
    s = det.score_samples(data.X_test, rows=rows)
    assert s.shape == (len(rows),) and np.isfinite(s).all()
    assert np.isfinite(det.threshold_) and len(det.threshold_scores_) > 0
    H = det.transform_rows(data.X_test, rows)
    assert H.shape == (len(rows), TINY["d_model"]) and np.isfinite(H).all()
