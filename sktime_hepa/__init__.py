"""sktime_hepa: HEPA event-probability surfaces as scikit-learn estimators."""

__version__ = "0.1.0"
