"""sktime_hepa: HEPA event-probability surfaces as scikit-learn estimators."""

__version__ = "0.1.0"

from .detectors import LSTMAttentionAutoencoder, LSTMVAEDetector
from .diagnostics import CollapseWarning
from .encoders import (
    HEPAEmbeddings,
    HEPAPretrainer,
    ITransformerEncoder,
    MAEPretrainer,
    PatchTSTEncoder,
)
from .panel import SeriesLayoutWarning
from .pipeline import SurfacePipeline, make_pipeline
from .surfaces import AgeBaseline, HEPAEventPredictor, RidgeBaseline, SurvivalForestBaseline
from .targets import EventLabelWarning

__all__ = [
    "AgeBaseline",
    "CollapseWarning",
    "EventLabelWarning",
    "HEPAEmbeddings",
    "HEPAEventPredictor",
    "HEPAPretrainer",
    "ITransformerEncoder",
    "LSTMAttentionAutoencoder",
    "LSTMVAEDetector",
    "MAEPretrainer",
    "PatchTSTEncoder",
    "RidgeBaseline",
    "SeriesLayoutWarning",
    "SurfacePipeline",
    "SurvivalForestBaseline",
    "__version__",
    "make_pipeline",
]
