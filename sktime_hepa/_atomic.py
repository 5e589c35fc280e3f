"""Fitted state is assigned only when ``fit`` succeeds."""

from __future__ import annotations

import functools


def fit_atomically(fit):
    """Decorate ``fit`` so that a failed or interrupted fit leaves the estimator as it was.

    ``fit`` sets attributes step by step (the input features in validation,
    the scaling, the network); an error or a Ctrl-C between two of them would
    leave new scaling beside an old network, which still predicts, differently.
    The instance dictionary is restored on any exception, KeyboardInterrupt
    included, and the exception propagates.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        before = dict(vars(self))
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise

    return wrapper
