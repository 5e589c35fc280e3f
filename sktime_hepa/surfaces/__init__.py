"""Surface estimators: each returns the event CDF ``p(t, dt)`` of every row.

* :class:`HEPAEventPredictor`: a network on an encoder of the encoder slot;
* :class:`AgeBaseline`, :class:`RidgeBaseline`, :class:`SurvivalForestBaseline`:
  the floors every reported number stands beside.
"""

from ._base import SurfaceEstimator
from .baselines import AgeBaseline, RidgeBaseline, SurvivalForestBaseline
from .hepa import HEPAEventPredictor

__all__ = [
    "AgeBaseline",
    "HEPAEventPredictor",
    "RidgeBaseline",
    "SurfaceEstimator",
    "SurvivalForestBaseline",
]
