"""Label budgets: rows with no known horizon carry no loss, and scoring a subset of rows."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import tiny_predictor
from sklearn.frozen import FrozenEstimator

from sktime_hepa import (
    HEPAEmbeddings,
    HEPAEventPredictor,
    ITransformerEncoder,
    MAEPretrainer,
    _training,
)
from sktime_hepa.targets import SURVIVAL_DTYPE, horizon_labels

K = 8
UNLABELLED = np.array((False, 0.0), dtype=SURVIVAL_DTYPE)


def _keep(y, keep):
    """y with every row outside the boolean mask ``keep`` unlabelled."""
    y = y.copy()
    y[~keep] = UNLABELLED
    return y


def _groups(X):
    ids = X.index.get_level_values(0)
    return np.unique(ids, return_inverse=True)[1]


@pytest.fixture
def spy_datasets(monkeypatch):
    """Record the (train, valid) datasets the event training receives."""
    seen = []
    fit_net = _training.fit_net

    def spy(build, criterion, train_ds, valid_ds, *args, **kw):
        seen.append((train_ds, valid_ds))
        return fit_net(build, criterion, train_ds, valid_ds, *args, **kw)

    monkeypatch.setattr(_training, "fit_net", spy)
    return seen


def _row_embeddings(fitted_pretrainer, X):
    """Embeddings whose column 0 is the row number (to read back which rows trained)."""
    H = fitted_pretrainer.transform(X)
    H2 = np.array(H)
    H2[:, 0] = np.arange(len(H2))
    H2 = H2.view(HEPAEmbeddings)
    H2.groups = H.groups
    return H2


def _dt_mlp(**params):
    base = dict(head="dt_mlp", horizons=K, max_epochs=2, batch_size=32, device="cpu")
    return HEPAEventPredictor(**{**base, "random_state": 0, **params})


@pytest.mark.parametrize("series", [0, 5, 11])
def test_single_labelled_series_trains_and_validates_in_time(
    rtf_data, fitted_pretrainer, spy_datasets, series
):
    """With one labelled series of 12 it is split in time, never lost to validation."""
    X, y = rtf_data
    groups = _groups(X)
    y_b = _keep(y, groups == series)
    H = _row_embeddings(fitted_pretrainer, X)
    # 0.2: both time parts hold an event (rows within K steps of the failure)
    est = _dt_mlp(validation_fraction=0.2).fit(H, y_b)
    ((train, valid),) = spy_datasets
    train_rows = train.items[:, 0].astype(int)
    valid_rows = valid.items[:, 0].astype(int)
    assert (groups[train_rows] == series).all() and (groups[valid_rows] == series).all()
    assert train_rows.max() < valid_rows.min()  # a time split of the labelled span
    labelled = (groups == series) & horizon_labels(y, K)[1].any(axis=1)
    np.testing.assert_array_equal(np.sort(np.r_[train_rows, valid_rows]), np.flatnonzero(labelled))
    surface = est.predict_surface(H)
    assert surface.shape == (len(X), K) and (np.diff(surface, axis=1) >= 0).all()


def test_only_labelled_rows_train(rtf_data, fitted_pretrainer, spy_datasets):
    """Scattered labels: unlabelled rows (and series without labels) are never visited."""
    X, y = rtf_data
    groups = _groups(X)
    rng = np.random.default_rng(0)
    keep = np.isin(groups, [1, 2, 7, 9]) & (rng.random(len(X)) < 0.6)
    keep[np.flatnonzero(groups == 1)[-3:]] = True  # some events within K
    y_b = _keep(y, keep)
    H = _row_embeddings(fitted_pretrainer, X)
    _dt_mlp(validation_fraction=0.25).fit(H, y_b)
    ((train, valid),) = spy_datasets
    rows = np.r_[train.items[:, 0], valid.items[:, 0]].astype(int)
    # a censored unit's last row is (False, 0) in y itself: unlabelled too
    labelled = keep & horizon_labels(y, K)[1].any(axis=1)
    assert labelled.sum() < keep.sum()
    np.testing.assert_array_equal(np.sort(rows), np.flatnonzero(labelled))
    # fewer than 5 labelled series: each is split in time, none is held out whole
    assert len(set(groups[valid.items[:, 0].astype(int)])) == 4
    assert train.known.any(axis=1).all() and valid.known.any(axis=1).all()


@pytest.mark.parametrize("head", ["predictor", "dt_mlp"])
def test_label_budget_on_raw_series(rtf_data, fitted_pretrainer, head):
    """A frozen pretrainer's event predictor trains on 2 labelled series of 12."""
    X, y = rtf_data
    y_b = _keep(y, np.isin(_groups(X), [3, 4]))
    est = tiny_predictor(FrozenEstimator(fitted_pretrainer), head=head).fit(X, y_b)
    surface = est.predict_surface(X)
    assert surface.shape == (len(X), K) and np.isfinite(surface).all()
    assert (np.diff(surface, axis=1) >= 0).all()


def test_supervised_encoder_under_a_label_budget(rtf_data, spy_datasets):
    X, y = rtf_data
    groups = _groups(X)
    y_b = _keep(y, groups == 6)
    enc = ITransformerEncoder(
        d_model=16, n_heads=2, n_layers=1, d_out=8, context_length=32, horizons=K, max_epochs=1
    )
    enc.set_params(device="cpu", random_state=0, validation_fraction=0.2).fit(X, y_b)
    ((train, valid),) = spy_datasets
    assert (groups[train.items] == 6).all() and (groups[valid.items] == 6).all()
    assert enc.transform(X).shape == (len(X), 8)


