"""Shared helpers of the dataset loaders: data-folder resolution and file lookup."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_HOME_ENV", "get_data_home"]

#: Environment variable naming the folder that holds the benchmark data (``cmapss/``, ...).
DATA_HOME_ENV = "SKTIME_HEPA_DATA"


def get_data_home(data_home=None) -> Path:
    """Folder holding the benchmark data used by the ``load_*`` functions.

    Resolution order:

    1. ``data_home`` when given;
    2. the environment variable ``SKTIME_HEPA_DATA`` when set and non-empty;
    3. ``../shared/data`` relative to the current working directory (the layout of
       the project's workspace, where the repository sits next to ``shared/``).

    Each dataset lives in a sub-folder (e.g. ``<data_home>/cmapss/``). Nothing is
    created or downloaded: the data are read-only inputs.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        Explicit data folder; overrides the environment variable.

    Returns
    -------
    data_home : pathlib.Path
        The resolved folder (it may not exist; loaders raise ``FileNotFoundError``).
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or None
    if data_home is None:
        data_home = Path.cwd().parent / "shared" / "data"
    return Path(data_home).expanduser().absolute()


def _find_file(folder: Path, name: str) -> Path:
    """Path of ``name`` in ``folder``, preferring the gzipped copy ``name + '.gz'``.

    Raises ``FileNotFoundError`` naming both candidates and the environment variable.
    """
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{name}.gz (or {name}) not found in {folder}. Pass data_home=... or set the "
        f"{DATA_HOME_ENV} environment variable to the folder that contains "
        f"'{folder.name}/'."
    )


def _check_folder(folder: Path, dataset: str) -> None:
    """Raise a ``FileNotFoundError`` that says how to point the loaders at the data."""
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{dataset} data folder {folder} does not exist. Pass data_home=... or set the "
            f"{DATA_HOME_ENV} environment variable to a folder containing '{folder.name}/' "
            f"(default: ../shared/data relative to the working directory)."
        )
