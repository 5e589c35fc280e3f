"""The probability scale of a surface trained with a positively weighted BCE.

The survival BCE weighs positive cells by ``w+ = N_neg / N_pos`` (the
paper's), which shifts the fitted odds of every cell; the surface ranks well
but over-states probabilities. A *logit map* ``p -> sigmoid(a logit(p) + b)``
with ``a > 0`` is one increasing function applied to every cell, so every
ranking (h-AUROC) and the monotonicity in dt are kept while the scale moves:

* ``"unweighted"``: ``a = 1, b = -log w+`` divides the odds by ``w+``, what the
  weighting does in theory (``p / (p + w+ (1 - p))``);
* ``"held_out"``: ``a, b`` fitted by maximum likelihood (Platt scaling, one
  map for all horizons) on the known cells of the series the fit held out
  for early stopping, so the scale is the data's as measured, not as theory
  says; without held-out series (``validation_fraction=0``, too few series,
  or a split with one class) it falls back to ``"unweighted"``;
* ``"weighted"``: the surface as trained.
"""

from __future__ import annotations

import numpy as np

#: ``probability`` options of HEPAEventPredictor.
PROBABILITY_SCALES = ("held_out", "unweighted", "weighted")
_EPS = 1e-7  # float32 sigmoids reach 0 and 1 exactly


def _logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(p) - np.log1p(-p)


def odds_map(pos_weight: float) -> np.ndarray:
    """``(a, b)`` that divides the odds by ``pos_weight``: ``(1, -log pos_weight)``."""
    return np.array([1.0, -np.log(pos_weight)])


def fit_logit_map(p, labels) -> np.ndarray | None:
    """``(a, b)`` maximising the likelihood of ``labels`` under ``sigmoid(a logit(p) + b)``.

    ``p`` and ``labels`` are the known cells (1-D). None when the labels hold
    one class. ``a`` is kept positive (at least 1e-3), so the map never
    reverses a ranking; a held-out part on which the surface ranks backwards
    gets a nearly flat map around its event rate.
    """
    from scipy.optimize import minimize
    from scipy.special import expit

    labels = np.asarray(labels, dtype=np.float64)
    if labels.min() == labels.max():
        return None
    z = _logit(p)

    def nll(theta):  # mean negative log-likelihood and its gradient
        s = theta[0] * z + theta[1]
        loss = np.mean(np.logaddexp(0.0, s) - labels * s)
        r = expit(s) - labels
        return loss, np.array([np.mean(r * z), np.mean(r)])

    start = np.array([1.0, 0.0])
    fit = minimize(nll, start, jac=True, method="L-BFGS-B", bounds=[(1e-3, None), (None, None)])
    return np.asarray(fit.x, dtype=np.float64)


def apply_logit_map(surface, coef) -> np.ndarray:
    """``sigmoid(a logit(surface) + b)`` cell by cell, float32; the surface as is for None."""
    if coef is None:
        return surface
    from scipy.special import expit

    a, b = coef
    return expit(a * _logit(surface) + b).astype(np.float32)