@pytest.mark.parametrize(
    "make",
    [
        lambda: _dt_mlp(pretrainer="passthrough"),
        lambda: ITransformerEncoder(context_length=8, horizons=K, device="cpu"),
    ],
    ids=["events", "supervised_encoder"],
)
def test_nothing_labelled_is_a_clear_error(rtf_data, fitted_pretrainer, make):
    X, y = rtf_data
    y_none = np.full(len(y), UNLABELLED)
    est = make()
    X_in = fitted_pretrainer.transform(X) if isinstance(est, HEPAEventPredictor) else X
    with pytest.raises(ValueError, match="no row of y has a known label"):
        est.fit(X_in, y_none)


def test_self_supervised_pretrainer_ignores_y(rtf_data):
    """A label budget leaves pretraining alone: MAE pretrains on all of X whatever y is."""
    X, y = rtf_data
    params = dict(d_model=16, n_heads=2, n_layers=1, patch_size=4, context_length=32)
    a = MAEPretrainer(**params, max_epochs=1, device="cpu", random_state=0).fit(X)
    b = MAEPretrainer(**params, max_epochs=1, device="cpu", random_state=0)
    b.fit(X, np.full(len(y), UNLABELLED))
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


# ------------------------------------------------------------------ labelled_segments


def test_labelled_segments_cover_labelled_spans_only():
    offsets = np.array([0, 10, 25, 40])
    labelled = np.zeros(40, dtype=bool)
    labelled[[12, 14, 18]] = True  # series 1: span rows 2..8 of it
    labelled[25:40] = True  # series 2: all of it; series 0: nothing
    train, valid = _training.labelled_segments(offsets, labelled, 0.0, seed=0)
    assert valid == [] and sorted(train) == [(1, 2, 9), (2, 0, 15)]
    train, valid = _training.labelled_segments(offsets, labelled, 0.5, seed=0)
    # two labelled series (fewer than 5): each labelled span is split in time
    assert train == [(1, 2, 5), (2, 0, 7)] and valid == [(1, 5, 9), (2, 7, 15)]


def test_few_series_are_split_in_time_not_held_out():
    """Two series (say a nominal year and a labelled piece) keep both in training."""
    train, valid = _training.split_segments(np.array([100, 50]), 0.2, seed=0)
    assert train == [(0, 0, 80), (1, 0, 40)] and valid == [(0, 80, 100), (1, 40, 50)]
    train, valid = _training.split_segments(np.full(5, 10), 0.2, seed=0)
    assert len(valid) == 1 and valid[0][1:] == (0, 10)  # 5 series: one held out whole


def test_labelled_segments_keep_an_event_in_training():
    """When the held-out series holds every event, every span is split in time instead."""
    offsets = np.arange(0, 70, 10)  # 6 series of 10 rows
    labelled = np.ones(60, dtype=bool)
    for seed in range(20):
        train, _ = _training.labelled_segments(offsets, labelled, 0.2, seed=seed)
        held_out = sorted(set(range(6)) - {i for i, _, _ in train})
        positive = np.zeros(60, dtype=bool)
        positive[offsets[held_out[0]] + 5] = True  # the only event lies in the held-out series
        train, valid = _training.labelled_segments(
            offsets, labelled, 0.2, seed=seed, positive=positive
        )
        # a time split would leave validation without the event: no validation part
        assert len(train) == 6 and valid == []
        assert any(positive[offsets[i] + a : offsets[i] + b].any() for i, a, b in train)


def test_labelled_segments_split_a_single_labelled_series_in_time():
    offsets = np.array([0, 10, 30])
    labelled = np.zeros(30, dtype=bool)
    labelled[14:24] = True  # series 1, steps 4..13
    train, valid = _training.labelled_segments(offsets, labelled, 0.2, seed=0)
    assert train == [(1, 4, 12)] and valid == [(1, 12, 14)]


# ------------------------------------------------------------------ predict_surface(rows=)


def test_predict_surface_rows_on_raw_series(rtf_data, fitted_predictor):
    X, _ = rtf_data
    full = fitted_predictor.predict_surface(X)
    rows = np.array([len(X) - 1, 0, 40, 3, 40, 200])
    np.testing.assert_allclose(
        fitted_predictor.predict_surface(X, rows=rows), full[rows], rtol=1e-5, atol=1e-6
    )
    assert fitted_predictor.predict_surface(X, rows=np.array([], dtype=int)).shape == (0, K)


def test_predict_surface_rows_on_embeddings(rtf_data, fitted_pretrainer):
    X, y = rtf_data
    H = fitted_pretrainer.transform(X)
    est = _dt_mlp().fit(H, y)
    rows = np.array([7, 300, 0, 7])
    np.testing.assert_allclose(
        est.predict_surface(H, rows=rows), est.predict_surface(H)[rows], rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("rows", [[-1], [10_000], [[0, 1]], [0.5]])
def test_predict_surface_rejects_bad_rows(rtf_data, fitted_predictor, rows):
    X, _ = rtf_data
    with pytest.raises(ValueError, match="rows must"):
        fitted_predictor.predict_surface(X, rows=rows)
