"""LSTMVAEDetector and LSTMAttentionAutoencoder: modules, detector face, encoder slot."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import TINY_EVENTS
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from sktime_hepa import HEPAEventPredictor, LSTMAttentionAutoencoder, LSTMVAEDetector
from sktime_hepa.datasets import get_data_home
from sktime_hepa.nn.lstm_ae import LSTMVAE, LSTMAttentionAE, VAELoss, compact, step_errors

# two-epoch models on a toy series have nearly constant embeddings: the warning is expected
pytestmark = pytest.mark.filterwarnings("ignore::sktime_hepa.CollapseWarning")

TINY = dict(max_epochs=2, batch_size=32, device="cpu", random_state=0)
TINY_VAE = dict(hidden_size=8, latent_size=4, **TINY)
TINY_AE = dict(hidden_size=8, bottleneck_size=4, attention_size=4, **TINY)
DETECTORS = [
    pytest.param(LSTMVAEDetector, TINY_VAE, id="vae"),
    pytest.param(LSTMAttentionAutoencoder, TINY_AE, id="attention"),
]
MODULES = [
    pytest.param(lambda: LSTMVAE(n_channels=3, hidden_size=8, latent_size=4), id="vae"),
    pytest.param(
        lambda: LSTMAttentionAE(n_channels=3, hidden_size=8, bottleneck_size=4, attention_size=4),
        id="attention",
    ),
]


def _series(n=120, n_channels=3, seed=0):
    """Noisy sines: one normal multivariate series (n, C)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    periods = np.array([5.0, 7.0, 11.0, 13.0])[:n_channels]
    return np.sin(t / periods) + 0.05 * rng.standard_normal((n, n_channels))


@pytest.fixture(scope="module")
def X():
    return _series()


@pytest.fixture(
    scope="module",
    params=[(LSTMVAEDetector, TINY_VAE), (LSTMAttentionAutoencoder, TINY_AE)],
    ids=["vae", "attention"],
)
def fitted(request, X):
    cls, params = request.param
    return cls(**params).fit(X)


# ------------------------------------------------------------------------ modules


def _left_padded(x, W):
    """One context (n, C) left-padded to W steps, with padding of random garbage."""
    n, C = x.shape
    ctx = torch.randn(1, W, C) * 10  # padding values must not matter either
    ctx[0, W - n :] = x
    mask = torch.zeros(1, W, dtype=torch.bool)
    mask[0, W - n :] = True
    return ctx, mask


@pytest.mark.parametrize("build", MODULES)
def test_module_shapes(build):
    module = build().eval()
    ctx, mask = torch.randn(5, 10, 3), torch.ones(5, 10, dtype=torch.bool)
    assert module.encoder(ctx, mask).shape == (5, module.encoder.d_model)
    assert module.encoder.d_model == 4
    assert module.anomaly_score(ctx, mask).shape == (5,)
    recon, target, step_mask = module(ctx, mask)[:3]
    assert recon.shape == target.shape == (5, 10, 3) and step_mask.shape == (5, 10)


@pytest.mark.parametrize("build", MODULES)
def test_module_ignores_left_padding(build):
    """A short context alone equals the same context left-padded beside longer ones."""
    torch.manual_seed(0)
    module = build().eval()
    short = torch.randn(4, 3)
    alone = (short.unsqueeze(0), torch.ones(1, 4, dtype=torch.bool))
    padded, pad_mask = _left_padded(short, 10)
    ctx = torch.cat([padded, torch.randn(1, 10, 3)])  # (2, 10, 3): a full context beside it
    mask = torch.cat([pad_mask, torch.ones(1, 10, dtype=torch.bool)])
    with torch.no_grad():
        torch.testing.assert_close(
            module.anomaly_score(*alone), module.anomaly_score(ctx, mask)[:1]
        )
        torch.testing.assert_close(module.encoder(*alone), module.encoder(ctx, mask)[:1])


