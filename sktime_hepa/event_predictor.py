"""Former home of HEPAEventPredictor; kept so that old imports keep working."""

from .surfaces import HEPAEventPredictor

__all__ = ["HEPAEventPredictor"]
