"""Trivial baselines that every reported h-AUROC must stand beside.

Two event-surface estimators with the contract of :class:`HEPAEventPredictor`
(same X formats, same y forms, ``predict_surface`` of shape ``(n_rows, K)``):

* :class:`AgeBaseline` sees nothing but the row's age in its series. In
  run-to-failure data age alone is a strong predictor (about 0.89 h-AUROC on the
  C-MAPSS FD001 test rows), so a model's h-AUROC means little without it.
* :class:`RidgeBaseline` sees the raw sensor values of the row itself (no
  history): a ridge regression of the capped time to event.

How a 1-D risk score becomes a surface (shared by both)
--------------------------------------------------------
A discrete-time hazard model fitted on the person-period data: every known
(row, step ``j``) cell with the row still event-free before ``j`` is one
observation, labelled 1 when the event falls in step ``j``; then

``logit h_j(x) = a_j + b * z(x)``  and  ``p(t, dt) = 1 - prod_{j <= dt} (1 - h_j)``,

with ``z`` the standardised score, one shared slope ``b`` and a free intercept
per step (a single ``LogisticRegression`` on ``[z, one-hot(j)]``).

Why not one logistic regression per horizon followed by a cumulative max along
``dt`` (the obvious alternative): the cumulative max keeps a column's ranking of
the rows only while every column is an increasing function of the same score. A
free slope per horizon can take the other sign on a noisy horizon, and the max
would then re-rank the rows of the later horizons. (On FD001 with the age score
all 150 slopes are positive: the max raises 3% of the cells and changes no
AUROC, but nothing guarantees that in general.) With ``class_weight="balanced"``
the per-horizon probabilities are also far from calibrated (P(event within one
step) reaches 0.97 on FD001 where the prevalence is about 1/200). The hazard
model is non-decreasing in ``dt`` by construction, and since every hazard
``h_j`` increases with ``b * z``, every column of the surface is a strictly
increasing function of ``b * z``: **each per-horizon AUROC, hence the h-AUROC, is
exactly that of the score itself** (in the direction the fit learned), whatever
the calibration, up to ties where the CDF rounds to 1 in float64 (cumulative
hazard above about 36). The calibration only shapes the probabilities (Brier, ECE, RMSE
of the expected time to event).

The hazard model is fitted by plain (unweighted) maximum likelihood, unlike the
positive-weighted CDF loss of :class:`HEPAEventPredictor`: weighting person-period
cells would not reproduce that loss anyway, it cannot change the h-AUROC (above),
and unweighted hazards estimate the event probabilities themselves, so the
baselines are not handicapped on the probability metrics either. Steps without
any at-risk cell in the training data (series shorter than ``K``) fall back to
the shared intercept: their one-hot coefficient is held at 0 by the L2 penalty.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._atomic import fit_atomically
from .._torch_estimator import MISSING_CONSTRAINTS
from ..encoders._base import check_batch_size
from ..panel import Panel, as_panel
from ..targets import count_known_cells, horizon_labels, validate_event_target
from ._base import SurfaceEstimator

__all__ = ["AgeBaseline", "RidgeBaseline", "SurvivalForestBaseline"]


# ---------------------------------------------------------------------------
# private helpers
# ---------------------------------------------------------------------------


def _check_learnable(y, horizons: int) -> None:
    """Raise unless the known cells of horizons 1..K hold both classes."""
    labels, known = horizon_labels(y, horizons)
    count_known_cells(labels, known, horizons, task="the event surface cannot be learned")


def _person_period(y, horizons: int):
    """Rows and 0-based steps of the person-period cells, and their event labels.

    Row ``i`` is at risk in steps ``1 .. m_i`` (capped at ``K``): up to its event
    step ``max(ceil(time), 1)`` (an event at ``time = 0`` counts as within one
    step, as in ``horizon_labels``), or up to ``floor(time)`` when censored. The
    last cell is positive when the event step is within ``K``.
    """
    event = np.asarray(y["event"], dtype=bool)
    time = np.asarray(y["time"], dtype=np.float64)
    step = np.where(event, np.maximum(np.ceil(time), 1.0), np.floor(time))
    m = np.minimum(step, horizons).astype(np.int64)
    ends = np.cumsum(m)
    rows = np.repeat(np.arange(len(m)), m)
    steps = np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - m, m)
    labels = np.zeros(len(rows), dtype=bool)
    hit = event & (step <= horizons) & (m > 0)
    labels[ends[hit] - 1] = True
    return rows, steps, labels


def _fit_hazard(estimator, score, y) -> None:
    """Fit the shared-slope hazard model of ``score``; set its fitted attributes.

    Sets ``score_mean_``, ``score_scale_``, ``hazard_coef_`` (the slope ``b``)
    and ``hazard_intercepts_`` (``a_j``, shape ``(K,)``) on ``estimator``.
    """
    K = estimator.horizons
    mean, scale = float(score.mean()), float(score.std())
    scale = scale if scale > 0 else 1.0  # constant score: the slope stays 0
    z = (score - mean) / scale
    rows, steps, cell_labels = _person_period(y, K)
    n = len(rows)
    # sparse design [z, one-hot(step)]: two stored values per cell
    design = sp.csr_matrix(
        (
            np.column_stack([z[rows], np.ones(n)]).ravel(),
            np.column_stack([np.zeros(n, dtype=np.int64), 1 + steps]).ravel(),
            np.arange(0, 2 * n + 1, 2),
        ),
        shape=(n, K + 1),
    )
    # Newton-Cholesky: the Hessian is only (K+1)^2, and it converges in a few
    # iterations where lbfgs needs dozens on ~2M FD001 cells
    model = LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=200)
    model.fit(design, cell_labels)
    estimator.score_mean_ = mean
    estimator.score_scale_ = scale
    estimator.hazard_coef_ = float(model.coef_[0, 0])
    estimator.hazard_intercepts_ = model.intercept_[0] + model.coef_[0, 1:]


def _hazard_surface(estimator, score) -> np.ndarray:
    """Event CDF ``1 - prod_{j <= dt} (1 - h_j)`` per row, float64 (n_rows, K)."""
    z = (np.asarray(score, dtype=np.float64) - estimator.score_mean_) / estimator.score_scale_
    logit = estimator.hazard_intercepts_[None, :] + estimator.hazard_coef_ * z[:, None]
    # log(1 - h) = -softplus(logit); summing logs keeps the CDF exact near 0 and 1
    log_survival = np.cumsum(-np.logaddexp(0.0, logit), axis=1)
    return -np.expm1(log_survival)


def _log_age(panel: Panel) -> np.ndarray:
    """``log1p`` of every row's 0-based position in its series."""
    return np.log1p(panel.rows()[1].astype(np.float64))