@pytest.mark.parametrize("build", MODULES)
def test_module_skips_masked_holes(build):
    """A masked step inside a context (missing="mask") is skipped, as if it were absent."""
    torch.manual_seed(1)
    module = build().eval()
    x = torch.randn(1, 8, 3)
    holed, mask = x.clone(), torch.ones(1, 8, dtype=torch.bool)
    holed[0, 3], mask[0, 3] = 99.0, False
    without = torch.cat([x[:, :3], x[:, 4:]], dim=1)  # (1, 7, 3)
    full = torch.ones(1, 7, dtype=torch.bool)
    with torch.no_grad():
        torch.testing.assert_close(
            module.anomaly_score(holed, mask), module.anomaly_score(without, full)
        )


def test_compact_moves_real_steps_first():
    ctx = torch.arange(12, dtype=torch.float32).reshape(2, 6, 1)
    mask = torch.tensor([[False, False, True, True, True, True], [True, False, True] * 2])
    x, lengths, step_mask = compact(ctx, mask)
    assert lengths.tolist() == [4, 4]
    assert x[0, :, 0].tolist() == [2, 3, 4, 5, 0, 0]
    assert x[1, :, 0].tolist() == [6, 8, 9, 11, 0, 0]
    assert step_mask.sum(1).tolist() == [4, 4] and not step_mask[:, 4:].any()


@pytest.mark.parametrize("build", MODULES)
@pytest.mark.parametrize("reduction", ["mean", "last"])
def test_score_is_the_window_or_last_step_error(build, reduction):
    torch.manual_seed(2)
    module = build().eval()
    module.score_reduction = reduction
    ctx, mask = _left_padded(torch.randn(6, 3), 10)
    with torch.no_grad():
        recon, target, step_mask = module(ctx, mask)[:3]
        err = step_errors(recon, target, step_mask)[0, :6]  # (6,) the real steps
        expected = err.mean() if reduction == "mean" else err[-1]
        torch.testing.assert_close(module.anomaly_score(ctx, mask)[0], expected)


def test_vae_samples_in_training_and_decodes_mu_in_eval():
    torch.manual_seed(3)
    module = LSTMVAE(n_channels=3, hidden_size=8, latent_size=4)
    ctx, mask = torch.randn(4, 10, 3), torch.ones(4, 10, dtype=torch.bool)
    module.train()
    assert not torch.equal(module(ctx, mask)[0], module(ctx, mask)[0])
    module.eval()
    torch.testing.assert_close(module(ctx, mask)[0], module(ctx, mask)[0])
    torch.testing.assert_close(module.encoder(ctx, mask), module(ctx, mask)[3])  # h_t is mu


def test_vae_loss_kl_reductions():
    mu, log_var = torch.ones(4, 2), torch.zeros(4, 2)  # KL per window = 0.5 * 2 = 1
    x, mask = torch.zeros(4, 3, 1), torch.ones(4, 3, dtype=torch.bool)
    pred = (x + 1, x, mask, mu, log_var)  # MSE = 1
    total, parts = VAELoss(kl_weight=0.1, kl_reduction="sum")(pred)
    assert parts["kl"].item() == pytest.approx(4.0) and total.item() == pytest.approx(1.4)
    total, parts = VAELoss(kl_weight=0.1, kl_reduction="mean")(pred)
    assert parts["kl"].item() == pytest.approx(1.0) and total.item() == pytest.approx(1.1)


def test_parameter_counts_at_defaults():
    """The counts docs/design.md quotes (25 channels, SMAP's width)."""
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(LSTMVAE(n_channels=25)) == 173_785
    assert count(LSTMAttentionAE(n_channels=25)) == 116_729


# ------------------------------------------------------------------------ estimators


