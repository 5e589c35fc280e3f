"""Former home of the baselines' encoders; kept so that old imports keep working."""

from .encoders import ITransformerEncoder, MAEPretrainer, PatchTSTEncoder

__all__ = ["MAEPretrainer", "PatchTSTEncoder", "ITransformerEncoder"]
