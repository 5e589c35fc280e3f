"""Former home of HEPAPretrainer; kept so that old imports keep working."""

from .encoders import HEPAEmbeddings, HEPAPretrainer

__all__ = ["HEPAPretrainer", "HEPAEmbeddings"]