def test_shapes_and_flags(fitted, X):
    n, width = len(X), 4
    H = fitted.transform(X)
    assert H.shape == (n, width) and H.dtype == np.float32
    scores = fitted.score_samples(X)
    assert scores.shape == (n,) and np.isfinite(scores).all() and (scores >= 0).all()
    flags = fitted.predict(X)
    assert flags.shape == (n,) and set(np.unique(flags)) <= {0, 1}
    np.testing.assert_array_equal(flags, (fitted.decision_function(X) > 0).astype(int))
    assert fitted.threshold_ == pytest.approx(np.quantile(fitted.threshold_scores_, 0.99))
    names = fitted.get_feature_names_out()
    assert len(names) == width and names[0] in ("lstmvae0", "lstmattention0")
    assert fitted.patch_size == 1


def test_causal(fitted, X):
    """Changing x after t changes neither row t's embedding nor its score."""
    t = 70
    X2 = X.copy()
    X2[t + 1 :] = np.random.default_rng(5).standard_normal(X2[t + 1 :].shape) * 3
    np.testing.assert_array_equal(fitted.transform(X)[: t + 1], fitted.transform(X2)[: t + 1])
    s, s2 = fitted.score_samples(X), fitted.score_samples(X2)
    np.testing.assert_array_equal(s[: t + 1], s2[: t + 1])
    assert not np.allclose(s[t + 1 :], s2[t + 1 :])


def test_row_alone_equals_row_in_a_padded_batch(fitted, X):
    """Early rows (short contexts) scored alone need no padding; in a batch they are padded."""
    early = np.arange(9)
    batch = fitted.score_samples(X)[early]
    alone = np.array([fitted.score_samples(X, rows=[r])[0] for r in early])
    np.testing.assert_allclose(alone, batch, rtol=1e-5, atol=1e-7)
    H = fitted.transform(X)
    np.testing.assert_allclose(fitted.transform_rows(X, [3]), H[[3]], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(("cls", "params"), DETECTORS)
def test_reproducible(cls, params, X):
    a = cls(**params).fit(X).score_samples(X)
    b = cls(**params).fit(X).score_samples(X)
    np.testing.assert_array_equal(a, b)
    c = cls(**{**params, "random_state": 1}).fit(X).score_samples(X)
    assert not np.allclose(a, c)


@pytest.mark.parametrize(("cls", "params"), DETECTORS)
def test_loss_decreases(cls, params, X):
    settings = {"max_epochs": 8, "lr": 1e-2, "stride": 1, "validation_fraction": 0.0}
    det = cls(**{**params, **settings}).fit(X)
    loss = det.history_[:, "train_loss"]
    assert len(loss) == 8 and loss[-1] < 0.85 * loss[0]
    assert "event_lr" in det.history_[-1]  # the notebooks' ReduceLROnPlateau is on the path


@pytest.mark.parametrize(("cls", "params"), DETECTORS)
def test_flags_spikes_and_level_shifts(cls, params):
    """Trained on normal data only, spikes and a level shift score above normal rows."""
    X_train, X_test = _series(600, seed=0), _series(600, seed=1)
    labels = np.zeros(600, dtype=int)
    for a in (100, 250, 400):
        X_test[a : a + 2, a % 3] += 4.0  # spikes
        labels[a : a + 2] = 1
    X_test[500:520, 1] += 3.0  # level shift
    labels[500:520] = 1
    size = {"hidden_size": 16}
    det = cls(**{**params, **size, "max_epochs": 5, "contamination": 0.02}).fit(X_train)
    scores = det.score_samples(X_test)
    assert roc_auc_score(labels, scores) > 0.9
    flags = det.predict(X_test)
    assert flags[labels == 1].mean() > 0.8
    # rows whose window holds no anomalous step are rarely flagged (the rows just after a
    # spike share its window, and with score_reduction="mean" its error); 2 % is the
    # target, the 98 % quantile of 120 held-out rows is noisy
    clean = np.convolve(labels, np.ones(10), mode="full")[: len(labels)] == 0
    assert flags[clean].mean() < 0.1
    # the threshold is a quantile of held-out *training* rows, not of X_test
    assert len(det.threshold_scores_) < len(X_train)
    assert det.threshold_ == pytest.approx(np.quantile(det.threshold_scores_, 0.98))


@pytest.mark.parametrize(("cls", "params"), DETECTORS)
def test_series_order_and_subset_invariance(cls, params, rtf_data):
    """Whole series permuted or subset give their rows' scores (sklearn's checks' analogue)."""
    X, _ = rtf_data
    det = cls(**params).fit(X)
    full = det.score_samples(X)
    units = X.index.get_level_values(0)
    ids = units.unique()[::-1]  # the series in reverse order
    shuffled = pd.concat([X.loc[[u]] for u in ids])
    order = np.concatenate([np.flatnonzero(units == u) for u in ids])
    np.testing.assert_allclose(det.score_samples(shuffled), full[order], rtol=1e-5, atol=1e-7)
    subset = X.loc[list(ids[:2])]
    rows = np.concatenate([np.flatnonzero(units == u) for u in ids[:2]])
    np.testing.assert_allclose(det.score_samples(subset), full[rows], rtol=1e-5, atol=1e-7)


def test_clone_and_pickle(fitted, X):
    params = fitted.get_params()
    copy = clone(fitted)
    assert copy.get_params() == params and not hasattr(copy, "net_")
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.score_samples(X), fitted.score_samples(X))
    np.testing.assert_array_equal(restored.transform(X), fitted.transform(X))
    assert restored.threshold_ == fitted.threshold_


