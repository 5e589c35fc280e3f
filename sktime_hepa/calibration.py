"""Post-hoc calibration of a fitted surface model, one calibrator per horizon.

:class:`SurfaceCalibrator` is the surface analogue of scikit-learn's
``CalibratedClassifierCV(FrozenEstimator(clf))``: a model already fitted on
the training series keeps its weights, and a monotone map per horizon ``dt``
is fitted on HELD-OUT series (never the rows the model was trained on, whose
probabilities are optimistic; never the test rows). HEPA's event heads are
trained with a positive-weighted BCE (``w+ = N_neg / N_pos``), which ranks
well but inflates every probability, so a calibrator is how its surface
becomes usable as probabilities.
"""

from __future__ import annotations

import inspect
from numbers import Integral

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._atomic import fit_atomically
from .panel import series_ids, warn_at_caller
from .surfaces._base import SurfaceEstimator, valid_horizon
from .targets import horizon_labels, validate_event_target

__all__ = ["CalibrationWarning", "PlattSigmoid", "SurfaceCalibrator"]

METHODS = ("isotonic", "sigmoid")
#: Probabilities are clipped to [EPS, 1 - EPS] before the logit of Platt scaling.
EPS = 1e-6


class CalibrationWarning(UserWarning):
    """Some horizons kept the model's own probabilities (too few known cells of a class)."""


class PlattSigmoid(BaseEstimator):
    """Platt scaling on ``logit(p)``: ``q = sigmoid(a * logit(p) + b)``.

    A one-feature logistic regression fitted by maximum likelihood with
    Platt's (1999) smoothed targets ``(N+ + 1) / (N+ + 2)`` and
    ``1 / (N- + 2)`` instead of 1 and 0, which keeps ``a`` finite when the
    classes are separable (sklearn's ``method="sigmoid"`` does the same).
    Starting at ``a = 1, b = 0`` (the identity).

    Attributes
    ----------
    a_, b_ : float
        Slope and intercept on the logit scale.
    """

    def fit(self, p, y):
        """Fit on probabilities ``p`` (n,) and 0/1 labels ``y`` (n,)."""
        z = _logit(p)
        y = np.asarray(y, dtype=bool)
        n_pos, n_neg = int(y.sum()), int((~y).sum())
        target = np.where(y, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))

        def loss(ab):
            s = ab[0] * z + ab[1]  # (n,)
            nll = -(target * log_expit(s) + (1 - target) * log_expit(-s)).sum()
            g = expit(s) - target  # d nll / d s
            return nll, np.array([(g * z).sum(), g.sum()])

        res = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
        self.a_, self.b_ = float(res.x[0]), float(res.x[1])
        return self

    def predict(self, p):
        """Calibrated probabilities of ``p`` (n,)."""
        check_is_fitted(self)
        return expit(self.a_ * _logit(p) + self.b_)


def _logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), EPS, 1.0 - EPS)
    return np.log(p) - np.log1p(-p)


def _dt_ranges(dts) -> str:
    """``[1, 2, 3, 7, 9, 10]`` -> ``"1-3, 7, 9-10"``."""
    dts = list(dts)
    parts, start = [], 0
    for i in range(1, len(dts) + 1):
        if i == len(dts) or dts[i] != dts[i - 1] + 1:
            a, b = dts[start], dts[i - 1]
            parts.append(str(a) if a == b else f"{a}-{b}")
            start = i
    return ", ".join(parts)


