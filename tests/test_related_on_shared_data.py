"""Each related system fits, transforms and scores on every shared dataset (issue 9).

Tiny sizes and one epoch on the first rows of each loader's training split:
what is checked is the public API on real data (shapes, finiteness, the
threshold from held-out training rows, causality of the score on real rows),
not the quality of the models (the benchmarks measure that). Skipped where a
dataset's folder is absent from the shared data.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sktime_hepa import (
    AnomalyTransformerDetector,
    LSTMAttentionAutoencoder,
    LSTMVAEDetector,
    MTSJEPAPretrainer,
    SensitiveMambaDetector,
    TRepEncoder,
)
from sktime_hepa.datasets import (
    get_data_home,
    load_batadal,
    load_beijing_air,
    load_cmapss,
    load_ettm1,
    load_gecco,
    load_mba,
    load_psm,
    load_smap_msl,
    load_tep,
    load_vix,
    load_weather,
)
from sktime_hepa.diagnostics import CollapseWarning

HOME = get_data_home()
_COMMON = dict(max_epochs=1, batch_size=32, stride=8, device="cpu", random_state=0)
SYSTEMS = {
    "trep": lambda: TRepEncoder(
        hidden_dims=8, output_dims=8, depth=3, time_embedding_dims=8, context_length=24, **_COMMON
    ),
    "mts_jepa": lambda: MTSJEPAPretrainer(
        window=8,
        patch_size=4,
        d_model=16,
        n_layers=1,
        n_heads=2,
        n_codes=8,
        predictor_hidden=8,
        **_COMMON,
    ),  # fmt: skip
    "lstm_vae": lambda: LSTMVAEDetector(hidden_size=8, latent_size=4, **_COMMON),
    "lstm_attention": lambda: LSTMAttentionAutoencoder(
        hidden_size=8, bottleneck_size=4, attention_size=4, **_COMMON
    ),
    "anomaly_transformer": lambda: AnomalyTransformerDetector(
        d_model=16, n_layers=1, n_heads=2, d_ff=16, context_length=16, **_COMMON
    ),
    "sensitive_mamba": lambda: SensitiveMambaDetector(
        d_model=8, d_hidden=8, n_layers=1, context_length=16, **_COMMON
    ),
}
# name -> (loader call, shared data folder)
DATASETS = {
    "fd001": (lambda: load_cmapss("FD001"), "cmapss"),
    "fd002": (lambda: load_cmapss("FD002"), "cmapss"),
    "smap": (lambda: load_smap_msl("SMAP"), "smap_msl"),
    "msl": (lambda: load_smap_msl("MSL"), "smap_msl"),
    "mba": (load_mba, "mba"),
    "batadal": (load_batadal, "batadal"),
    "gecco": (load_gecco, "gecco2018"),
    "tep": (load_tep, "tep"),
    "psm": (load_psm, "psm"),
    "ettm1": (load_ettm1, "ett"),
    "weather": (load_weather, "weather"),
    "beijing": (load_beijing_air, "beijing_air"),
    "vix": (load_vix, "vix"),
}
_cache: dict = {}


def _available(name) -> bool:
    folder = HOME / DATASETS[name][1]
    if name == "psm":  # the folder exists, its csv files may not
        return (folder / "train.csv").is_file() or (folder / "train.csv.gz").is_file()
    return folder.is_dir()


def _small(name, n_series=2, n_steps=160):
    """The first ``n_steps`` rows of the first ``n_series`` training series (and test)."""
    if name not in _cache:
        bunch = DATASETS[name][0]()

        def head(X):
            ids = pd.unique(X.index.get_level_values(0))[:n_series]
            parts = [X.loc[[i]].iloc[:n_steps] for i in ids]
            return pd.concat(parts)

        _cache[name] = head(bunch.X_train), head(bunch.X_test)
    return _cache[name]


def _params():
    return [
        pytest.param(
            d,
            marks=[
                pytest.mark.data,
                pytest.mark.skipif(not _available(d), reason=f"shared {d} data not found"),
            ],
        )
        for d in DATASETS
    ]


@pytest.mark.parametrize("dataset", _params())
@pytest.mark.parametrize("system", list(SYSTEMS))
def test_fits_transforms_and_scores(system, dataset):
    X_train, X_test = _small(dataset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CollapseWarning)  # one epoch of a width-8 model
        model = SYSTEMS[system]().fit(X_train)
    H = model.transform(X_test)
    scores = model.score_samples(X_test)
    flags = model.predict(X_test)
    assert H.shape == (len(X_test), model.encoder_module_.d_model)
    assert np.isfinite(H).all() and np.isfinite(scores).all()
    assert scores.shape == flags.shape == (len(X_test),)
    assert set(np.unique(flags)) <= {0, 1}
    assert np.isfinite(model.threshold_)
    # the score of a row reads only its past: later rows changed, earlier scores unchanged
    first = pd.unique(X_test.index.get_level_values(0))[0]
    rows = np.flatnonzero(X_test.index.get_level_values(0) == first)
    cut = rows[len(rows) // 2]
    X_later = X_test.copy()
    X_later.iloc[cut + 1 : rows[-1] + 1] += 3.0
    np.testing.assert_allclose(
        model.score_samples(X_later, rows=rows[: len(rows) // 2 + 1]),
        scores[rows[: len(rows) // 2 + 1]],
        rtol=1e-5,
        atol=1e-6,
    )
