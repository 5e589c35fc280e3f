"""The baseline encoders (MAE, PatchTST-style, iTransformer-style) as sklearn transformers."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError

from sktime_hepa import (
    HEPAEmbeddings,
    HEPAEventPredictor,
    ITransformerEncoder,
    MAEPretrainer,
    PatchTSTEncoder,
)
from sktime_hepa.datasets import make_run_to_failure
from sktime_hepa.targets import SURVIVAL_DTYPE

K = 8
_TINY = dict(d_model=16, n_heads=2, n_layers=1, max_epochs=2, batch_size=32, device="cpu")

# name -> (unfitted encoder, width of h_t, feature-name prefix)
ENCODERS = {
    "mae": (MAEPretrainer(**_TINY, patch_size=4, context_length=32, random_state=0), 16, "mae"),
    # PatchTST at its default d_out=256, iTransformer at a custom d_out
    "patchtst": (
        PatchTSTEncoder(**_TINY, patch_size=4, context_length=32, horizons=K, random_state=0),
        256,
        "patchtst",
    ),
    "itransformer": (
        ITransformerEncoder(**_TINY, d_out=24, context_length=32, horizons=K, random_state=0),
        24,
        "itransformer",
    ),
}
SUPERVISED = ["patchtst", "itransformer"]


def _events(**params) -> HEPAEventPredictor:
    base = dict(head="dt_mlp", horizons=K, max_epochs=2, batch_size=32, device="cpu")
    return HEPAEventPredictor(**{**base, "random_state": 0, **params})


def _check_surface(surface, n_rows):
    assert surface.shape == (n_rows, K)
    assert np.isfinite(surface).all()
    assert (surface >= 0).all() and (surface <= 1).all()
    assert (np.diff(surface, axis=1) >= 0).all()


@pytest.fixture(scope="module")
def fitted(rtf_data):
    """Each encoder fitted once on ``rtf_data`` (dict name -> encoder); do not mutate."""
    X, y = rtf_data
    return {name: clone(enc).fit(X, y) for name, (enc, _, _) in ENCODERS.items()}


@pytest.mark.parametrize("name", list(ENCODERS))
def test_encoder_drops_into_a_pipeline(rtf_data, name):
    X, y = rtf_data
    pipe = Pipeline([("encode", clone(ENCODERS[name][0])), ("events", _events())]).fit(X, y)
    head = pipe.named_steps["events"]
    assert head.pretrainer_ is None  # trained on the embeddings of the first step
    assert head.n_parameters_["total"] == head.n_parameters_["trained"]
    surface = head.predict_surface(pipe[:-1].transform(X))
    _check_surface(surface, len(X))
    proba = pipe.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], surface[:, K - 1], rtol=1e-6)


@pytest.mark.parametrize("name", list(ENCODERS))
def test_transform_returns_embeddings(rtf_data, fitted, name):
    X, _ = rtf_data
    _, width, _ = ENCODERS[name]
    H = fitted[name].transform(X)
    assert isinstance(H, HEPAEmbeddings)
    assert H.shape == (len(X), width) and H.dtype == np.float32
    assert np.isfinite(H).all()
    lengths = X.groupby(level=0, sort=False).size().to_numpy()
    np.testing.assert_array_equal(H.groups, np.repeat(np.arange(len(lengths)), lengths))


@pytest.mark.parametrize("name", list(ENCODERS))
def test_transform_rows_equals_transform_of_those_rows(rtf_data, fitted, name):
    X, _ = rtf_data
    enc = fitted[name]
    H = enc.transform(X)
    # unsorted, repeated, first row of a series (shorter than a patch), last row
    rows = np.array([len(X) - 1, 0, 17, 5, 17, 120, 1, 250])
    H_rows = enc.transform_rows(X, rows)
    assert isinstance(H_rows, HEPAEmbeddings)
    # other rows share the chunk, so contexts are padded differently: float tolerance
    np.testing.assert_allclose(H_rows, H[rows], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(H_rows.groups, H.groups[rows])
    np.testing.assert_allclose(enc.transform_rows(X, None), H, rtol=1e-4, atol=1e-5)
    assert enc.transform_rows(X, np.array([], dtype=np.int64)).shape == (0, H.shape[1])


@pytest.mark.parametrize("name", list(ENCODERS))
@pytest.mark.parametrize(
    "rows, match",
    [
        ([-1], r"rows must lie in \[0, "),
        ([10_000], r"rows must lie in \[0, "),
        ([[0, 1]], "1-D array of row numbers"),
        ([0.0, 1.0], "1-D array of row numbers"),
    ],
)
def test_transform_rows_rejects_bad_rows(rtf_data, fitted, name, rows, match):
    X, _ = rtf_data
    with pytest.raises(ValueError, match=match):
        fitted[name].transform_rows(X, rows)


@pytest.mark.parametrize("name", list(ENCODERS))
def test_same_random_state_same_transform(rtf_data, fitted, name):
    X, y = rtf_data
    again = clone(fitted[name]).fit(X, y)
    np.testing.assert_array_equal(again.transform(X), fitted[name].transform(X))


@pytest.mark.parametrize("name", list(ENCODERS))
def test_clone_and_pickle_round_trip(rtf_data, fitted, name):
    X, _ = rtf_data
    enc = fitted[name]
    fresh = clone(enc)
    assert fresh.get_params() == enc.get_params()
    with pytest.raises(NotFittedError):
        fresh.transform(X)
    loaded = pickle.loads(pickle.dumps(enc))
    H = loaded.transform(X)
    np.testing.assert_array_equal(H, enc.transform(X))
    np.testing.assert_array_equal(H.groups, enc.transform(X).groups)


@pytest.mark.parametrize("name", list(ENCODERS))
def test_get_feature_names_out(fitted, name):
    _, width, prefix = ENCODERS[name]
    names = fitted[name].get_feature_names_out()
    assert len(names) == width
    assert names[0] == f"{prefix}0" and names[-1] == f"{prefix}{width - 1}"


@pytest.mark.parametrize("name", list(ENCODERS))
def test_series_order_invariance(rtf_data, fitted, name):
    """Permuting whole series permutes the rows of the output, nothing else."""
    X, _ = rtf_data
    ids = X.index.get_level_values(0).unique()
    order = ids[::-1]
    X_perm = X.loc[order]
    H = fitted[name].transform(X)
    H_perm = fitted[name].transform(X_perm)
    back = np.concatenate([np.flatnonzero(X.index.get_level_values(0) == i) for i in order])
    np.testing.assert_allclose(H_perm, H[back], rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------ supervised encoders


@pytest.mark.parametrize("name", SUPERVISED)
def test_supervised_encoder_needs_y(rtf_data, name):
    X, _ = rtf_data
    enc = clone(ENCODERS[name][0])
    with pytest.raises(ValueError, match="requires y"):
        enc.fit(X)
    with pytest.raises(ValueError, match="requires y"):
        enc.fit(X, None)
    with pytest.raises(ValueError, match="requires y"):
        enc.fit_transform(X)  # what a Pipeline's fit(X) calls


@pytest.mark.parametrize("name", SUPERVISED)
def test_supervised_encoder_rejects_one_class_y(rtf_data, name):
    X, _ = rtf_data
    enc = clone(ENCODERS[name][0])
    with pytest.raises(ValueError, match="only one class"):
        enc.fit(X, np.zeros(len(X), dtype=int))  # per-step labels without an event
    never = np.zeros(len(X), dtype=SURVIVAL_DTYPE)
    never["time"] = 1000.0  # every row censored far beyond K: no positive cell
    with pytest.raises(ValueError, match="no positive cell"):
        enc.fit(X, never)
    always = np.zeros(len(X), dtype=SURVIVAL_DTYPE)
    always["event"] = True  # every row fails at once: no negative cell
    with pytest.raises(ValueError, match="no negative cell"):
        enc.fit(X, always)


@pytest.fixture(scope="module")
def cmapss_like():
    """Units of unequal length (24-60 cycles) in 3 operating regimes, some censored."""
    return make_run_to_failure(
        10, n_sensors=4, n_conditions=3, min_life=24, max_life=60, random_state=1
    )


def _history_matters(enc, X):
    """Does the last row of unit 0 see that unit's first step?"""
    X_old = X.copy()
    first = X.index[0]
    X_old.loc[first] = X_old.loc[first] + 3.0
    last = np.flatnonzero(X.index.get_level_values(0) == X.index[0][0])[-1]
    before = enc.transform_rows(X, [last])
    after = enc.transform_rows(X_old, [last])
    return not np.allclose(before, after, atol=1e-6)


