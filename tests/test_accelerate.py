"""Training through Hugging Face accelerate (skorch's AccelerateMixin), on the CPU."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from conftest import tiny_predictor, tiny_pretrainer
from sklearn.base import clone

from sktime_hepa import LSTMVAEDetector
from sktime_hepa._training import AcceleratedHEPANet, HEPANet, check_accelerator

accelerate = pytest.importorskip("accelerate")


@pytest.fixture(scope="module")
def accelerator():
    # AcceleratorState is process-wide: every Accelerator in this process is a CPU one
    return accelerate.Accelerator(cpu=True)


def test_an_accelerated_fit_matches_the_plain_one_and_pickles(rtf_data, accelerator):
    X, y = rtf_data
    plain = tiny_predictor(max_epochs=3).fit(X, y)
    accel = tiny_predictor(max_epochs=3, accelerator=accelerator, device="auto").fit(X, y)
    assert type(accel.net_) is AcceleratedHEPANet and type(plain.net_) is HEPANet
    # unwrapped after training: the plain module, float32, on the accelerator's device
    assert type(accel.net_.module_).__name__ == "EventModule"
    assert {p.dtype for p in accel.net_.module_.parameters()} == {torch.float32}
    # one process, fp32: accelerate keeps skorch's batches and arithmetic
    surface = accel.predict_surface(X)
    np.testing.assert_array_equal(surface, plain.predict_surface(X))
    # the accelerator holds no prepared loader (nor its training data) after fit
    assert not accelerator._dataloaders and not accelerator._models
    again = pickle.loads(pickle.dumps(accel))
    np.testing.assert_array_equal(again.predict_surface(X), surface)
    assert clone(accel).get_params()["accelerator"] is not None


@pytest.mark.filterwarnings("ignore::sktime_hepa.CollapseWarning")  # 2 epochs of a tiny LSTM
def test_encoders_and_detectors_train_through_an_accelerator(rtf_data, accelerator):
    X, _ = rtf_data
    enc = tiny_pretrainer(accelerator=accelerator, device="auto").fit(X)
    ref = tiny_pretrainer().fit(X)
    np.testing.assert_array_equal(enc.transform(X), ref.transform(X))
    det = LSTMVAEDetector(
        hidden_size=8, latent_size=4, context_length=8, max_epochs=2, batch_size=16,
        accelerator=accelerator, random_state=0,
    ).fit(X)  # fmt: skip
    assert type(det.net_) is AcceleratedHEPANet
    assert np.isfinite(det.score_samples(X)).all()
    # zero epochs (the random-encoder control) only initialises: still unwrapped, released
    untrained = tiny_pretrainer(max_epochs=0, accelerator=accelerator, device="auto").fit(X)
    assert not accelerator._models and not accelerator._optimizers
    again = pickle.loads(pickle.dumps(untrained))
    np.testing.assert_array_equal(again.transform(X), untrained.transform(X))


def test_an_accelerator_with_precision_or_another_device_is_refused(rtf_data, accelerator):
    X, y = rtf_data
    with pytest.raises(ValueError, match="Accelerator\\(mixed_precision"):
        tiny_predictor(precision="bfloat16", accelerator=accelerator).fit(X, y)
    placed_on = SimpleNamespace(device=torch.device("cuda:1"))
    with pytest.raises(ValueError, match="accelerator places training on cuda:1"):
        check_accelerator(placed_on, "cuda:0", "float32")
    with pytest.raises(ValueError, match="accelerator places training on cuda:1"):
        check_accelerator(placed_on, "cpu", "float32")
    assert check_accelerator(placed_on, "cuda", "float32") == "cuda:1"  # "auto" on a GPU
    with pytest.raises(ValueError, match="accelerator"):
        tiny_predictor(accelerator="accelerate").fit(X, y)


def test_the_accelerators_mixed_precision_trains_float32_weights(tmp_path):
    # a fresh process: AcceleratorState keeps its first mixed_precision for good
    script = tmp_path / "bf16.py"
    script.write_text(
        "import sys, numpy as np, torch\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from accelerate import Accelerator\n"
        "from conftest import tiny_predictor\n"
        "from sktime_hepa.datasets import make_run_to_failure\n"
        "X, y = make_run_to_failure(12, n_sensors=3, n_conditions=1, min_life=20,\n"
        "                           max_life=40, random_state=0)\n"
        "acc = Accelerator(cpu=True, mixed_precision='bf16')\n"
        "mixed = tiny_predictor(max_epochs=3, accelerator=acc, device='auto').fit(X, y)\n"
        "plain = tiny_predictor(max_epochs=3).fit(X, y)\n"
        "assert {p.dtype for p in mixed.net_.module_.parameters()} == {torch.float32}\n"
        "# the networks as trained (each fit's held-out probability map adds its own noise)\n"
        "mixed.set_params(probability='weighted'); plain.set_params(probability='weighted')\n"
        "S1, S0 = mixed.predict_surface(X), plain.predict_surface(X)\n"
        "assert np.all(np.diff(S1, axis=1) >= 0) and np.isfinite(S1).all()\n"
        "print(float(np.abs(S1 - S0).max()))\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    gap = float(done.stdout.strip().splitlines()[-1])
    assert 0 < gap < 0.25  # bf16 arithmetic: close to float32, not identical


DATA_PARALLEL = """
import json, sys, torch
sys.path.insert(0, {tests!r})
from accelerate import Accelerator
from conftest import tiny_predictor, tiny_pretrainer
from sktime_hepa.datasets import make_run_to_failure
acc = Accelerator(cpu=True)
X, y = make_run_to_failure(12, n_sensors=3, n_conditions=1, min_life=20, max_life=40,
                           random_state=0)
pre = tiny_pretrainer(max_epochs=4, accelerator=acc, device="auto")
model = tiny_predictor(pre, max_epochs=6, patience=2, accelerator=acc, device="auto").fit(X, y)
weights = lambda m: float(torch.cat([p.detach().flatten() for p in m.parameters()]).double().sum())
json.dump({{
    "processes": acc.num_processes,
    "pre_valid": [row["valid_loss"] for row in model.pretrainer_.history_],
    "valid": [row["valid_loss"] for row in model.history_],
    "pre_weights": weights(model.pretrainer_.net_.module_),
    "weights": weights(model.net_.module_),
    "surface": model.predict_surface(X).tolist(),
}}, open({out!r} + f"/rank{{acc.process_index}}.json", "w"))
"""


def test_data_parallel_processes_train_one_model(tmp_path):
    # two CPU processes (gloo) under torchrun, as `accelerate launch` runs them on GPUs:
    # each sees half of every epoch's batches, and all must end with the same model
    script = tmp_path / "ddp.py"
    script.write_text(DATA_PARALLEL.format(tests=str(Path(__file__).parent), out=str(tmp_path)))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    done = subprocess.run([*cmd, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{i}.json").read_text()) for i in (0, 1)]
    assert ranks[0]["processes"] == 2
    for key in ("pre_valid", "valid", "pre_weights", "weights"):
        assert ranks[0][key] == ranks[1][key], key  # one early stop, one set of weights
    np.testing.assert_array_equal(ranks[0]["surface"], ranks[1]["surface"])
    assert len(ranks[0]["valid"]) == 6 and np.isfinite(ranks[0]["surface"]).all()
