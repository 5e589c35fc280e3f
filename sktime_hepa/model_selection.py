"""Cross-validation splitters for panels with survival targets.

Rows of one series share their history, so folds must hold whole series
(``GroupKFold`` with ``groups=series_ids(X)``). With heavy censoring many
series carry no event, and a plain ``GroupKFold`` can leave a fold without
one, where every ranking metric is undefined (NaN). :class:`EventGroupKFold`
stratifies whole series on whether they hold an event.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from sklearn.model_selection import BaseCrossValidator, StratifiedGroupKFold

from .targets import as_survival_target, is_survival_target

__all__ = ["EventGroupKFold"]


class EventGroupKFold(BaseCrossValidator):
    """K-fold over whole series, each fold holding series with and without an event.

    scikit-learn's ``StratifiedGroupKFold`` on one label per series: whether
    any of its rows has ``event=True``. Every fold then holds about
    ``1/n_splits`` of the event series, so scorers are defined in every fold.
    It needs at least ``n_splits`` series with an event; event-free series
    are spread as evenly as they allow (run-to-failure data may have none).

    Parameters
    ----------
    n_splits : int, default=5
        At least 2, and at most the number of series with an event.
    shuffle : bool, default=False
        Shuffle the series before splitting.
    random_state : int, RandomState or None, default=None
        Used when ``shuffle`` is True.

    Examples
    --------
    >>> from sklearn.model_selection import cross_validate
    >>> from sktime_hepa import AgeBaseline
    >>> from sktime_hepa.datasets import make_run_to_failure
    >>> from sktime_hepa.metrics import h_auroc_scorer
    >>> from sktime_hepa.model_selection import EventGroupKFold
    >>> from sktime_hepa.panel import series_ids
    >>> X, y = make_run_to_failure(20, min_life=30, max_life=60, random_state=0)
    >>> cv = EventGroupKFold(n_splits=4)
    >>> scores = cross_validate(AgeBaseline(horizons=10), X, y, groups=series_ids(X),
    ...                         cv=cv, scoring=h_auroc_scorer)["test_score"]
    >>> len(scores)
    4
    """

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        if isinstance(n_splits, bool) or not isinstance(n_splits, Integral) or n_splits < 2:
            raise ValueError(f"n_splits must be an integer >= 2, got {n_splits!r}.")
        self.n_splits = int(n_splits)
        self.shuffle = shuffle
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None):
        """The number of folds, ``n_splits``."""
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Train and test row indices of each fold.

        Parameters
        ----------
        X : any, with one row per observation (its length is used)
        y : structured survival target, shape (n_rows,)
            Required: it tells which series hold an event.
        groups : array-like of shape (n_rows,)
            Series id of each row (``sktime_hepa.panel.series_ids(X)``); required.

        Yields
        ------
        train, test : ndarray of int
        """
        if y is None or not is_survival_target(y):
            raise ValueError(
                "EventGroupKFold needs y, the structured survival target (event, time) of "
                "every row, to know which series hold an event."
            )
        if groups is None:
            raise ValueError(
                "EventGroupKFold needs groups, the series id of every row "
                "(groups=sktime_hepa.panel.series_ids(X))."
            )
        y = as_survival_target(y)
        groups = np.asarray(groups)
        n = len(X) if hasattr(X, "__len__") else X.shape[0]
        if len(y) != n or len(groups) != n:
            raise ValueError(
                f"X, y and groups must have one entry per row: {n}, {len(y)}, {len(groups)}."
            )
        ids, inverse = np.unique(groups, return_inverse=True)
        has_event = np.zeros(len(ids), dtype=bool)
        np.logical_or.at(has_event, inverse, y["event"])
        n_event = int(has_event.sum())
        if n_event < self.n_splits:
            raise ValueError(
                f"only {n_event} of the {len(ids)} series hold an event, fewer than "
                f"n_splits={self.n_splits}: some fold would have no event. Lower n_splits."
            )
        inner = StratifiedGroupKFold(
            n_splits=self.n_splits, shuffle=self.shuffle, random_state=self.random_state
        )
        with warnings.catch_warnings():
            # fewer event-free series than folds (run-to-failure data, where nearly every
            # series ends in its event) is fine: the early rows of event series are the
            # negatives; only the event series must reach every fold, checked above
            warnings.filterwarnings(
                "ignore", message="The least populated class", category=UserWarning
            )
            folds = list(inner.split(np.zeros(n), has_event[inverse], groups))
        yield from folds
