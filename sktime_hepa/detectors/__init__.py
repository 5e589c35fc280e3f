"""Detectors: encoder estimators that also score each row as anomalous.

Every detector is an encoder (``transform`` gives one embedding per row, so it
drops into :class:`~sktime_hepa.HEPAEventPredictor`'s ``pretrainer`` slot)
and a detector (``score_samples`` gives one anomaly score per row,
``predict`` flags rows above a threshold fitted without test labels).
"""

from ..encoders._detector import (
    DETECTOR_CONSTRAINTS,
    DegenerateScoreWarning,
    SelfSupervisedDetector,
)
from .anomaly_transformer import AnomalyTransformerDetector
from .lstm import LSTMAttentionAutoencoder, LSTMVAEDetector
from .sensitive_mamba import SensitiveMambaDetector

__all__ = [
    "AnomalyTransformerDetector",
    "DETECTOR_CONSTRAINTS",
    "DegenerateScoreWarning",
    "LSTMAttentionAutoencoder",
    "LSTMVAEDetector",
    "SelfSupervisedDetector",
    "SensitiveMambaDetector",
]