def test_bad_input(fitted, X):
    with pytest.raises(ValueError, match="features"):
        fitted.score_samples(X[:, :2])
    X_nan = X.copy()
    X_nan[5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fitted.score_samples(X_nan)
    with pytest.raises(ValueError, match="NaN"):
        clone(fitted).fit(X_nan)
    with pytest.raises(ValueError, match="score_reduction"):
        clone(fitted).set_params(score_reduction="median").fit(X)
    with pytest.raises(ValueError, match="context_length"):
        clone(fitted).set_params(context_length=0).fit(X)
    with pytest.raises(ValueError, match="batch_size"):
        fitted.score_samples(X, batch_size=0)


def test_vae_kl_reduction_parameter(X):
    with pytest.raises(ValueError, match="kl_reduction"):
        LSTMVAEDetector(**TINY_VAE, kl_reduction="median").fit(X)
    det = LSTMVAEDetector(**TINY_VAE, kl_reduction="mean").fit(X)
    assert {"train_kl", "valid_kl", "train_mse"} <= set(det.history_[-1])


@pytest.mark.parametrize(("cls", "params"), DETECTORS)
def test_in_the_pretrainer_slot(cls, params, rtf_data):
    """End to end: the detector's embeddings feed HEPA's event surface."""
    X, y = rtf_data
    model = HEPAEventPredictor(pretrainer=cls(**params), **TINY_EVENTS).fit(X, y)
    P = model.predict_surface(X)
    assert P.shape == (len(X), TINY_EVENTS["horizons"])
    assert np.isfinite(P).all() and (np.diff(P, axis=1) >= -1e-6).all()
    assert isinstance(model.pretrainer_, cls)


@pytest.mark.data
@pytest.mark.skipif(
    not (get_data_home() / "smap_msl").is_dir(),
    reason="shared data folder smap_msl/ not found (set SKTIME_HEPA_DATA)",
)
@pytest.mark.parametrize(("cls", "params"), DETECTORS)
def test_smap_channel(cls, params):
    """One SMAP channel through the public API: fit on X_train, score and flag X_test."""
    from sktime_hepa.datasets import load_smap_msl

    data = load_smap_msl("SMAP", channels=["E-2"])
    det = cls(**{**params, "max_epochs": 1}).fit(data.X_train)
    scores = det.score_samples(data.X_test)
    assert scores.shape == (len(data.X_test),) and np.isfinite(scores).all()
    assert 0.0 <= roc_auc_score(data.labels_test, scores) <= 1.0
    assert det.transform(data.X_test).shape == (len(data.X_test), 4)
    assert set(np.unique(det.predict(data.X_test))) <= {0, 1}
