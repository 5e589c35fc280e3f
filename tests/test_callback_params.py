"""skorch-style nested parameters of the user's callbacks: callbacks__<name>__<param>."""

import pytest
from conftest import tiny_pretrainer
from sklearn.base import clone
from skorch.callbacks import EpochScoring, LRScheduler


def test_nested_callback_params_set_a_copy_and_reach_the_fit(rtf_data):
    X, _ = rtf_data
    shared = [("sched", LRScheduler(policy="StepLR", step_size=10, gamma=0.5)), EpochScoring("r2")]
    est = tiny_pretrainer(callbacks=shared, max_epochs=2)
    other = clone(est).set_params(
        callbacks__sched__step_size=1, callbacks__user_1_EpochScoring__scoring="neg_mse", lr=0.01
    )
    assert other.callbacks[0][1].step_size == 1 and other.callbacks[1].scoring == "neg_mse"
    assert shared[0][1].step_size == 10 and shared[1].scoring == "r2"  # the user's list: untouched
    assert other.lr == 0.01 and est.callbacks is shared
    # the changed scheduler is the one that trains: lr halves after every epoch
    lrs = [
        row["event_lr"] for row in other.set_params(callbacks=other.callbacks[:1]).fit(X).history_
    ]
    assert lrs[1] == pytest.approx(lrs[0] / 2)


@pytest.mark.parametrize("key", ["callbacks__nope__step_size", "callbacks__sched"])
def test_unknown_callback_or_missing_param_is_named(key):
    est = tiny_pretrainer(callbacks=[("sched", LRScheduler(policy="StepLR", step_size=2))])
    with pytest.raises(ValueError, match=r"callbacks__<name>__<param>.*\['sched'\]"):
        est.set_params(**{key: 3})