class SurfaceCalibrator(SurfaceEstimator):
    """Calibrate the surface of a fitted model per horizon, on held-out series.

    ``fit(X, y)`` calls ``estimator.predict_surface(X)`` on series the model
    was NOT trained on and fits, for each horizon ``dt``, a monotone map from
    the model's ``p(t, dt)`` to the observed event frequency over the known
    (uncensored) cells of that horizon: an isotonic regression, or Platt's
    sigmoid on ``logit(p)``. ``predict_surface`` applies the maps and then
    takes the running maximum over horizons, so the calibrated surface is
    again a CDF (non-decreasing in ``dt``, in [0, 1]).

    Parameters
    ----------
    estimator : fitted surface estimator, or FrozenEstimator of one
        Any estimator with ``predict_surface`` (``HEPAEventPredictor``, the
        baselines, a ``SurfacePipeline``), already fitted; it is used as it
        is and never refitted (the calibration rows must stay held out). An
        unfitted estimator is refused with a ``NotFittedError``. Inside
        ``GridSearchCV`` / ``cross_validate`` wrap it in
        ``sklearn.frozen.FrozenEstimator``: those tools clone their estimator,
        and cloning a plain fitted estimator discards its fit (a clone of a
        ``FrozenEstimator`` is the same fitted model).
    method : {"isotonic", "sigmoid"}, default="isotonic"
        "isotonic": ``IsotonicRegression(out_of_bounds="clip")``, increasing,
        in [0, 1]; flexible, wants a few hundred known cells per horizon.
        "sigmoid": Platt scaling on ``logit(p)`` (:class:`PlattSigmoid`), two
        parameters per horizon; better with few held-out events.
    horizons : int or None, default=None
        K of the calibrated surface: the first ``horizons`` horizons of the
        estimator's surface (dt = 1..K). None keeps all of them.
    horizon : int or None, default=None
        The dt that ``predict_proba`` and ``predict`` answer for; None means K.
    min_cells : int, default=10
        Fewest known cells of EACH class (event within dt, and not) a horizon
        needs for its own calibrator. Horizons below it keep the model's
        probabilities (the identity) and are named in a
        :class:`CalibrationWarning`; so are horizons without any known cell.

    Attributes
    ----------
    estimator_ : estimator
        The fitted model whose surface is calibrated (the estimator itself, or
        the one inside the FrozenEstimator).
    calibrators_ : list of length n_horizons_
        ``calibrators_[k]`` maps ``p(t, k + 1)``: a fitted
        ``IsotonicRegression`` or ``PlattSigmoid``, or None (identity).
    n_horizons_ : int
        K of the calibrated surface.
    identity_horizons_ : ndarray of int
        The dt (1-based) that fell back to the identity.
    classes_ : ndarray of shape (2,)
        The estimator's ``classes_`` (``[0, 1]`` when it has none).
    n_features_in_ : int
        The estimator's, when it has one (likewise ``feature_names_in_``).

    Notes
    -----
    Why a running maximum: each horizon is calibrated on its own cells, so
    two neighbouring maps can cross and a calibrated row could decrease in
    ``dt``, which no CDF does. ``np.maximum.accumulate`` over the horizons is
    the smallest non-decreasing surface that is nowhere below the per-horizon
    calibrated values; it leaves a surface that was already monotone
    unchanged. Calibration maps are monotone in ``p``, so within a horizon
    the ranking of rows (and so the per-horizon AUROC) is kept, up to ties
    that isotonic steps introduce.

    Examples
    --------
    >>> from sklearn.frozen import FrozenEstimator
    >>> cal = SurfaceCalibrator(FrozenEstimator(model), method="isotonic")  # doctest: +SKIP
    >>> cal.fit(X_heldout, y_heldout).predict_surface(X_test)  # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["predict_surface"])],
        "method": [StrOptions(set(METHODS))],
        "horizons": [Interval(Integral, 1, None, closed="left"), None],
        "horizon": [Interval(Integral, 1, None, closed="left"), None],
        "min_cells": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, estimator, *, method="isotonic", horizons=None, horizon=None, min_cells=10):
        self.estimator = estimator
        self.method = method
        self.horizons = horizons
        self.horizon = horizon
        self.min_cells = min_cells

    # -- fitting -------------------------------------------------------------------
    @fit_atomically
    def fit(self, X, y, *, rows=None):
        """Fit one calibrator per horizon on held-out series.

        Parameters
        ----------
        X : held-out series, in the format and with the sensors the estimator
            was fitted with
        y : structured array with fields ``event`` and ``time``, or 1-D binary
            per-step event labels; one per row of X
        rows : array-like of int, optional
            Row numbers of X to fit on (e.g. every s-th step of a long held-out
            stream); passed to the estimator's ``predict_surface(X, rows=...)``
            when it takes them, so contexts still reach back into X. All rows
            when None.

        Returns
        -------
        self

        Raises
        ------
        NotFittedError
            ``estimator`` (or the model inside its FrozenEstimator) is not fitted.
        ValueError
            A parameter outside its constraints (sklearn's
            ``InvalidParameterError``, e.g. an ``estimator`` without
            ``predict_surface``); ``horizons`` beyond the estimator's surface
            width, or ``horizon`` beyond the calibrated ``horizons``.
        ValueError
            X, or ``rows``, that the estimator's ``predict_surface`` refuses (for
            the package's estimators see :func:`~sktime_hepa.panel.as_panel`);
            ``rows`` not 1-D integers in ``[0, n_rows)``; a surface that is not a
            finite (n_rows, K) array in [0, 1].
        ValueError
            y missing (None), not binary per-step labels (one class, more than
            two, continuous), or a structured y with events other than 0/1 or
            times NaN, infinite or negative; not one per row of X (all rows, also
            with ``rows``); a pandas y holding X's rows in another order; no
            known cell at horizons ``1..horizons``.
        TypeError
            X that the estimator's ``predict_surface`` refuses with a TypeError
            (a column of objects that are not numbers).
        """
        self._validate_params()
        model = self._fitted_model()
        surface = self._raw_surface(model, X, rows)
        K = self._check_width(surface.shape[1])
        n_rows = len(series_ids(X))
        y, classes = validate_event_target(
            y,
            n_rows=n_rows,
            groups=series_ids(X),
            estimator_name=type(self).__name__,
            index=getattr(X, "index", None),
        )
        if rows is not None:
            y = y[np.asarray(rows, dtype=np.int64)]
        labels, known = horizon_labels(y, K)
        if not known.any():
            raise ValueError(
                f"y has no known cell at any horizon 1..{K} (every row is censored before "
                "dt=1): the calibration series need observed outcomes."
            )
        calibrators, identity = [], []
        for k in range(K):
            cells = known[:, k]
            p, lab = surface[cells, k], labels[cells, k]
            n_pos = int(lab.sum())
            if min(n_pos, len(lab) - n_pos) < self.min_cells:
                calibrators.append(None)
                identity.append(k + 1)
            else:
                calibrators.append(self._calibrator().fit(p, lab))
        if identity:
            warn_at_caller(
                f"SurfaceCalibrator: {len(identity)} of {K} horizons (dt = "
                f"{_dt_ranges(identity)}) have fewer than min_cells={self.min_cells} known "
                "cells of a class (event within dt, or not) in the calibration rows, so they "
                "keep the model's own probabilities (identity). Calibrate on more held-out "
                "series, lower min_cells, or use method='sigmoid', which needs fewer.",
                CalibrationWarning,
            )
        self.estimator_ = model
        self.calibrators_ = calibrators
        self.n_horizons_ = K
        self.identity_horizons_ = np.asarray(identity, dtype=np.int64)
        self.classes_ = np.asarray(getattr(model, "classes_", classes))
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(model, name):
                setattr(self, name, getattr(model, name))
        return self

    def _fitted_model(self):
        """The fitted model inside ``estimator``; NotFittedError for an unfitted one."""
        given = self.estimator
        model = given.estimator if isinstance(given, FrozenEstimator) else given
        try:
            check_is_fitted(model)
        except NotFittedError as exc:
            where = "a FrozenEstimator of an unfitted" if model is not given else "an unfitted"
            raise NotFittedError(
                f"SurfaceCalibrator calibrates a model that is already fitted, but estimator "
                f"is {where} {type(model).__name__}. Fit it on the training series first and "
                "pass it (or FrozenEstimator(fitted_model), which GridSearchCV and "
                "cross_validate need because they clone their estimator); it is never "
                "refitted on the calibration rows, which must stay held out."
            ) from exc
        return model

    def _calibrator(self):
        if self.method == "isotonic":
            return IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
        return PlattSigmoid()

    def _check_width(self, width: int) -> int:
        """K of the calibrated surface, checked against the model's width and ``horizon``."""
        K = width if self.horizons is None else self.horizons
        if K > width:
            raise ValueError(
                f"horizons={self.horizons} is beyond the estimator's surface, which has "
                f"{width} horizons."
            )
        if self.horizon is not None and self.horizon > K:
            raise ValueError(f"horizon={self.horizon} is beyond horizons={K}.")
        return K

    @staticmethod
    def _raw_surface(model, X, rows) -> np.ndarray:
        """The model's surface of X (or of the selected rows), checked to be probabilities."""
        if rows is None:
            surface = model.predict_surface(X)
        elif "rows" in inspect.signature(model.predict_surface).parameters:
            surface = model.predict_surface(X, rows=rows)
        else:  # the baselines score every row cheaply
            surface = model.predict_surface(X)
            rows = np.asarray(rows)
            if rows.ndim != 1 or not np.issubdtype(rows.dtype, np.integer):
                raise ValueError("rows must be a 1-D array of row numbers.")
            if rows.size and (rows.min() < 0 or rows.max() >= len(surface)):
                raise ValueError(f"rows must lie in [0, {len(surface)}).")
            surface = surface[rows]
        surface = np.asarray(surface, dtype=np.float64)
        if surface.ndim != 2 or not np.isfinite(surface).all():
            raise ValueError(
                "the estimator's predict_surface must return a finite (n_rows, K) array, got "
                f"shape {surface.shape}."
            )
        if (surface < 0).any() or (surface > 1).any():
            raise ValueError("the estimator's surface holds values outside [0, 1].")
        return surface

    # -- prediction ----------------------------------------------------------------
    def _check_horizon(self, *, at_fit: bool = False) -> int:
        check_is_fitted(self)
        return valid_horizon(self.horizon, self.n_horizons_)

    def calibrate(self, surface):
        """The calibrated version of a surface the estimator has already predicted.

        Saves predicting twice when both the raw and the calibrated surface are
        wanted (e.g. to compare them).

        Parameters
        ----------
        surface : array-like of shape (n_rows, K_model)
            ``estimator_.predict_surface(X)``; only its first ``n_horizons_``
            columns are used.

        Returns
        -------
        surface : ndarray of float32, shape (n_rows, n_horizons_)
            In [0, 1] and non-decreasing along axis 1.
        """
        check_is_fitted(self)
        surface = np.asarray(surface, dtype=np.float64)
        if surface.ndim != 2 or surface.shape[1] < self.n_horizons_:
            raise ValueError(
                f"surface must have shape (n_rows, >= {self.n_horizons_}), got {surface.shape}."
            )
        if not np.isfinite(surface).all() or (surface < 0).any() or (surface > 1).any():
            raise ValueError("surface must hold finite probabilities in [0, 1].")
        out = surface[:, : self.n_horizons_].copy()
        for k, cal in enumerate(self.calibrators_):
            if cal is not None:
                out[:, k] = cal.predict(out[:, k])
        # per-horizon maps may cross: the running max makes each row a CDF again
        out = np.maximum.accumulate(np.clip(out, 0.0, 1.0), axis=1)
        return out.astype(np.float32)

    def predict_surface(self, X, *, rows=None):
        """Calibrated event CDF for every row (or the selected ``rows``).

        Parameters
        ----------
        X : same format and sensors as the estimator was fitted with
        rows : array-like of int, optional
            Row numbers of X to score; see :meth:`fit`.

        Returns
        -------
        surface : ndarray of float32, shape (n_rows or len(rows), n_horizons_)
            ``surface[i, k-1]`` = calibrated P(event within k steps of row i); in
            [0, 1] and non-decreasing along axis 1.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            X, or ``rows``, that ``estimator_.predict_surface`` refuses (for the
            package's estimators see :func:`~sktime_hepa.panel.as_panel`);
            ``rows`` not 1-D integers in ``[0, n_rows)``; a surface that is not a
            finite array in [0, 1] of at least ``n_horizons_`` columns.
        TypeError
            X that ``estimator_.predict_surface`` refuses with a TypeError (a
            column of objects that are not numbers).
        """
        check_is_fitted(self)
        return self.calibrate(self._raw_surface(self.estimator_, X, rows))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
