"""An encoder defined outside the package (examples/gru_encoder.py) is a first-class one."""

import importlib.util
import inspect
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from sktime_hepa import HEPAEventPredictor
from sktime_hepa._torch_estimator import TRAINING_PARAMETERS, TorchEstimatorMixin
from sktime_hepa.datasets import make_run_to_failure
from sktime_hepa.persistence import load_weights, save_weights

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "gru_encoder.py"


@pytest.fixture(scope="module")
def GRUEncoder():
    spec = importlib.util.spec_from_file_location("gru_encoder", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gru_encoder"] = module  # so its estimators pickle by that name
    spec.loader.exec_module(module)
    yield module.GRUEncoder
    sys.modules.pop("gru_encoder", None)


@pytest.fixture(scope="module")
def data():
    return make_run_to_failure(8, random_state=0)


def test_parameters_come_from_the_base(GRUEncoder):
    est = GRUEncoder(d_model=8, lr=0.01)
    params = est.get_params()
    assert set(params) == {"d_model", "context_length", *TRAINING_PARAMETERS}
    assert params["lr"] == 0.01 and params["max_epochs"] == 20  # the class's own default
    assert GRUEncoder().lr == 1e-3 and GRUEncoder().batch_size == 64  # shared default
    assert "max_epochs : int, default=20" in GRUEncoder.__doc__
    assert "<training settings>" not in GRUEncoder.__doc__
    sig = inspect.signature(GRUEncoder)
    assert list(sig.parameters)[:2] == ["d_model", "context_length"]
    with pytest.raises(TypeError, match="unexpected keyword"):
        GRUEncoder(learning_rate=0.1)
    with pytest.raises(ValueError, match="lr"):
        GRUEncoder(lr=-1.0).fit(np.zeros((50, 2)))
    c = clone(est)
    assert c.get_params() == params and repr(c) == "GRUEncoder(d_model=8, lr=0.01)"


def test_a_subclass_may_not_repeat_or_hide_settings():
    with pytest.raises(TypeError, match="repeats shared settings"):

        class Bad(TorchEstimatorMixin):
            def __init__(self, *, lr=0.1, **training):
                super().__init__(**training)

    with pytest.raises(TypeError, match="without an __init__"):

        class Hidden(TorchEstimatorMixin):
            _training_defaults = {"lr": 0.5}


def test_fits_saves_and_loads_in_the_encoder_slot(GRUEncoder, data, tmp_path):
    X, y = data
    model = HEPAEventPredictor(
        GRUEncoder(d_model=8, context_length=8, max_epochs=1, random_state=0),
        head="dt_mlp",
        horizons=10,
        max_epochs=1,
        random_state=0,
    ).fit(X, y)
    surface = model.predict_surface(X)
    assert surface.shape == (len(X), 10)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_surface(X), surface)
    path = save_weights(model, tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="classes=\\[TheClass\\]"):
        load_weights(path)  # a class from outside the package is never imported by name
    loaded = load_weights(path, classes=[GRUEncoder])
    np.testing.assert_array_equal(loaded.predict_surface(X), surface)
    with pytest.raises(ValueError, match="estimator classes"):
        load_weights(path, classes=[int])
