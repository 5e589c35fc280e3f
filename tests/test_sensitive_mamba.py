"""SensitiveMambaDetector and its torch module (sktime_hepa/nn/sensitive_mamba.py)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from conftest import TINY_EVENTS
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sktime_hepa import HEPAEventPredictor, SensitiveMambaDetector
from sktime_hepa.datasets import get_data_home, load_smap_msl
from sktime_hepa.detectors.sensitive_mamba import channel_nll_rows
from sktime_hepa.nn.sensitive_mamba import (
    HierarchicalContrastiveLoss,
    MambaMixer,
    SensitiveMambaEncoder,
    SensitiveMambaLoss,
    SensitiveMambaModule,
    selective_scan,
)

TINY = dict(
    d_model=16,
    d_hidden=16,
    n_layers=1,
    context_length=16,
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
    return SensitiveMambaDetector(**TINY).fit(data[0])


def tiny_module(n_channels=3, n_layers=2):
    torch.manual_seed(0)
    enc = SensitiveMambaEncoder(
        n_channels=n_channels, d_model=8, d_hidden=16, n_layers=n_layers, dropout=0.0
    )
    return SensitiveMambaModule(encoder=enc, n_channels=n_channels).eval()


# ---------------------------------------------------------------------- the scan


def test_selective_scan_matches_the_naive_recurrence():
    g = torch.Generator().manual_seed(0)
    b, L, d, n = 2, 7, 3, 4
    u = torch.randn(b, L, d, generator=g, dtype=torch.float64)
    delta = torch.rand(b, L, d, generator=g, dtype=torch.float64)
    A = -torch.rand(d, n, generator=g, dtype=torch.float64) * 3
    B = torch.randn(b, L, n, generator=g, dtype=torch.float64)
    C = torch.randn(b, L, n, generator=g, dtype=torch.float64)
    D = torch.randn(d, generator=g, dtype=torch.float64)
    y = selective_scan(u, delta, A, B, C, D).numpy()
    u, delta, A, B, C, D = (v.numpy() for v in (u, delta, A, B, C, D))
    expected = np.zeros((b, L, d))
    for i in range(b):
        for c in range(d):
            h = np.zeros(n)
            for t in range(L):
                h = np.exp(delta[i, t, c] * A[c]) * h + delta[i, t, c] * B[i, t] * u[i, t, c]
                expected[i, t, c] = C[i, t] @ h + D[c] * u[i, t, c]
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_mixer_is_causal_and_padding_leaves_the_state_alone():
    torch.manual_seed(0)
    mixer = MambaMixer(d_model=8, d_state=4, d_conv=2)
    x = torch.randn(2, 10, 8)
    ones = torch.ones(2, 10, dtype=torch.bool)
    y = mixer(x, ones)
    x2 = x.clone()
    x2[:, 6:] += 5.0
    torch.testing.assert_close(mixer(x2, ones)[:, :6], y[:, :6])
    # left padding with arbitrary values gives the same outputs at the real steps
    pad = torch.randn(2, 5, 8) * 10
    mask = torch.cat([torch.zeros(2, 5, dtype=torch.bool), ones], 1)
    torch.testing.assert_close(mixer(torch.cat([pad, x], 1), mask)[:, 5:], y)


def test_module_shapes_and_padding_invariance():
    m = tiny_module()
    torch.manual_seed(1)
    real = torch.randn(2, 9, 3)
    short = (real, torch.ones(2, 9, dtype=torch.bool))
    mask = torch.cat([torch.zeros(2, 6, dtype=torch.bool), torch.ones(2, 9, dtype=torch.bool)], 1)
    long = (torch.cat([torch.randn(2, 6, 3) * 5, real], 1), mask)
    with torch.no_grad():
        recon, s, h = m.reconstruct(*short)
        assert recon.shape == s.shape == (2, 9, 3) and h.shape == (2, 9, 8)
        assert m.encoder(*short).shape == (2, 8) and m.encoder.d_model == 8
        assert m.channel_nll(*short).shape == (2, 3) and m.anomaly_score(*short).shape == (2,)
        torch.testing.assert_close(m.encoder(*long), m.encoder(*short), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(m.reconstruct(*long)[0][:, 6:], recon, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(m.anomaly_score(*long), m.anomaly_score(*short))
        none = torch.zeros(2, 9, dtype=torch.bool)  # no observed step: finite, not NaN
        assert m.anomaly_score(real, none).isfinite().all()


def test_training_forward_makes_two_views_and_validation_none():
    m = tiny_module().train()
    ctx, mask = torch.randn(4, 20, 3), torch.ones(4, 20, dtype=torch.bool)
    recon, s, x, mk, views = m(ctx, mask)
    assert len(views) == 2 and all(h.shape == (4, 18, 8) and v.shape == (4, 18) for h, v in views)
    crit = SensitiveMambaLoss()
    loss, parts = crit((recon, s, x, mk, views))
    assert set(parts) == {"mse", "nll", "weighted_nll", "contrastive"}
    torch.testing.assert_close(loss, parts["weighted_nll"] + parts["contrastive"])
    m.eval()
    loss, parts = crit(m(ctx, mask))
    assert set(parts) == {"mse", "nll"} and loss is parts["nll"]
    recon, s = m.reconstruct(ctx, mask)[:2]
    torch.testing.assert_close(loss, ((recon - ctx) ** 2 * s.exp() - s).mean())


def test_hierarchical_contrastive_loss():
    torch.manual_seed(0)
    loss = HierarchicalContrastiveLoss(beta=0.5, temperature=0.1)
    z = torch.randn(6, 8, 4)
    valid = torch.ones(6, 8, dtype=torch.bool)
    same, other = loss(z, z, valid), loss(z, torch.randn(6, 8, 4), valid)
    assert torch.isfinite(same) and same < other  # aligned views are the positives
    # steps padded in a view take no part
    valid[:, :3] = False
    z2 = z.clone()
    z2[:, :3] = torch.randn(6, 3, 4)
    torch.testing.assert_close(loss(z, z, valid), loss(z2, z2, valid))
    assert torch.isfinite(loss(z[:1], z[:1], valid[:1]))  # no negatives: no NaN


# ---------------------------------------------------------------------- the estimator


def test_shapes_threshold_and_normalisation(data, fitted):
    X, Xt = data
    s = fitted.score_samples(Xt)
    assert s.shape == (len(Xt),) and s.dtype == np.float64 and np.isfinite(s).all()
    H = fitted.transform(Xt)
    assert H.shape == (len(Xt), 16) and H.dtype == np.float32
    assert fitted.threshold_ == pytest.approx(np.quantile(fitted.threshold_scores_, 0.99))
    np.testing.assert_array_equal(fitted.predict(Xt), (s > fitted.threshold_).astype(np.int64))
    # median / IQR buffers from the training rows' per-channel NLL
    module = fitted.net_.module_
    source = fitted.to_rows(X)
    nll = channel_nll_rows(module, source, np.arange(source.n_rows))
    q25, med, q75 = np.percentile(nll, [25, 50, 75], axis=0)
    np.testing.assert_allclose(module.nll_median.numpy(), med, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(module.nll_iqr.numpy(), q75 - q25, rtol=1e-5, atol=1e-6)
    raw = channel_nll_rows(module, fitted.to_rows(Xt), np.arange(len(Xt)))
    expected = ((raw - med) / (q75 - q25 + 1e-9)).max(axis=1)
    np.testing.assert_allclose(s, expected, rtol=1e-4, atol=1e-4)


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
    again = SensitiveMambaDetector(**TINY).fit(X)
    np.testing.assert_array_equal(again.score_samples(Xt), fitted.score_samples(Xt))
    other = SensitiveMambaDetector(**{**TINY, "random_state": 1, "max_epochs": 1}).fit(X)
    assert not np.array_equal(other.transform(Xt), fitted.transform(Xt))


def test_loss_decreases(fitted):
    h = fitted.history_
    assert h[-1, "train_loss"] < h[0, "train_loss"]
    assert h[-1, "valid_nll"] < h[0, "valid_nll"]
    assert h[-1, "train_mse"] < h[0, "train_mse"]
    assert all(np.isfinite(h[:, "train_contrastive"]))


def test_flags_toy_anomalies(data, fitted):
    _, Xt = data
    Xa = Xt.copy()
    anomalies = np.array([40, 70, 100])
    Xa[anomalies, 1] += 4.0
    s = fitted.score_samples(Xa)
    normal = np.delete(s, anomalies)
    assert s[anomalies].min() > np.quantile(normal, 0.95)
    flags = fitted.predict(Xa)
    assert flags[anomalies].all() and flags.sum() <= len(anomalies) + 0.1 * len(Xa)


def test_clone_and_pickle(data, fitted):
    _, Xt = data
    c = clone(fitted)
    assert c.get_params() == fitted.get_params() and not hasattr(c, "net_")
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.score_samples(Xt), fitted.score_samples(Xt))
    torch.testing.assert_close(restored.net_.module_.nll_iqr, fitted.net_.module_.nll_iqr)


def test_clear_errors(data, fitted):
    X, Xt = data
    with pytest.raises(ValueError, match="beta"):
        SensitiveMambaDetector(**{**TINY, "beta": 1.5}).fit(X)
    with pytest.raises(ValueError, match="tau"):
        SensitiveMambaDetector(**{**TINY, "tau": 0}).fit(X)
    with pytest.raises(ValueError, match="d_state"):
        SensitiveMambaDetector(**{**TINY, "d_state": 0}).fit(X)
    with pytest.raises(ValueError, match="features"):
        fitted.score_samples(Xt[:, :2])
    with pytest.raises(ValueError, match="batch_size"):
        fitted.score_samples(Xt, batch_size=-1)
    bad = Xt.copy()
    bad[5, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        fitted.score_samples(bad)
    with pytest.raises(NotFittedError):
        SensitiveMambaDetector(**TINY).predict(Xt)


def test_end_to_end_as_event_predictor_pretrainer(rtf_data):
    X, y = rtf_data
    pre = SensitiveMambaDetector(**{**TINY, "max_epochs": 1})
    est = HEPAEventPredictor(pretrainer=pre, **TINY_EVENTS).fit(X, y)
    surface = est.predict_surface(X)
    assert surface.shape == (len(X), TINY_EVENTS["horizons"])
    assert np.isfinite(surface).all() and (np.diff(surface, axis=1) >= 0).all()


@pytest.mark.data
@pytest.mark.skipif(
    not (get_data_home() / "smap_msl").is_dir(), reason="shared SMAP/MSL data not found"
)
def test_msl_channel():
    data = load_smap_msl("MSL", channels=["C-1"])
    det = SensitiveMambaDetector(
        **{**TINY, "context_length": data.context_length, "stride": 64, "max_epochs": 1}
    ).fit(data.X_train)
    rows = np.arange(0, len(data.X_test), 7)
    s = det.score_samples(data.X_test, rows=rows)
    assert s.shape == (len(rows),) and np.isfinite(s).all()
    assert np.isfinite(det.threshold_)
    median = det.net_.module_.nll_median
    assert median.shape == (55,) and torch.isfinite(median).all()
