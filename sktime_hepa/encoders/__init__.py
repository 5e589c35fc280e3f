"""Encoder estimators: each returns one embedding ``h_t`` per row (the encoder slot).

* :class:`HEPAPretrainer`: HEPA's causal Transformer, JEPA-pretrained;
* :class:`MAEPretrainer`: the same encoder, masked-reconstruction pretrained;
* :class:`PatchTSTEncoder`, :class:`ITransformerEncoder`: trained end to end
  on the event task, then frozen;
* :class:`TRepEncoder`: T-Rep's causal dilated convolutions with time-embeddings,
  self-supervised, also an anomaly detector;
* :class:`MTSJEPAPretrainer`: MTS-JEPA's codebook JEPA on windows ending at t,
  also an anomaly detector.
"""

from ._base import EncoderTransformer, HEPAEmbeddings, SelfSupervisedEncoder, SupervisedEncoder
from .hepa import HEPAPretrainer
from .mae import MAEPretrainer
from .mts_jepa import MTSJEPAPretrainer
from .supervised import ITransformerEncoder, PatchTSTEncoder
from .trep import TRepEncoder

__all__ = [
    "EncoderTransformer",
    "HEPAEmbeddings",
    "HEPAPretrainer",
    "ITransformerEncoder",
    "MAEPretrainer",
    "MTSJEPAPretrainer",
    "PatchTSTEncoder",
    "SelfSupervisedEncoder",
    "SupervisedEncoder",
    "TRepEncoder",
]
