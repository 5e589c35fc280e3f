"""Former home of the baseline surface estimators; kept so that old imports keep working."""

from .surfaces.baselines import AgeBaseline, RidgeBaseline, SurvivalForestBaseline

__all__ = ["AgeBaseline", "RidgeBaseline", "SurvivalForestBaseline"]
