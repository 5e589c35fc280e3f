"""save_weights / load_weights: fitted torch estimators as safetensors, no pickle."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch
from conftest import TINY_EVENTS, tiny_predictor, tiny_pretrainer
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from skorch.callbacks import PrintLog

from sktime_hepa import (
    AgeBaseline,
    HEPAEventPredictor,
    HEPAPretrainer,
    MAEPretrainer,
    PatchTSTEncoder,
    make_pipeline,
)
from sktime_hepa.persistence import WeightsWarning, load_weights, save_weights, weights_info

pytest.importorskip("safetensors")
from safetensors import safe_open  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

_TINY = dict(d_model=16, n_heads=2, n_layers=1, max_epochs=2, batch_size=32, device="cpu")


def _roundtrip(estimator, tmp_path, name="model.safetensors", **load):
    path = save_weights(estimator, tmp_path / name)
    return load_weights(path, device="cpu", **load)


def _plain_params(est) -> dict:
    """get_params without the nested estimators (compared on their own)."""
    return {k: v for k, v in est.get_params(deep=False).items() if not hasattr(v, "get_params")}


def _same_state(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def _rewrite(path, out, edit):
    """Copy a weights file with its JSON document changed by ``edit(doc)``."""
    with safe_open(path, framework="pt") as fh:
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
        metadata = fh.metadata()
    doc = json.loads(metadata["sktime_hepa"])
    edit(doc)
    save_file(tensors, out, metadata={**metadata, "sktime_hepa": json.dumps(doc)})
    return out


# ----------------------------------------------------------------------- round trips
def test_pretrainer_roundtrip(rtf_data, fitted_pretrainer, tmp_path):
    X, _ = rtf_data
    loaded = _roundtrip(fitted_pretrainer, tmp_path)
    assert type(loaded) is HEPAPretrainer
    np.testing.assert_allclose(loaded.transform(X), fitted_pretrainer.transform(X), atol=1e-6)
    assert _plain_params(loaded) == _plain_params(fitted_pretrainer)
    for name in ("mean_", "scale_", "feature_names_in_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(fitted_pretrainer, name))
        assert getattr(loaded, name).dtype == getattr(fitted_pretrainer, name).dtype
    assert loaded.n_features_in_ == fitted_pretrainer.n_features_in_
    assert loaded.collapse_stats_ == pytest.approx(fitted_pretrainer.collapse_stats_)
    assert _same_state(loaded.net_.module_, fitted_pretrainer.net_.module_)
    assert not hasattr(loaded, "history_")  # not kept (documented)
    # the loaded estimator is an ordinary one: it pickles and clones
    again = pickle.loads(pickle.dumps(loaded))
    np.testing.assert_array_equal(again.transform(X), loaded.transform(X))
    assert _plain_params(clone(loaded)) == _plain_params(fitted_pretrainer)


def test_event_predictor_with_its_frozen_pretrainer(rtf_data, fitted_predictor, tmp_path):
    X, y = rtf_data
    loaded = _roundtrip(fitted_predictor, tmp_path)
    assert type(loaded) is HEPAEventPredictor
    np.testing.assert_allclose(
        loaded.predict_surface(X), fitted_predictor.predict_surface(X), atol=1e-6
    )
    np.testing.assert_allclose(
        loaded.predict_proba(X), fitted_predictor.predict_proba(X), atol=1e-6
    )
    assert loaded.score(X, y) == pytest.approx(fitted_predictor.score(X, y), abs=1e-6)
    # the frozen pretrainer comes back fitted, and is the pretrainer_ that reads X
    assert isinstance(loaded.pretrainer, FrozenEstimator)
    assert loaded.pretrainer_ is loaded.pretrainer.estimator
    np.testing.assert_allclose(
        loaded.pretrainer_.transform(X), fitted_predictor.pretrainer_.transform(X), atol=1e-6
    )
    np.testing.assert_array_equal(loaded.classes_, fitted_predictor.classes_)
    assert loaded.pos_weight_ == fitted_predictor.pos_weight_

    # the frozen parts are frozen again: a refit of the head could not move them
    def grads(model):
        return {n: p.requires_grad for n, p in model.net_.module_.named_parameters()}

    assert grads(loaded) == grads(fitted_predictor)
    assert not any(v for n, v in grads(loaded).items() if n.startswith("encoder."))


@pytest.mark.parametrize(
    "params",
    [
        dict(standardize=True),
        dict(standardize="whiten"),
        dict(finetune="probe"),
        dict(head="dt_mlp"),
    ],
    ids=["standardize", "whiten", "probe", "dt_mlp"],
)
def test_event_predictor_variants(rtf_data, fitted_pretrainer, tmp_path, params):
    X, y = rtf_data
    model = tiny_predictor(FrozenEstimator(fitted_pretrainer), **params).fit(X, y)
    loaded = _roundtrip(model, tmp_path)
    np.testing.assert_allclose(loaded.predict_surface(X), model.predict_surface(X), atol=1e-6)


def test_event_predictor_with_its_own_pretrainer(rtf_data, tmp_path):
    """An unfitted pretrainer= stays unfitted; the fitted clone pretrainer_ is restored."""
    X, y = rtf_data
    model = tiny_predictor(finetune="end_to_end", max_epochs=1).fit(X, y)
    loaded = _roundtrip(model, tmp_path)
    np.testing.assert_allclose(loaded.predict_surface(X), model.predict_surface(X), atol=1e-6)
    assert not hasattr(loaded.pretrainer, "net_") and hasattr(loaded.pretrainer_, "net_")
    assert _plain_params(loaded.pretrainer) == _plain_params(model.pretrainer)


def test_event_predictor_on_embeddings(rtf_data, fitted_pretrainer, tmp_path):
    X, y = rtf_data
    H = fitted_pretrainer.transform(X)
    model = HEPAEventPredictor(**TINY_EVENTS).fit(H, y)
    loaded = _roundtrip(model, tmp_path)
    assert loaded.pretrainer_ is None
    np.testing.assert_allclose(loaded.predict_surface(H), model.predict_surface(H), atol=1e-6)


def test_string_classes_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3)).astype(np.float32)
    labels = np.where(rng.random(120) < 0.2, "failure", "normal")
    with pytest.warns(UserWarning, match="larger"):  # EventLabelWarning: which one is the event
        model = tiny_predictor(tiny_pretrainer(max_epochs=1)).fit(X, labels)
    loaded = _roundtrip(model, tmp_path)
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize(
    "make",
    [
        lambda: MAEPretrainer(**_TINY, patch_size=4, context_length=32, random_state=0),
        lambda: tiny_pretrainer(target_encoder="ema"),
        lambda: tiny_pretrainer(reconstruction_weight=0.5, normalization="instance_stats"),
        lambda: PatchTSTEncoder(
            **_TINY, patch_size=4, d_out=8, context_length=32, horizons=8, random_state=0
        ),
    ],
    ids=["mae", "hepa_ema", "hepa_reconstruction", "patchtst"],
)
def test_other_encoders_roundtrip(rtf_data, tmp_path, make):
    X, y = rtf_data
    encoder = make().fit(X, y)
    loaded = _roundtrip(encoder, tmp_path)
    assert type(loaded) is type(encoder)
    np.testing.assert_allclose(loaded.transform(X), encoder.transform(X), atol=1e-6)
    assert _same_state(loaded.net_.module_, encoder.net_.module_)


def test_loading_runs_no_pickle_and_keeps_the_callers_rng(fitted_predictor, tmp_path, monkeypatch):
    path = save_weights(fitted_predictor, tmp_path / "m.safetensors")

    def refuse(*args, **kwargs):
        raise AssertionError("load_weights unpickled something")

    for name in ("load", "loads"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(torch, "load", refuse)
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    load_weights(path, device="cpu")
    assert torch.equal(torch.random.get_rng_state(), state)
    info = weights_info(path)
    assert info["package_version"] == __import__("sktime_hepa").__version__
    assert info["torch_version"] == torch.__version__
    assert info["estimator"]["class"] == "sktime_hepa.surfaces.hepa.HEPAEventPredictor"


def test_parameters_that_are_not_data_are_dropped_with_a_warning(
    rtf_data, fitted_pretrainer, tmp_path
):
    X, _ = rtf_data
    model = pickle.loads(pickle.dumps(fitted_pretrainer))  # a fitted copy to change
    model.set_params(callbacks=[PrintLog()], random_state=np.random.RandomState(0))
    with pytest.warns(WeightsWarning, match="callbacks.*random_state"):
        path = save_weights(model, tmp_path / "m.safetensors")
    loaded = load_weights(path, device="cpu")
    assert loaded.callbacks is None and loaded.random_state is None  # the defaults
    np.testing.assert_allclose(loaded.transform(X), model.transform(X), atol=1e-6)


# ---------------------------------------------------------------------------- refusals
def test_refuses_what_it_cannot_store(rtf_data, tmp_path):
    X, y = rtf_data
    with pytest.raises(NotFittedError):
        save_weights(tiny_pretrainer(), tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="AgeBaseline has none"):
        save_weights(AgeBaseline(horizons=8).fit(X, y), tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="not a Pipeline: save each torch step"):
        save_weights(make_pipeline(tiny_pretrainer(), AgeBaseline()), tmp_path / "x.safetensors")


def test_version_checks(fitted_pretrainer, tmp_path):
    path = save_weights(fitted_pretrainer, tmp_path / "m.safetensors")
    major, minor = (int(v) for v in __import__("sktime_hepa").__version__.split(".")[:2])

    def version(v):
        return lambda doc: doc.update(package_version=v)

    newer = _rewrite(path, tmp_path / "newer.safetensors", version(f"{major + 1}.0.0"))
    with pytest.raises(ValueError, match="newer major version"):
        load_weights(newer, device="cpu")
    other_minor = _rewrite(path, tmp_path / "minor.safetensors", version(f"{major}.{minor + 1}.0"))
    with pytest.warns(WeightsWarning, match=f"written by sktime_hepa {major}.{minor + 1}.0"):
        assert isinstance(load_weights(other_minor, device="cpu"), HEPAPretrainer)
    fmt = _rewrite(path, tmp_path / "fmt.safetensors", lambda d: d.update(format_version=99))
    with pytest.raises(ValueError, match="weights format 99"):
        load_weights(fmt, device="cpu")


def test_class_checks(fitted_predictor, tmp_path):
    path = save_weights(fitted_predictor, tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="holds a HEPAEventPredictor, not the HEPAPretrainer"):
        load_weights(path, device="cpu", estimator_class=HEPAPretrainer)
    assert isinstance(load_weights(path, device="cpu", estimator_class=HEPAEventPredictor), object)

    def with_class(cls):
        return lambda doc: doc["estimator"].update({"class": cls})

    foreign = _rewrite(path, tmp_path / "foreign.safetensors", with_class("os.system"))
    with pytest.raises(ValueError, match="not one of sktime_hepa"):
        load_weights(foreign, device="cpu")
    gone = _rewrite(path, tmp_path / "gone.safetensors", with_class("sktime_hepa.surfaces.Nope"))
    with pytest.raises(ValueError, match="does not have"):
        load_weights(gone, device="cpu")
    helper = with_class("sktime_hepa.persistence.load_weights")
    with pytest.raises(ValueError, match="not an estimator class"):
        load_weights(_rewrite(path, tmp_path / "fn.safetensors", helper), device="cpu")


def test_weights_that_do_not_fit_the_parameters(fitted_pretrainer, tmp_path):
    path = save_weights(fitted_pretrainer, tmp_path / "m.safetensors")
    wider = _rewrite(
        path, tmp_path / "w.safetensors", lambda doc: doc["estimator"]["params"].update(d_model=32)
    )
    with pytest.raises(ValueError, match="stored weights do not fit the JEPAModule"):
        load_weights(wider, device="cpu")
    unknown = _rewrite(
        path, tmp_path / "u.safetensors", lambda doc: doc["estimator"]["params"].update(nope=1)
    )
    with pytest.raises(ValueError, match="parameters do not fit HEPAPretrainer"):
        load_weights(unknown, device="cpu")


def test_not_a_weights_file(tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x80\x04 this is a pickle, not safetensors")
    with pytest.raises(ValueError, match="not a safetensors file"):
        load_weights(junk, device="cpu")
    other = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(2)}, other)
    with pytest.raises(ValueError, match="not written by sktime_hepa.save_weights"):
        load_weights(other, device="cpu")
    with pytest.raises(FileNotFoundError):
        load_weights(tmp_path / "missing.safetensors")


# ----------------------------------------------------------------------------- devices
def test_device_requests(fitted_pretrainer, tmp_path):
    path = save_weights(fitted_pretrainer, tmp_path / "m.safetensors")
    loaded = load_weights(path, device="auto")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert next(loaded.net_.module_.parameters()).device.type == expected
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            load_weights(path, device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_saved_on_cuda_loaded_on_cpu(rtf_data, tmp_path):
    X, y = rtf_data
    model = tiny_predictor(tiny_pretrainer(device="cuda"), device="cuda").fit(X, y)
    loaded = load_weights(save_weights(model, tmp_path / "m.safetensors"), device="cpu")
    assert next(loaded.net_.module_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(loaded.predict_surface(X), model.predict_surface(X), atol=1e-5)
    assert loaded.device == "cuda"  # a parameter: where a new fit trains, kept as saved


def test_altered_tensor_bytes_are_refused(rtf_data, fitted_pretrainer, tmp_path):
    from safetensors.torch import load_file

    path = save_weights(fitted_pretrainer, tmp_path / "m.safetensors")
    with safe_open(path, framework="pt") as fh:
        metadata = fh.metadata()
    tensors = load_file(path)
    name = sorted(tensors)[0]
    tensors[name] = tensors[name].clone()
    tensors[name].view(-1)[0] += 1e-3  # one value, same shape and dtype
    tampered = tmp_path / "t.safetensors"
    save_file(tensors, tampered, metadata=metadata)
    with pytest.raises(ValueError, match="has been altered since save_weights wrote it"):
        load_weights(tampered, device="cpu")
    X, _ = rtf_data
    np.testing.assert_array_equal(  # the untouched file still loads and predicts the same
        load_weights(path, device="cpu").transform(X), fitted_pretrainer.transform(X)
    )
