"""The probability scale of a surface trained with a positively weighted BCE.

The survival BCE weighs positive cells by ``w+ = N_neg / N_pos`` (the
paper's), which shifts the fitted odds of every cell; the surface ranks well
but its probabilities are off, and not by the same factor at every horizon
(on FD001 it over-states short horizons and under-states the longest). A
*logit map* ``p(t, k) -> sigmoid(a_k logit(p) + b_k)`` with ``a_k > 0`` is
increasing in ``p`` at every horizon ``k``, so every per-horizon ranking is
kept while the scale moves:

* ``"unweighted"``: ``a_k = 1, b_k = -log w+`` divides the odds by ``w+``, what
  the weighting does in theory (``p / (p + w+ (1 - p))``);
* ``"held_out"``: ``a_k, b_k`` quadratic in ``log k`` (six numbers, so a few
  hundred held-out rows fit them), fitted by maximum likelihood (Platt
  scaling) on the known cells of the series the fit held out for early
  stopping; without such series (``validation_fraction=0``, too few series,
  or one class) it falls back to ``"unweighted"``;
* ``"weighted"``: the surface as trained.

A map that varies with ``k`` can make a row's CDF dip where two horizons'
maps cross; the running maximum along ``dt`` restores a CDF (as
``SurfaceCalibrator`` does), which can move a ranking only at such dips.
"""

from __future__ import annotations

import numpy as np

#: ``probability`` options of HEPAEventPredictor.
PROBABILITY_SCALES = ("held_out", "unweighted", "weighted")
#: Degree in ``log k`` of the held-out map's slope and intercept.
HELD_OUT_DEGREE = 2
_EPS = 1e-7  # float32 sigmoids reach 0 and 1 exactly
_MIN_SLOPE = 1e-3  # a map never reverses a ranking


def _logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(p) - np.log1p(-p)


def _basis(n_horizons: int, degree: int) -> np.ndarray:
    """``(log k / log K) ** j`` for k = 1..K and j = 0..degree, shape (K, degree + 1)."""
    k = np.arange(1, n_horizons + 1, dtype=np.float64)
    u = np.log(k) / np.log(n_horizons) if n_horizons > 1 else np.zeros(1)
    return u[:, None] ** np.arange(degree + 1)[None, :]


def odds_map(pos_weight: float) -> np.ndarray:
    """The map that divides the odds by ``pos_weight``: ``a = 1, b = -log pos_weight``.

    Returns ``coef`` of shape (2, 1): the slope's and the intercept's
    coefficients (constant in the horizon).
    """
    return np.array([[1.0], [-np.log(pos_weight)]])


def fit_logit_map(surface, labels, known, degree: int = HELD_OUT_DEGREE) -> np.ndarray | None:
    """The horizon-dependent logit map that best explains ``labels`` from ``surface``.

    Parameters
    ----------
    surface, labels, known : ndarray of shape (n_rows, K)
        The held-out rows' probabilities, event-within-k labels and which
        cells are known (``targets.horizon_labels``).
    degree : int
        Degree in ``log k`` of the slope and the intercept.

    Returns
    -------
    coef : ndarray of shape (2, degree + 1), or None
        Maximum-likelihood coefficients; None when the known cells hold one class.
    """
    from scipy.optimize import minimize
    from scipy.special import expit

    surface = np.asarray(surface)
    rows, cols = np.nonzero(known)
    y = np.asarray(labels, dtype=np.float64)[rows, cols]
    if not len(y) or y.min() == y.max():
        return None
    z = _logit(surface[rows, cols])
    B = _basis(surface.shape[1], degree)[cols]  # (n_cells, degree + 1)
    m = degree + 1

    def nll(theta):  # mean negative log-likelihood and its gradient
        s = (B @ theta[:m]) * z + B @ theta[m:]
        r = expit(s) - y
        grad = np.concatenate([((r * z)[:, None] * B).mean(0), (r[:, None] * B).mean(0)])
        return np.mean(np.logaddexp(0.0, s) - y * s), grad

    start = np.zeros(2 * m)
    start[0] = 1.0  # the identity map
    theta = minimize(nll, start, jac=True, method="L-BFGS-B").x
    if (_basis(surface.shape[1], degree) @ theta[:m]).min() < _MIN_SLOPE:
        # the held-out rows rank backwards at some horizon: no slope is kept there;
        # refit the intercepts under the smallest slope (a nearly flat map at their rates)
        flat = np.r_[_MIN_SLOPE, np.zeros(m - 1)]

        def nll_b(b):
            loss, grad = nll(np.r_[flat, b])
            return loss, grad[m:]

        b = minimize(nll_b, theta[m:], jac=True, method="L-BFGS-B").x
        theta = np.r_[flat, b]
    return np.stack([theta[:m], theta[m:]])


def apply_logit_map(surface, coef) -> np.ndarray:
    """``sigmoid(a_k logit(p) + b_k)`` cell by cell, as a CDF in dt; float32.

    ``coef`` as returned by :func:`fit_logit_map` or :func:`odds_map`; the
    surface as is for None. Slopes below 1e-3 are raised to it, so a map never
    reverses a ranking (a surface that ranked backwards on the held-out rows
    gets a nearly flat map around their event rate).
    """
    from scipy.special import expit

    if coef is None:
        return surface
    coef = np.asarray(coef, dtype=np.float64)
    B = _basis(np.shape(surface)[1], coef.shape[1] - 1)  # (K, degree + 1)
    a = np.maximum(B @ coef[0], _MIN_SLOPE)  # (K,)
    b = B @ coef[1]  # (K,)
    out = expit(a[None, :] * _logit(surface) + b[None, :])
    if coef.shape[1] > 1:  # horizon-dependent: keep the CDF non-decreasing in dt
        out = np.maximum.accumulate(out, axis=1)
    return out.astype(np.float32)