def test_patchtst_whole_history_context(cmapss_like):
    X, y = cmapss_like
    enc = PatchTSTEncoder(**_TINY, patch_size=4, context_length=None, horizons=K, random_state=0)
    H = enc.fit(X, y).transform(X)
    assert H.shape == (len(X), 256) and np.isfinite(H).all()
    assert _history_matters(enc, X)  # the whole history reaches the last row
    _check_surface(_events().fit(H, y).predict_surface(H), len(X))


def test_itransformer_fixed_window_covers_the_history(cmapss_like):
    X, y = cmapss_like
    longest = int(X.groupby(level=0).size().max())
    enc = ITransformerEncoder(**_TINY, context_length=64, horizons=K, random_state=0)
    H = enc.fit(X, y).transform(X)
    assert longest <= 64
    assert H.shape == (len(X), 256) and np.isfinite(H).all()
    assert _history_matters(enc, X)
    # a window shorter than the history keeps only the last context_length steps
    short = ITransformerEncoder(**_TINY, context_length=8, horizons=K, random_state=0).fit(X, y)
    assert not _history_matters(short, X)


def test_itransformer_needs_a_fixed_context_length(cmapss_like):
    X, y = cmapss_like
    enc = ITransformerEncoder(**_TINY, context_length=None, horizons=K)
    with pytest.raises(InvalidParameterError, match="context_length"):
        enc.fit(X, y)


def test_itransformer_backbone_rejects_longer_context():
    import torch

    from sktime_hepa.nn.itransformer import ITransformerBackbone

    net = ITransformerBackbone(n_channels=2, context_length=8, d_model=8, n_heads=2, d_out=4)
    x = torch.zeros(1, 12, 2)
    with pytest.raises(ValueError, match="12 steps is longer than context_length=8"):
        net(x, torch.ones(1, 12, dtype=torch.bool))
