"""sktime_hepa: HEPA event-probability surfaces as scikit-learn estimators."""

__version__ = "0.1.0"

from .baseline_encoders import ITransformerEncoder, MAEPretrainer, PatchTSTEncoder
from .event_predictor import HEPAEventPredictor
from .pretrainer import HEPAEmbeddings, HEPAPretrainer

__all__ = [
    "HEPAPretrainer",
    "HEPAEventPredictor",
    "HEPAEmbeddings",
    "MAEPretrainer",
    "PatchTSTEncoder",
    "ITransformerEncoder",
    "__version__",
]
