"""Detectors rank injected anomalies, and degenerate scores are named (issue 17)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from sktime_hepa import AnomalyTransformerDetector, DegenerateScoreWarning
from sktime_hepa.encoders._detector import degenerate_scores


def sine_panel(n_units, length, n_channels, *, spikes, seed):
    """Noisy sines per channel; with ``spikes``, +-3 on every channel at 2 % of the steps."""
    rng = np.random.default_rng(seed)
    frames, labels = [], []
    for u in range(n_units):
        t = np.arange(length)
        x = np.stack(
            [
                np.sin(2 * np.pi * t / rng.uniform(20, 60) + rng.uniform(0, 6))
                for _ in range(n_channels)
            ],
            axis=1,
        ) + 0.1 * rng.normal(size=(length, n_channels))
        lab = np.zeros(length, dtype=int)
        if spikes:
            at = rng.choice(np.arange(40, length), size=length // 50, replace=False)
            x[at] += rng.choice([-3.0, 3.0], size=(len(at), n_channels))
            lab[at] = 1
        index = pd.MultiIndex.from_product([[u], t], names=["unit", "time"])
        frames.append(pd.DataFrame(x, index=index, columns=[f"c{i}" for i in range(n_channels)]))
        labels.append(lab)
    return pd.concat(frames), np.concatenate(labels)


@pytest.fixture(scope="module")
def spike_data():
    X_train, _ = sine_panel(6, 300, 3, spikes=False, seed=0)
    X_test, y_test = sine_panel(3, 400, 3, spikes=True, seed=1)
    return X_train, X_test, y_test


def small_at(**kw):
    return AnomalyTransformerDetector(
        d_model=32,
        n_layers=1,
        n_heads=2,
        d_ff=32,
        context_length=32,
        max_epochs=2,
        batch_size=128,
        lr=1e-3,
        random_state=0,
        device="cpu",
        **kw,
    )


def test_anomaly_transformer_causal_readout_ranks_spikes(spike_data):
    X_train, X_test, y_test = spike_data
    det = small_at().fit(X_train)  # the default read-out: no degenerate warning
    auroc = roc_auc_score(y_test, det.score_samples(X_test))
    assert auroc > 0.8, auroc
    assert not degenerate_scores(det.threshold_scores_, det.threshold_)
    flagged = det.predict(X_test)
    assert 0 < flagged.mean() < 0.5


def test_window_readout_is_degenerate_and_warns(spike_data):
    """The original's softmax over the window, read at the last step, scores about 0: named."""
    X_train, X_test, y_test = spike_data
    with pytest.warns(DegenerateScoreWarning, match="one value|threshold"):
        det = small_at(readout="window").fit(X_train)
    assert roc_auc_score(y_test, det.score_samples(X_test)) < 0.75


@pytest.mark.parametrize(
    ("scores", "threshold", "problem"),
    [
        (np.zeros(100), 0.0, "one value"),
        (np.r_[np.zeros(60), np.linspace(1, 2, 40)], 1.9, "one value"),
        (np.r_[np.zeros(90), np.linspace(1, 2, 10)], 0.0, "one value"),
        (np.linspace(0, 1, 100), 0.4, "at or below their median"),
        (np.linspace(0, 1, 100), 0.99, ""),
        (np.r_[np.ones(5), np.nan], 1.0, "not all finite"),
        (np.linspace(-3, -1, 100), -1.02, ""),
    ],
)
def test_degenerate_scores_known_cases(scores, threshold, problem):
    got = degenerate_scores(scores, threshold)
    assert (problem in got) if problem else got == ""


def test_window_scores_are_the_published_protocol(spike_data):
    """score_windows: every row scored once, inside non-overlapping windows, as the code does."""
    import torch

    X_train, X_test, _ = spike_data
    det = small_at().fit(X_train)
    scores = det.score_windows(X_test)
    assert scores.shape == (len(X_test),) and np.isfinite(scores).all() and (scores >= 0).all()
    # the first window of the first series, computed by hand from the module
    source = det.to_rows(X_test)
    ctx, mask = source.contexts(np.array([0]), np.array([31]))
    with torch.no_grad():
        expected = det.net_.module_.window_scores(ctx, mask)[0].double().numpy()
    np.testing.assert_allclose(scores[:32], expected, rtol=1e-3, atol=1e-8)
    # a window's scores sum to its MSE-weighted softmax: at most W times its largest MSE
    assert scores[:32].sum() <= 32 * expected.max() + 1e-9


def test_sensitive_mamba_window_scores_rank_spikes(spike_data):
    """SensitiveMamba's published-protocol score: each row near a window's middle, spikes on top."""
    import torch

    from sktime_hepa import SensitiveMambaDetector

    X_train, X_test, y_test = spike_data
    W = 32
    det = SensitiveMambaDetector(
        d_model=16, d_hidden=16, n_layers=1, context_length=W, max_epochs=2, random_state=0
    ).fit(X_train)
    module, source = det.net_.module_, det.to_rows(X_test)

    def by_hand(end):  # the normalised scores of the window ending at row `end`
        ctx, mask = source.contexts(np.array([0]), np.array([end]))
        with torch.no_grad():
            return module.window_scores(ctx, mask)[0].double().numpy()  # (W,)

    # non-overlapping windows: the first window's rows are that window's scores
    flat = det.score_windows(X_test, stride=W)
    np.testing.assert_allclose(flat[:W], by_hand(W - 1), rtol=1e-3, atol=1e-6)
    # stride 1, the code's scoring: row r at the middle of the window ending at r + W - 1 - W // 2
    exact = det.score_windows(X_test, stride=1)
    r = 100
    np.testing.assert_allclose(exact[r], by_hand(r + W - 1 - W // 2)[W // 2], rtol=1e-3)
    # the default (stride W // 4) and the code's own test-data normalisation both rank spikes
    for scores in (det.score_windows(X_test), det.score_windows(X_test, normalise="scored")):
        assert scores.shape == (len(X_test),) and np.isfinite(scores).all()
        assert roc_auc_score(y_test, scores) > 0.8
    for bad in ({"stride": 0}, {"stride": W + 1}, {"stride": 2.0}, {"normalise": "test"}):
        with pytest.raises(ValueError, match="stride|normalise"):
            det.score_windows(X_test, **bad)
    with pytest.raises(ValueError, match="batch_size"):
        det.score_windows(X_test, batch_size=0)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SensitiveMambaDetector().score_windows(X_test)
    with pytest.raises(NotFittedError):
        small_at().score_windows(X_test)
