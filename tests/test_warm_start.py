"""warm_start=True: a second fit continues the fitted network (issue 18)."""

import numpy as np
import pytest
from conftest import tiny_pretrainer
from sklearn.base import clone

from sktime_hepa import HEPAEventPredictor, PatchTSTEncoder


def _models():
    return {
        "pretrainer": tiny_pretrainer(max_epochs=2),
        "predictor": HEPAEventPredictor(
            tiny_pretrainer(), horizons=5, max_epochs=2, random_state=0
        ),
        "supervised": PatchTSTEncoder(
            d_model=16,
            n_layers=1,
            n_heads=2,
            patch_size=4,
            d_out=16,
            context_length=16,
            horizons=5,
            max_epochs=2,
            random_state=0,
            device="cpu",
        ),
    }


def _output(model, X):
    return model.transform(X) if hasattr(model, "transform") else model.predict_surface(X)


@pytest.mark.parametrize("kind", ["pretrainer", "predictor", "supervised"])
def test_warm_start_continues_the_fitted_network(rtf_data, kind):
    X, y = rtf_data
    model = _models()[kind]
    fit = (lambda m: m.fit(X)) if kind == "pretrainer" else (lambda m: m.fit(X, y))
    fit(model)
    before = _output(model, X)
    # zero more epochs: the same network, the same scaling, the same answers
    fit(model.set_params(warm_start=True, max_epochs=0))
    np.testing.assert_allclose(_output(model, X), before, rtol=1e-5, atol=1e-6)
    # more epochs start where the first fit ended: its first loss is near the last one
    fit(model.set_params(max_epochs=1))
    warm_first = model.history_[0, "train_loss"]
    restart = clone(model).set_params(warm_start=False, max_epochs=1)
    fit(restart)
    assert warm_first < restart.history_[0, "train_loss"]


def test_warm_start_checks_the_new_data(rtf_data):
    X, y = rtf_data
    model = HEPAEventPredictor(tiny_pretrainer(), horizons=5, max_epochs=1, random_state=0)
    model.fit(X, y).set_params(warm_start=True)
    with pytest.raises(ValueError, match="feature names"):
        model.fit(X.iloc[:, :2], y)
    with pytest.raises(ValueError, match="embeddings"):
        model.fit(model.pretrainer_.transform(X), y)
