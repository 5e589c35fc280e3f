"""A stream scored piece by piece gives the numbers of scoring it whole."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import tiny_predictor
from sklearn.frozen import FrozenEstimator

from sktime_hepa.streaming import SurfaceStream


@pytest.mark.parametrize("chunks", [[1] * 7 + [40], [5, 13, 2, 30], [60]])
def test_stream_equals_whole_series(rtf_data, fitted_pretrainer, chunks):
    X, y = rtf_data
    model = tiny_predictor(FrozenEstimator(fitted_pretrainer)).fit(X, y)
    unit = X.loc[X.index.get_level_values(0)[0]]  # one unit as a plain frame
    unit = unit.iloc[: sum(chunks)]
    whole = model.predict_surface(unit)
    stream = SurfaceStream(model)
    edges = np.cumsum([0, *chunks])
    parts = [stream.update(unit.iloc[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    np.testing.assert_allclose(np.concatenate(parts), whole, atol=1e-6)
    # only the tail the contexts read is kept
    assert len(stream.tails_[None]) <= fitted_pretrainer.context_length


def test_stream_of_several_series(rtf_data, fitted_pretrainer):
    X, y = rtf_data
    model = tiny_predictor(FrozenEstimator(fitted_pretrainer)).fit(X, y)
    whole = model.predict_surface(X)
    stream = SurfaceStream(model)
    time = X.index.get_level_values(1).to_numpy()
    out = np.empty_like(whole)
    for lo, hi in [(0, 10), (10, 11), (11, 25), (25, 1000)]:
        sel = np.flatnonzero((time >= lo) & (time < hi))  # every unit advances together
        out[sel] = stream.update(X.iloc[sel])
    np.testing.assert_allclose(out, whole, atol=1e-6)
    assert len(stream.tails_) == X.index.get_level_values(0).nunique()


def test_stream_needs_a_raw_series_model(rtf_data, fitted_pretrainer):
    X, y = rtf_data
    H = fitted_pretrainer.transform(X)
    model = tiny_predictor("passthrough").fit(H, y)
    with pytest.raises(ValueError, match="fitted on embeddings: it cannot read a raw stream"):
        SurfaceStream(model)


def test_stream_input_contract(rtf_data, fitted_pretrainer):
    """Order, columns by name, interleaved series, late data: each answered or refused."""
    X, y = rtf_data
    model = tiny_predictor(FrozenEstimator(fitted_pretrainer)).fit(X, y)
    whole = model.predict_surface(X)
    ids = X.index.get_level_values(0)
    first, second = ids.unique()[:2]
    a, b = np.flatnonzero(ids == first)[:6], np.flatnonzero(ids == second)[:6]
    # rows of two series interleaved in one chunk: the output keeps the input order
    order = np.ravel(np.column_stack([a, b]))
    stream = SurfaceStream(model)
    np.testing.assert_allclose(stream.update(X.iloc[order]), whole[order], atol=1e-6)
    # columns reordered: read by name
    nxt = np.flatnonzero(ids == first)[6:9]
    chunk = X.iloc[nxt]
    np.testing.assert_allclose(stream.update(chunk[chunk.columns[::-1]]), whole[nxt], atol=1e-6)
    # a sensor missing: named
    with pytest.raises(ValueError, match="lacks the sensor column"):
        stream.update(chunk.iloc[:, 1:])
    # late data: a step already seen, or time going backwards inside a chunk
    with pytest.raises(ValueError, match="late data of series"):
        stream.update(X.iloc[nxt[-1:]])
    later = np.flatnonzero(ids == first)[9:12]
    with pytest.raises(ValueError, match="not in increasing time order"):
        stream.update(X.iloc[later[::-1]])
    with pytest.raises(ValueError, match="1-D pandas Series"):
        stream.update(X.iloc[later[0]])
    # a chunk refused for one series leaves the other series untouched too
    c = np.flatnonzero(ids == second)[6:8]
    tails = {k: v.copy() for k, v in stream.tails_.items()}
    with pytest.raises(ValueError, match="late data of series"):
        stream.update(X.iloc[np.r_[c, nxt[-1:]]])
    assert all(np.array_equal(stream.tails_[k], v) for k, v in tails.items())
    np.testing.assert_allclose(stream.update(X.iloc[c]), whole[c], atol=1e-6)
    # after the refusals the stream goes on where it was
    np.testing.assert_allclose(stream.update(X.iloc[later]), whole[later], atol=1e-6)


@pytest.mark.parametrize("kind", ["pipeline", "calibrator", "age", "ridge"])
def test_any_fitted_surface_model_streams_as_it_predicts(rtf_data, kind):
    """Pipelines, calibrators and the baselines stream too, with the same surface."""
    from conftest import tiny_pretrainer

    from sktime_hepa import (
        AgeBaseline,
        HEPAEventPredictor,
        RidgeBaseline,
        SurfaceCalibrator,
        make_pipeline,
    )

    X, y = rtf_data
    if kind == "pipeline":
        model = make_pipeline(
            tiny_pretrainer(), HEPAEventPredictor(head="dt_mlp", horizons=5, max_epochs=1)
        )
    elif kind == "calibrator":
        fitted = HEPAEventPredictor(tiny_pretrainer(), horizons=5, max_epochs=1, random_state=0)
        model = SurfaceCalibrator(fitted.fit(X, y))  # fits on the calibration rows only
    else:
        model = {"age": AgeBaseline, "ridge": RidgeBaseline}[kind](horizons=5)
    model.fit(X, y)
    one = X.loc[[X.index.get_level_values(0)[0]]]
    stream = SurfaceStream(model)
    got = np.concatenate([stream.update(one.iloc[i : i + 7]) for i in range(0, len(one), 7)])
    np.testing.assert_allclose(got, model.predict_surface(one), atol=1e-5)
    # the baselines read the whole history (age, running means): nothing is cut
    assert (stream.context_length_ is None) == (kind in ("age", "ridge"))


def test_a_model_that_cannot_stream_is_named(rtf_data, fitted_pretrainer):
    from sktime_hepa import HEPAEventPredictor

    X, y = rtf_data
    with pytest.raises(ValueError, match="has no predict_surface"):
        SurfaceStream(fitted_pretrainer)
    on_embeddings = HEPAEventPredictor(horizons=5, max_epochs=1).fit(
        fitted_pretrainer.transform(X), y
    )
    with pytest.raises(ValueError, match="fitted on embeddings.*make_pipeline"):
        SurfaceStream(on_embeddings)


def test_a_chunk_refused_midway_changes_nothing_and_tz_aware_times_are_checked(rtf_data):
    """A series refused after another was scored restores both; tz-aware stamps are times."""
    import pandas as pd

    from sktime_hepa import AgeBaseline

    X, y = rtf_data
    model = AgeBaseline(horizons=5).fit(X, y)
    ids = X.index.get_level_values(0)
    first, second = ids.unique()[:2]
    a, b = np.flatnonzero(ids == first)[:4], np.flatnonzero(ids == second)[:4]
    stream = SurfaceStream(model)
    stream.update(X.iloc[np.r_[a, b]])
    before = ({k: v.copy() for k, v in stream.tails_.items()}, dict(stream.last_time_))
    # the second series' rows carry text: refused after the first series was scored
    nxt = np.r_[np.flatnonzero(ids == first)[4:6], np.flatnonzero(ids == second)[4:6]]
    bad = X.iloc[nxt].astype(object)
    bad.iloc[-1, 0] = "broken"
    with pytest.raises(ValueError, match="not numbers"):
        stream.update(bad)
    assert stream.last_time_ == before[1]
    assert all(np.array_equal(stream.tails_[k], v) for k, v in before[0].items())
    # one stream indexed by tz-aware time stamps: late data is refused as for naive ones
    one = X.loc[first].copy()
    one.index = pd.date_range("2026-01-01", periods=len(one), freq="h", tz="UTC")
    tz_stream = SurfaceStream(model)
    tz_stream.update(one.iloc[:5])
    with pytest.raises(ValueError, match="late data"):
        tz_stream.update(one.iloc[3:4])
