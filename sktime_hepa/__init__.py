"""sktime_hepa: HEPA event-probability surfaces as scikit-learn estimators."""

__version__ = "0.1.0"

from .calibration import CalibrationWarning, SurfaceCalibrator
from .detectors import (
    AnomalyTransformerDetector,
    DegenerateScoreWarning,
    LSTMAttentionAutoencoder,
    LSTMVAEDetector,
    SensitiveMambaDetector,
)
from .diagnostics import CollapseWarning, UntrainedWarning
from .encoders import (
    HEPAEmbeddings,
    HEPAPretrainer,
    ITransformerEncoder,
    MAEPretrainer,
    MTSJEPAPretrainer,
    PatchTSTEncoder,
    TRepEncoder,
)
from .panel import SeriesLayoutWarning
from .pipeline import SurfacePipeline, make_pipeline
from .surfaces import AgeBaseline, HEPAEventPredictor, RidgeBaseline, SurvivalForestBaseline
from .targets import EventLabelWarning

__all__ = [
    "AgeBaseline",
    "AnomalyTransformerDetector",
    "CalibrationWarning",
    "CollapseWarning",
    "DegenerateScoreWarning",
    "EventLabelWarning",
    "HEPAEmbeddings",
    "HEPAEventPredictor",
    "HEPAPretrainer",
    "ITransformerEncoder",
    "LSTMAttentionAutoencoder",
    "LSTMVAEDetector",
    "MAEPretrainer",
    "MTSJEPAPretrainer",
    "PatchTSTEncoder",
    "RidgeBaseline",
    "SensitiveMambaDetector",
    "SeriesLayoutWarning",
    "SurfaceCalibrator",
    "SurfacePipeline",
    "SurvivalForestBaseline",
    "TRepEncoder",
    "UntrainedWarning",
    "__version__",
    "make_pipeline",
]