def _channel_means(panel: Panel) -> np.ndarray:
    """Per-sensor mean of the observed training values, float64 (n_channels,)."""
    values = np.concatenate(panel.series).astype(np.float64)
    return np.nanmean(values, axis=0) if np.isnan(values).any() else values.mean(axis=0)


def _carry_forward(s: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """One series (n, C) with each NaN replaced by its sensor's last observed value.

    Causal: a step only ever reads an earlier one (no backward fill). Steps
    before a sensor's first observation read ``fill`` (the training mean).
    """
    s = s.astype(np.float64)
    nan = np.isnan(s)  # (n, C)
    if not nan.any():
        return s
    last = np.where(nan, -1, np.arange(len(s))[:, None])  # (n, C) step of each observation
    np.maximum.accumulate(last, axis=0, out=last)  # (n, C) last observed step so far
    carried = s[np.maximum(last, 0), np.arange(s.shape[1])]  # (n, C)
    return np.where(last >= 0, carried, fill)


def _raw_features(panel: Panel, fill: np.ndarray) -> np.ndarray:
    """The sensors of every row (n_rows, C); missing values carried forward (``fill``)."""
    if not panel.has_missing:
        return np.concatenate(panel.series).astype(np.float64)
    return np.concatenate([_carry_forward(s, fill) for s in panel.series])


# ---------------------------------------------------------------------------
# estimators
# ---------------------------------------------------------------------------


class _HazardBaseline(SurfaceEstimator):
    """Shared fit/predict of a 1-D risk score calibrated by the hazard model.

    Subclasses implement ``_fit_score(panel, y)`` (fit whatever the score needs and
    return the training scores) and ``_score(panel)`` (scores of new rows); higher
    is meant as riskier, but the hazard slope learns the direction.
    """

    _parameter_constraints: dict = {
        "horizons": [Interval(Integral, 1, None, closed="left")],
        "horizon": [Interval(Integral, 1, None, closed="left"), None],
        **MISSING_CONSTRAINTS,
    }

    @fit_atomically
    def fit(self, X, y):
        """Fit the score and its hazard calibration.

        Parameters
        ----------
        X : DataFrame with a (series, time) MultiIndex, 2-D array (one series),
            or 3-D array (n_series, n_channels, n_timepoints)
        y : structured array with fields ``event`` and ``time`` (one per row),
            or 1-D binary per-step event labels
            Read by position; a pandas y must be in the row order of X.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            A parameter outside its constraints (sklearn's
            ``InvalidParameterError``), or ``horizon`` > ``horizons``.
        ValueError
            X refused by :func:`~sktime_hepa.panel.as_panel` (see its Raises).
        ValueError
            y missing (None), not binary per-step labels (one class, more than
            two, continuous), or a structured y with events other than 0/1 or
            times NaN, infinite or negative; not one per row of X; a pandas y
            holding X's rows in another order; no known cell, or no positive or
            no negative known cell, at horizons ``1..horizons``.
        TypeError
            X has a column of objects that are not numbers (see ``as_panel``).
        """
        self._validate_params()
        self._check_horizon(at_fit=True)
        panel = as_panel(X, estimator=self, reset=True)
        y, self.classes_ = validate_event_target(
            y,
            n_rows=panel.n_rows,
            groups=panel.groups,
            estimator_name=type(self).__name__,
            index=getattr(X, "index", None),
        )
        _check_learnable(y, self.horizons)
        score = self._fit_score(panel, y)
        _fit_hazard(self, score, y)
        self.n_horizons_ = self.horizons
        self._survival_train_ = y  # the censoring data of make_survival_scorer(y_train="fit")
        return self

    def predict_surface(self, X):
        """Event CDF for every row.

        Parameters
        ----------
        X : same format and sensors as in ``fit``

        Returns
        -------
        surface : ndarray of float64, shape (n_rows, horizons)
            ``surface[i, k-1]`` = P(event within k steps of row i); in [0, 1]
            and non-decreasing along axis 1.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            X as :func:`~sktime_hepa.panel.as_panel` refuses it against the fit
            (see its Raises).
        TypeError
            X has a column of objects that are not numbers (see ``as_panel``).
        """
        check_is_fitted(self)
        panel = as_panel(X, estimator=self, reset=False)
        return _hazard_surface(self, self._score(panel))


class AgeBaseline(_HazardBaseline):
    """Event surface from the row's age in its series alone.

    The score is ``log1p(age)``, ``age`` being the row's 0-based position in its
    series in the X given (so X must hold each series from its start for the
    position to be the age). A discrete-time hazard model with a shared slope on
    the score and one intercept per step turns it into ``p(t, dt)``; see the
    module docstring. Every column of the surface is a strictly increasing
    function of the age (when the fitted slope is positive), so its h-AUROC is
    the h-AUROC of the age itself.

    Parameters
    ----------
    horizons : int, default=200
        K; the surface covers dt = 1..K.
    horizon : int or None, default=None
        The dt that ``predict_proba`` and ``predict`` answer for; None means K.
    missing : {"error", "mask"}, default="error"
        "error" refuses X with NaN; "mask" accepts it (the age does not read
        the sensors). As for every estimator of the package, a series with no
        observed value is refused, and in ``fit`` a sensor with none.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``classes_[1]`` is the event.
    score_mean_, score_scale_ : float
        Standardisation of the training scores.
    hazard_coef_ : float
        Slope of the hazard logit on the standardised score.
    hazard_intercepts_ : ndarray of shape (horizons,)
        Hazard logit intercept of each step ``j = 1..K``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X has string column names.

    Examples
    --------
    >>> from sktime_hepa import AgeBaseline
    >>> from sktime_hepa.datasets import make_run_to_failure
    >>> X, y = make_run_to_failure(10, random_state=0)
    >>> surface = AgeBaseline(horizons=50).fit(X, y).predict_surface(X)
    >>> surface.shape == (len(X), 50)
    True
    """

    _parameter_constraints: dict = {**_HazardBaseline._parameter_constraints}

    def __init__(self, horizons=200, horizon=None, missing="error"):
        self.horizons = horizons
        self.horizon = horizon
        self.missing = missing

    def _fit_score(self, panel, y):
        return _log_age(panel)

    def _score(self, panel):
        return _log_age(panel)


class RidgeBaseline(_HazardBaseline):
    """Event surface from a ridge regression on the row's raw sensor values.

    The sensors of row ``t`` alone (no history) are standardised
    (``StandardScaler`` on the training rows) and a ``Ridge`` regresses the
    capped time to event ``min(time, K + 1)`` on them. Only rows whose capped
    time is known are used: event rows, and censored rows with
    ``time >= K + 1``. The score ``-prediction`` (sooner is riskier) goes
    through the hazard calibration of :class:`AgeBaseline` (module docstring),
    fitted on the same training rows; the in-sample optimism of a ridge with a
    handful of coefficients is negligible at this scale.

    Parameters
    ----------
    horizons : int, default=200
        K; the surface covers dt = 1..K.
    horizon : int or None, default=None
        The dt that ``predict_proba`` and ``predict`` answer for; None means K.
    alpha : float, default=1.0
        L2 penalty of the ridge regression (on standardised sensors).
    features : {"raw", "raw+age"}, default="raw"
        "raw": the sensors of the row. "raw+age": the sensors plus ``log1p(age)``
        (the row's 0-based position in its series).
    missing : {"error", "mask"}, default="error"
        "error" refuses X with NaN. "mask": NaN is a missing value and a
        missing sensor of a row reads the last observed value of that sensor in
        the same series (carried forward, causally: never a later value, no
        backward fill); before the sensor's first observation in a series, its
        training mean (``fill_values_``). A series, or in ``fit`` a sensor, with
        no observed value is refused; inf always is. Without NaN both give the
        same numbers.

    Attributes
    ----------
    fill_values_ : ndarray of shape (n_features_in_,)
        Training mean of every sensor (observed values only), read before a
        sensor's first observation in a series with ``missing="mask"``.
    scaler_ : StandardScaler
        Fitted on the training rows' features.
    ridge_ : Ridge
        Regression of the capped time to event.
    classes_, score_mean_, score_scale_, hazard_coef_, hazard_intercepts_
        As in :class:`AgeBaseline`.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X has string column names.

    Examples
    --------
    >>> from sktime_hepa import RidgeBaseline
    >>> from sktime_hepa.datasets import make_run_to_failure
    >>> X, y = make_run_to_failure(10, random_state=0)
    >>> surface = RidgeBaseline(horizons=50).fit(X, y).predict_surface(X)
    >>> surface.shape == (len(X), 50)
    True
    """

    _parameter_constraints: dict = {
        **_HazardBaseline._parameter_constraints,
        "alpha": [Interval(Real, 0, None, closed="left")],
        "features": [StrOptions({"raw", "raw+age"})],
    }

    def __init__(self, horizons=200, horizon=None, alpha=1.0, features="raw", missing="error"):
        self.horizons = horizons
        self.horizon = horizon
        self.alpha = alpha
        self.features = features
        self.missing = missing

    def _features(self, panel):
        values = _raw_features(panel, self.fill_values_)
        if self.features == "raw+age":
            values = np.column_stack([values, _log_age(panel)])
        return values

    def _fit_score(self, panel, y):
        cap = self.horizons + 1
        event = np.asarray(y["event"], dtype=bool)
        time = np.asarray(y["time"], dtype=np.float64)
        # the capped time is known for events, and for rows censored at or past the cap
        usable = event | (time >= cap)
        self.fill_values_ = _channel_means(panel)
        values = self._features(panel)
        self.scaler_ = StandardScaler().fit(values)
        self.ridge_ = Ridge(alpha=self.alpha).fit(
            self.scaler_.transform(values[usable]), np.minimum(time[usable], cap)
        )
        return self._score(panel, values)

    def _score(self, panel, values=None):
        values = self._features(panel) if values is None else values
        return -self.ridge_.predict(self.scaler_.transform(values))


def _ema_features(panel: Panel, alpha: float, fill: np.ndarray | None = None) -> np.ndarray:
    """Per-series causal exponential moving average of every sensor.

    ``ema[0] = x[0]`` and ``ema[i] = alpha * x[i] + (1 - alpha) * ema[i - 1]``,
    computed as a first-order IIR filter. A series with missing values (NaN)
    skips them (:func:`_ema_skipping`; ``fill`` before a first observation).
    """
    from scipy.signal import lfilter

    out = []
    for s in panel.series:
        s = s.astype(np.float64)
        if np.isnan(s).any():
            out.append(_ema_skipping(s, alpha, fill))
            continue
        zi = (1 - alpha) * s[:1]  # (1, C): the filter state that makes ema[0] = x[0]
        ema, _ = lfilter([alpha], [1.0, -(1 - alpha)], s, axis=0, zi=zi)
        out.append(ema)
    return np.concatenate(out)


def _ema_skipping(s: np.ndarray, alpha: float, fill: np.ndarray) -> np.ndarray:
    """EMA of one series (n, C) over its observed values only, held over missing steps.

    Each sensor's EMA runs over the sequence of its observed values (as if the
    missing steps were not there) and keeps its last value through a gap;
    before the sensor's first observation it reads ``fill``.
    """
    from scipy.signal import lfilter

    out = np.full_like(s, np.nan)  # (n, C)
    for j in range(s.shape[1]):
        seen = np.flatnonzero(~np.isnan(s[:, j]))  # observed steps of sensor j
        if len(seen):
            x = s[seen, j]  # (n_seen,)
            out[seen, j], _ = lfilter([alpha], [1.0, -(1 - alpha)], x, zi=(1 - alpha) * x[:1])
    return _carry_forward(out, fill)


class SurvivalForestBaseline(SurfaceEstimator):
    """scikit-survival's RandomSurvivalForest on simple per-row features.

    The off-the-shelf choice of a survival-analysis user: each row is described
    by an exponential moving average of every sensor (smoothing factor
    ``ema_alpha``, causal, restarted per series), the raw sensors and
    ``log1p(age)``; a ``RandomSurvivalForest`` is fitted on the training rows'
    (event, time) targets and its survival function ``S(k)`` is read at
    ``k = 1..K``, giving the surface ``1 - S(k)`` (monotone in ``k``).
    Needs the optional dependency scikit-survival
    (``pip install scikit-survival``).

    Rows with no known horizon (unlabelled rows of a label budget) are left
    out; at most ``max_rows`` training rows are used, drawn at random, since a
    forest on every autocorrelated row of a long stream costs much and gains
    little.

    Parameters
    ----------
    horizons : int, default=200
    horizon : int or None, default=None
    n_estimators : int, default=100
    min_samples_leaf : int, default=10
    max_features : {"sqrt"} or float or int, default="sqrt"
    ema_alpha : float, default=0.1
    max_rows : int, default=20000
    n_jobs : int or None, default=None
    random_state : int, RandomState or None
    missing : {"error", "mask"}, default="error"
        "error" refuses X with NaN. "mask": NaN is a missing value and the
        features skip missing steps: a missing raw sensor reads the last
        observed value of that sensor in the same series (carried forward,
        causally: never a later value, no backward fill), and each sensor's EMA
        runs over its observed values only, holding its value through a gap;
        before a sensor's first observation in a series both read its training
        mean (``fill_values_``). A series, or in ``fit`` a sensor, with no
        observed value is refused; inf always is. Without NaN both give the
        same numbers.

    Attributes
    ----------
    forest_ : sksurv.ensemble.RandomSurvivalForest
    fill_values_ : ndarray of shape (n_features_in_,)
        Training mean of every sensor (observed values only), read before a
        sensor's first observation in a series with ``missing="mask"``.
    classes_ : ndarray of shape (2,)
    n_features_in_ : int
    """

    _parameter_constraints: dict = {
        "horizons": [Interval(Integral, 1, None, closed="left")],
        "horizon": [Interval(Integral, 1, None, closed="left"), None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "max_features": [StrOptions({"sqrt"}), Interval(Real, 0, 1, closed="right"), Integral],
        "ema_alpha": [Interval(Real, 0, 1, closed="right")],
        "max_rows": [Interval(Integral, 10, None, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        **MISSING_CONSTRAINTS,
    }

    def __init__(
        self,
        horizons=200,
        horizon=None,
        n_estimators=100,
        min_samples_leaf=10,
        max_features="sqrt",
        ema_alpha=0.1,
        max_rows=20000,
        n_jobs=None,
        random_state=None,
        missing="error",
    ):
        self.horizons = horizons
        self.horizon = horizon
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.ema_alpha = ema_alpha
        self.max_rows = max_rows
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.missing = missing

    def _features(self, panel):
        fill = self.fill_values_
        raw = _raw_features(panel, fill)
        ema = _ema_features(panel, self.ema_alpha, fill)
        return np.column_stack([ema, raw, _log_age(panel)])

    @fit_atomically
    def fit(self, X, y):
        """Fit the forest on the labelled rows.

        Parameters
        ----------
        X : DataFrame with a (series, time) MultiIndex, 2-D array (one series),
            or 3-D array (n_series, n_channels, n_timepoints)
        y : structured array with fields ``event`` and ``time``, or 1-D binary
            per-step event labels
            One per row of X, read by position; a pandas y must be in the row
            order of X.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            A parameter outside its constraints (sklearn's
            ``InvalidParameterError``), or ``horizon`` > ``horizons``.
        ValueError
            X refused by :func:`~sktime_hepa.panel.as_panel` (see its Raises).
        ValueError
            y missing (None), not binary per-step labels (one class, more than
            two, continuous), or a structured y with events other than 0/1 or
            times NaN, infinite or negative; not one per row of X; a pandas y
            holding X's rows in another order; no known cell, or no positive or
            no negative known cell, at horizons ``1..horizons``.
        ImportError
            scikit-survival is not installed (checked first).
        TypeError
            X has a column of objects that are not numbers (see ``as_panel``).
        """
        try:
            from sksurv.ensemble import RandomSurvivalForest
        except ImportError as exc:  # optional dependency
            raise ImportError(
                "SurvivalForestBaseline needs scikit-survival: pip install scikit-survival"
            ) from exc
        from sklearn.utils import check_random_state

        self._validate_params()
        self._check_horizon(at_fit=True)
        panel = as_panel(X, estimator=self, reset=True)
        y, self.classes_ = validate_event_target(
            y,
            n_rows=panel.n_rows,
            groups=panel.groups,
            estimator_name=type(self).__name__,
            index=getattr(X, "index", None),
        )
        _check_learnable(y, self.horizons)
        event = np.asarray(y["event"], dtype=bool)
        time = np.asarray(y["time"], dtype=np.float64)
        rows = np.flatnonzero(event | (time >= 1))  # at least one known horizon
        rng = check_random_state(self.random_state)
        if len(rows) > self.max_rows:
            rows = np.sort(rng.choice(rows, self.max_rows, replace=False))
        target = np.empty(len(rows), dtype=[("event", bool), ("time", np.float64)])
        target["event"] = event[rows]
        # an event at the row's own step (time 0) is the earliest possible one
        target["time"] = np.maximum(time[rows], 0.5)
        self.fill_values_ = _channel_means(panel)
        self.forest_ = RandomSurvivalForest(
            n_estimators=self.n_estimators,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            n_jobs=self.n_jobs,
            random_state=rng.randint(np.iinfo(np.int32).max),
            low_memory=False,
        ).fit(self._features(panel)[rows], target)
        self.n_horizons_ = self.horizons
        self._survival_train_ = y  # the censoring data of make_survival_scorer(y_train="fit")
        return self

    def predict_surface(self, X, *, batch_size=4096):
        """Event CDF ``1 - S(k)`` for k = 1..K, shape (n_rows, K), float64.

        Parameters
        ----------
        X : same format and sensors as in ``fit``
        batch_size : int, default=4096
            Rows per chunk of the forest's prediction.

        Returns
        -------
        surface : ndarray of float64, shape (n_rows, horizons)
            ``surface[i, k-1]`` = P(event within k steps of row i); in [0, 1]
            and non-decreasing along axis 1.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            X as :func:`~sktime_hepa.panel.as_panel` refuses it against the fit
            (see its Raises); ``batch_size`` not a positive integer (checked first,
            even before ``fit``).
        TypeError
            X has a column of objects that are not numbers (see ``as_panel``).
        """
        batch_size = check_batch_size(batch_size)
        check_is_fitted(self)
        panel = as_panel(X, estimator=self, reset=False)
        features = self._features(panel)
        times = self.forest_.unique_times_
        # S is a step function of the training event times: read it at k
        K = getattr(self, "n_horizons_", self.horizons)  # the width of the fit
        idx = np.searchsorted(times, np.arange(1, K + 1), side="right") - 1
        out = np.empty((len(features), K))
        for a in range(0, len(features), batch_size):
            surv = self.forest_.predict_survival_function(
                features[a : a + batch_size], return_array=True
            )  # (b, n_times)
            s = np.where(idx >= 0, surv[:, np.maximum(idx, 0)], 1.0)  # (b, K)
            out[a : a + batch_size] = 1.0 - s
        return np.clip(np.maximum.accumulate(out, axis=1), 0.0, 1.0)
