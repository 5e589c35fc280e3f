"""Datasets: a synthetic run-to-failure generator and loaders of the benchmark data.

Loaders read from :func:`get_data_home` (``$SKTIME_HEPA_DATA``, else ``../shared/data``
relative to the working directory); nothing is downloaded.
"""

from ._base import get_data_home
from ._cmapss import load_cmapss
from ._synthetic import make_run_to_failure

__all__ = ["get_data_home", "load_cmapss", "make_run_to_failure"]
