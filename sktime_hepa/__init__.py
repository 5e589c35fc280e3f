"""sktime_hepa: HEPA event-probability surfaces as scikit-learn estimators."""

__version__ = "0.1.0"

from .diagnostics import CollapseWarning
from .encoders import (
    HEPAEmbeddings,
    HEPAPretrainer,
    ITransformerEncoder,
    MAEPretrainer,
    PatchTSTEncoder,
)
from .pipeline import SurfacePipeline, make_pipeline
from .surfaces import AgeBaseline, HEPAEventPredictor, RidgeBaseline, SurvivalForestBaseline

__all__ = [
    "AgeBaseline",
    "CollapseWarning",
    "HEPAEmbeddings",
    "HEPAEventPredictor",
    "HEPAPretrainer",
    "ITransformerEncoder",
    "MAEPretrainer",
    "PatchTSTEncoder",
    "RidgeBaseline",
    "SurfacePipeline",
    "SurvivalForestBaseline",
    "__version__",
    "make_pipeline",
]
