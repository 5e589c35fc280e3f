"""What every surface estimator shares: ``predict_proba``, ``predict``, ``score``, tags.

A *surface estimator* is a classifier whose ``predict_surface(X)`` returns the
event CDF ``p(t, dt)`` of shape ``(n_rows, horizons)``; the rest of the
classifier API is read off that surface at ``horizon``.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

__all__ = ["SurfaceEstimator"]


def valid_horizon(horizon, n_horizons: int) -> int:
    """``horizon`` (None: the last) as an int in ``1 .. n_horizons``, or a ValueError naming it."""
    horizon = n_horizons if horizon is None else horizon
    if isinstance(horizon, bool) or not isinstance(horizon, numbers.Integral):
        raise ValueError(
            f"horizon must be None or an integer in 1..horizons={n_horizons}, got {horizon!r}."
        )
    if not 1 <= horizon <= n_horizons:
        where = "beyond" if horizon > n_horizons else "below 1, outside 1.."
        raise ValueError(
            f"horizon={horizon} is {where} horizons={n_horizons}: horizon must be "
            f"an integer in 1..{n_horizons}."
        )
    return int(horizon)


class SurfaceEstimator(ClassifierMixin, BaseEstimator):
    """Base of the event-surface estimators (``horizons`` and ``horizon`` parameters)."""

    def _check_horizon(self, *, at_fit: bool = False) -> int:
        """The dt that ``predict_proba`` answers for: an int in ``1 .. horizons``.

        Checked at every call, since ``set_params(horizon=...)`` after fit is
        the usual way to read another horizon: a non-integer, zero, negative
        or too large one is a ValueError naming it, never another column.
        After ``fit`` (``at_fit=False``) the bound is the number of horizons
        the model was fitted with (``n_horizons_``): ``horizons`` changed by
        ``set_params`` after ``fit`` is refused, since it refits nothing.
        """
        K = self.horizons
        if not at_fit:
            fitted = getattr(self, "n_horizons_", K)
            if fitted != K:
                raise ValueError(
                    f"horizons={K} differs from the {fitted} horizons the model was fitted "
                    "with; set_params(horizons=...) after fit does not refit: set it back "
                    "or fit again."
                )
        return valid_horizon(self.horizon, K)

    def predict_proba(self, X):
        """P(no event, event) within ``horizon`` steps.

        Parameters
        ----------
        X : same format and sensors as in ``fit``

        Returns
        -------
        proba : ndarray of float64, shape (n_rows, 2)

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            X that ``predict_surface`` refuses; for the package's estimators what
            :func:`~sktime_hepa.panel.as_panel` refuses against the fit (see its Raises).
        ValueError
            ``horizon`` (read at every call, so also one set after ``fit``) is not
            an integer in ``1..horizons`` (:class:`~sktime_hepa.SurfaceCalibrator`
            only refuses one beyond ``n_horizons_``).
        TypeError
            X has a column of objects that are not numbers (see ``as_panel``).
        """
        p = self.predict_surface(X)[:, self._check_horizon() - 1].astype(np.float64)
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        """``classes_[1]`` where the event is more likely than not within ``horizon``.

        Parameters
        ----------
        X : same format and sensors as in ``fit``

        Returns
        -------
        labels : ndarray of shape (n_rows,)

        Raises
        ------
        NotFittedError, ValueError, TypeError
            As :meth:`predict_proba` (X, ``horizon``).
        """
        event = self.predict_proba(X)[:, 1] > 0.5  # checks fitted before classes_
        return self.classes_[event.astype(int)]

    @property
    def unique_times_(self) -> np.ndarray:
        """The horizons ``1 .. horizons`` on which the survival functions are defined."""
        check_is_fitted(self)
        return np.arange(1, getattr(self, "n_horizons_", self.horizons) + 1, dtype=np.float64)

    def predict_survival_function(self, X, return_array=False):
        """Survival function ``S(dt) = 1 - p(t, dt)`` of each row, on ``dt = 1 .. horizons``.

        scikit-survival's convention: its scorers
        (``as_cumulative_dynamic_auc_scorer``, ``as_integrated_brier_score_scorer``)
        and metrics read these functions as they read those of its own models.

        Parameters
        ----------
        X : same format and sensors as in ``fit``
        return_array : bool, default=False
            True: an array of shape (n_rows, horizons), column k-1 holding
            ``S(k)``. False: one ``sksurv.functions.StepFunction`` per row
            over ``unique_times_`` (needs scikit-survival).

        Returns
        -------
        survival : ndarray of float64 (n_rows, horizons), or ndarray of StepFunction

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            X that ``predict_surface`` refuses; for the package's estimators what
            :func:`~sktime_hepa.panel.as_panel` refuses against the fit (see its Raises).
        ValueError
            ``return_array`` is not a bool (checked first, even before ``fit``).
        ImportError
            ``return_array=False`` without scikit-survival installed.
        TypeError
            X has a column of objects that are not numbers (see ``as_panel``).
        """
        return self._step_functions(X, return_array, cumulative_hazard=False)

    def predict_cumulative_hazard_function(self, X, return_array=False):
        """Cumulative hazard ``H(dt) = -log S(dt)`` of each row, on ``dt = 1 .. horizons``.

        Non-decreasing in ``dt``, like the surface, so risk rankings at any
        horizon are the surface's own (scikit-survival's
        ``cumulative_dynamic_auc`` on it equals the package's per-horizon AUROC).

        Parameters
        ----------
        X : same format and sensors as in ``fit``
        return_array : bool, default=False
            As in :meth:`predict_survival_function`.

        Returns
        -------
        cumulative_hazard : ndarray of float64 (n_rows, horizons), or ndarray of StepFunction

        Raises
        ------
        NotFittedError, ValueError, ImportError, TypeError
            As :meth:`predict_survival_function`.
        """
        return self._step_functions(X, return_array, cumulative_hazard=True)

    def _step_functions(self, X, return_array, *, cumulative_hazard: bool):
        if not isinstance(return_array, bool | np.bool_):
            raise ValueError(f"return_array must be True or False, got {return_array!r}.")
        survival = 1.0 - np.asarray(self.predict_surface(X), dtype=np.float64)  # (n, K)
        values = -np.log(np.clip(survival, 1e-300, 1.0)) if cumulative_hazard else survival
        if return_array:
            return values
        try:
            from sksurv.functions import StepFunction
        except ImportError:  # pragma: no cover - scikit-survival is in the test extra
            raise ImportError(
                "StepFunction objects need scikit-survival (pip install "
                "'sktime_hepa[survival]'); return_array=True gives the same values as an array."
            ) from None
        times = self.unique_times_
        return np.array([StepFunction(times, row) for row in values], dtype=object)

    def score(self, X, y, sample_weight=None):
        """h-AUROC of the surface against y (the package's headline metric).

        ``ClassifierMixin.score`` would be the accuracy of ``predict`` at one
        horizon, which neither accepts a structured (event, time) y nor says
        much about a time-to-event model.

        Parameters
        ----------
        X : same format and sensors as in ``fit``
        y : structured array with fields ``event`` and ``time``, or 1-D binary
            per-step event labels (turned into (event, time) within each series)
            One per row of X, read by position: unlike ``fit``, a pandas y is not
            checked against X's index. Per-step labels must be classes of ``fit``.
        sample_weight : None
            Not supported; given for the signature of ``ClassifierMixin.score``.

        Returns
        -------
        score : float

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            ``sample_weight`` is given.
        ValueError
            y: per-step labels that ``fit`` did not see (not in ``classes_``), not
            1-D, or not one per row of X; a structured y with events other than
            0/1 or times that are NaN, infinite or negative.
        ValueError
            h-AUROC undefined: no known cell in y, or every horizon degenerate (no
            positive or no negative known cell, or a prevalence below 0.1% or
            above 99.9%).
        ValueError
            X as in :meth:`predict_proba`.
        TypeError
            A structured y whose fields are neither ``event``/``time`` nor (bool,
            number); X with a column of objects that are not numbers.
        """
        from ..metrics import h_auroc_scorer
        from ..targets import _check_alignment, as_survival_target

        check_is_fitted(self)
        if sample_weight is not None:
            raise ValueError("score does not support sample_weight.")
        _check_alignment(y, getattr(X, "index", None))  # y is read by position, as in fit
        y = np.asarray(y) if not hasattr(y, "dtype") else y
        if getattr(y.dtype, "names", None) is not None:
            y = as_survival_target(y)  # any Surv field names; others named in the error
        else:
            # per-step labels as fit reads them: classes_[1] is the event
            y = np.asarray(y)
            if y.ndim == 1 and not np.isin(y, self.classes_).all():
                unseen = np.unique(y[~np.isin(y, self.classes_)])
                raise ValueError(
                    f"y holds per-step label(s) {unseen[:5].tolist()} that fit did not see "
                    f"(classes_ = {self.classes_.tolist()}); per-step labels are the two "
                    "classes of the fit, or pass a structured (event, time) target."
                )
            y = (y == self.classes_[1]).astype(np.int64)
        return h_auroc_scorer(self, X, y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        # accuracy against per-step labels is not what a time-to-event model
        # optimises, so sklearn's 0.83-accuracy-on-blobs bar does not apply
        tags.classifier_tags.poor_score = True
        tags.non_deterministic = False
        tags.input_tags.allow_nan = getattr(self, "missing", "error") == "mask"
        return tags
