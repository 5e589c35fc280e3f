"""Datasets: a synthetic run-to-failure generator and loaders of the benchmark data.

Loaders read from :func:`get_data_home` (``$SKTIME_HEPA_DATA``, else ``../shared/data``
relative to the working directory); nothing is downloaded.
"""

from ._base import get_data_home
from ._batadal import load_batadal
from ._beijing import load_beijing_air
from ._cmapss import load_cmapss
from ._ett import load_ettm1
from ._gecco import load_gecco
from ._mba import load_mba
from ._psm import load_psm
from ._smap_msl import load_smap_msl
from ._synthetic import make_run_to_failure, make_sine_panel
from ._tep import load_tep
from ._vix import load_vix
from ._weather import load_weather

__all__ = [
    "get_data_home",
    "load_batadal",
    "load_beijing_air",
    "load_cmapss",
    "load_ettm1",
    "load_gecco",
    "load_mba",
    "load_psm",
    "load_smap_msl",
    "load_tep",
    "load_vix",
    "load_weather",
    "make_run_to_failure",
    "make_sine_panel",
]
