"""Loader of the NASA C-MAPSS turbofan run-to-failure benchmark."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..targets import target_from_rul
from ._base import _check_folder, _find_file, get_data_home

__all__ = ["load_cmapss", "CMAPSS_COLUMNS", "CMAPSS_PAPER_SENSORS"]

_SETTINGS = ["setting_1", "setting_2", "setting_3"]
_ALL_SENSORS = [f"s_{k}" for k in range(1, 22)]

#: Column names of the official text files, in order.
CMAPSS_COLUMNS = ["unit", "cycle", *_SETTINGS, *_ALL_SENSORS]

#: The 14 informative sensors of the HEPA paper (appendix L), after dropping the
#: near-constant channels s_1, s_5, s_6, s_10, s_16, s_18, s_19.
CMAPSS_PAPER_SENSORS = [
    "s_2", "s_3", "s_4", "s_7", "s_8", "s_9", "s_11",
    "s_12", "s_13", "s_14", "s_15", "s_17", "s_20", "s_21",
]  # fmt: skip

_SUBSETS = ("FD001", "FD002", "FD003", "FD004")
_SCALINGS = ("minmax", "regime", None)

#: The paper's horizon count for C-MAPSS (K=150); its context is the full engine history.
CMAPSS_HORIZONS = 150


def _read_cmapss_table(path) -> pd.DataFrame:
    """Read one official train/test file (whitespace separated, no header, 26 columns)."""
    df = pd.read_csv(path, sep=r"\s+", header=None)
    if df.shape[1] != len(CMAPSS_COLUMNS):
        raise ValueError(
            f"{path}: expected {len(CMAPSS_COLUMNS)} columns (unit, cycle, 3 settings, "
            f"21 sensors), found {df.shape[1]}."
        )
    df.columns = CMAPSS_COLUMNS
    df = df.astype({"unit": np.int64, "cycle": np.int64})
    # the official files are already ordered; a stable sort enforces the X convention
    # (rows of a unit contiguous and time-sorted) for re-saved copies too
    return df.sort_values(["unit", "cycle"], kind="stable", ignore_index=True)


def _sensor_columns(sensors) -> list[str]:
    if isinstance(sensors, str):
        if sensors == "paper":
            return list(CMAPSS_PAPER_SENSORS)
        if sensors == "all":
            return list(_ALL_SENSORS)
        raise ValueError(f"sensors must be 'paper', 'all' or a list of names, got {sensors!r}.")
    cols = list(sensors)
    unknown = [c for c in cols if c not in _ALL_SENSORS]
    if unknown or not cols:
        raise ValueError(
            f"sensors must be a non-empty list of names among s_1 .. s_21; unknown: {unknown}."
        )
    return cols


_SCALING_TEXT = {
    "minmax": ", min-max scaled on train",
    "regime": ", z-scored per operating regime (KMeans on the training settings)",
    None: " (raw)",
}


def _last_cycle_gap(df: pd.DataFrame) -> np.ndarray:
    """``last_cycle - cycle`` of every row, per unit."""
    return (df.groupby("unit")["cycle"].transform("max") - df["cycle"]).to_numpy(np.float64)


def _count_regimes(settings: np.ndarray) -> int:
    """Distinct operating conditions: rows of the settings rounded to integers.

    The six FD002/FD004 conditions are (altitude, Mach, TRA) near (0, 0, 100),
    (10, .25, 100), (20, .7, 100), (25, .62, 60), (35, .84, 100), (42, .84, 100): the
    rounded altitude alone separates them. FD001/FD003 fly one condition whose
    settings jitter by < 0.01 around (0, 0, 100), so they count as one.
    """
    # + 0.0 turns -0.0 (from rounding -0.004) into 0.0 before np.unique
    return int(np.unique(np.round(settings) + 0.0, axis=0).shape[0])


def _fit_regimes(settings_train: np.ndarray, n_regimes):
    """KMeans operating regimes of the training settings, ordered by their centres.

    The settings are standardised with their training mean/std (a constant column
    keeps std 1) so that altitude (0-42) does not drown Mach (0-0.84). Returns the
    fitted model, the standardisation and the relabelling that sorts the centres
    lexicographically (regime 0 = lowest altitude), so labels do not depend on the
    KMeans initialisation.
    """
    from sklearn.cluster import KMeans

    if n_regimes == "auto":
        n_regimes = _count_regimes(settings_train)
    mean = settings_train.mean(axis=0)
    std = settings_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    z = (settings_train - mean) / std
    if n_regimes > len(np.unique(z, axis=0)):
        raise ValueError(
            f"n_regimes={n_regimes} exceeds the {len(np.unique(z, axis=0))} distinct "
            "training setting rows."
        )
    km = KMeans(n_clusters=n_regimes, n_init=10, random_state=0).fit(z)
    centres = km.cluster_centers_ * std + mean + 0.0
    order = np.lexsort(centres.T[::-1])  # by setting_1, then setting_2, then setting_3
    relabel = np.empty(n_regimes, dtype=np.int64)
    relabel[order] = np.arange(n_regimes)
    return km, mean, std, relabel, centres[order]


def load_cmapss(
    subset="FD001", *, data_home=None, sensors="paper", scaling="minmax", n_regimes="auto"
):
    """Load a C-MAPSS subset as survival data (X, y) for train and test.

    Reads the official NASA files ``train_<subset>.txt``, ``test_<subset>.txt`` and
    ``RUL_<subset>.txt`` (gzipped ``.txt.gz`` preferred, plain ``.txt`` accepted) from
    ``<data_home>/cmapss/``. Preprocessing follows the HEPA paper (appendix L): the
    14 informative sensors and per-subset min-max scaling fitted on the training
    units and applied unchanged to the test units (test values may therefore leave
    ``[0, 1]`` slightly).

    Targets are survival targets with ``event=True`` everywhere: a training unit fails
    at its last cycle (``time = last_cycle - cycle``); a test unit is cut before
    failure but its true RUL after the last cycle is given, so
    ``time = RUL + (last_cycle - cycle)``.

    The times are **not** capped. The paper's RUL cap of 125 cycles (following STAR)
    belongs to the RMSE metric, ``time_to_event_rmse(..., cap=125)``: capping the
    survival times themselves would relabel a failure 200 cycles ahead as one at 125
    and make the labels ``P(event within dt)`` false for horizons ``dt >= 125``.

    Parameters
    ----------
    subset : {"FD001", "FD002", "FD003", "FD004"}, default="FD001"
        Sub-dataset (case-insensitive). The shared data hold FD001 and FD002 only.
    data_home : str or os.PathLike, optional
        Folder containing ``cmapss/``; default from :func:`get_data_home`
        (``$SKTIME_HEPA_DATA``, else ``../shared/data``).
    sensors : {"paper", "all"} or list of str, default="paper"
        ``"paper"``: the 14 sensors s_2, s_3, s_4, s_7, s_8, s_9, s_11, s_12, s_13,
        s_14, s_15, s_17, s_20, s_21; ``"all"``: all 21 sensors (the near-constant
        ones included); or an explicit list of names among ``s_1 .. s_21``. The
        operating settings are never among the features; see ``settings_*``.
    scaling : {"minmax", "regime"} or None, default="minmax"
        ``"minmax"`` maps each sensor's training range onto [0, 1] (a constant
        training column maps to 0); ``None`` keeps raw values. ``"regime"`` is
        per-operating-regime normalisation (for FD002/FD004, whose six flight
        conditions dominate the raw sensors): regimes are KMeans clusters
        (``random_state=0``, 10 inits) of the standardised operating settings of
        the training rows; every sensor is z-scored with its mean and standard
        deviation within the row's regime (a sensor constant within a regime keeps
        std 1, so it becomes 0). Test rows are assigned to the nearest training
        regime centre. On FD002 the six regimes are recovered exactly.
    n_regimes : int >= 1 or "auto", default="auto"
        Number of regimes for ``scaling="regime"`` (ignored otherwise). ``"auto"``
        counts the distinct training setting rows rounded to integers: 6 on FD002
        and FD004, 1 on FD001 and FD003 (one flight condition, whose settings only
        jitter; 6 clusters there would split noise). With one regime the scaling is
        a plain z-score fitted on train.

    Returns
    -------
    data : sklearn.utils.Bunch
        X_train, X_test : pandas.DataFrame
            Float64 sensor columns with MultiIndex ``("unit", "cycle")``.
        y_train, y_test : ndarray of dtype ``SURVIVAL_DTYPE``
            Survival targets aligned with the rows of ``X_train`` / ``X_test``.
        settings_train, settings_test : pandas.DataFrame
            The raw operating settings ``setting_1 .. setting_3`` with the same
            index, e.g. for per-regime normalisation (FD002/FD004).
        rul_test_last : ndarray of float64, shape (n_test_units,)
            True RUL at each test unit's last cycle, in unit order.
        feature_names : list of str
            The sensor columns.
        scale_min, scale_range : pandas.Series or None
            The training minimum and range used for min-max scaling.
        regime_train, regime_test : ndarray of int64 or None
            With ``scaling="regime"``: the regime (0 .. n_regimes - 1, ordered by
            the centres' setting_1, then setting_2, then setting_3) of every row.
        regime_centers : pandas.DataFrame or None
            The regime centres in raw setting units, one row per regime.
        regime_mean, regime_std : pandas.DataFrame or None
            Per-regime training mean and standard deviation of every sensor (rows:
            regimes, columns: sensors).
        context_length : None
            The paper feeds C-MAPSS models the full engine history.
        horizons : int
            The paper's horizon count for C-MAPSS, 150.
        subset, description : str
            The subset's name (``"FD001"`` ...) and a summary of the data and its source.

    Raises
    ------
    FileNotFoundError
        When the folder or a file is missing; the message names the path and the
        ``SKTIME_HEPA_DATA`` environment variable.
    """
    name = str(subset).upper()
    if name not in _SUBSETS:
        raise ValueError(f"subset must be one of {_SUBSETS}, got {subset!r}.")
    if scaling not in _SCALINGS:
        raise ValueError(f"scaling must be one of {_SCALINGS}, got {scaling!r}.")
    if n_regimes != "auto" and (
        isinstance(n_regimes, bool) or not isinstance(n_regimes, numbers.Integral) or n_regimes < 1
    ):
        raise ValueError(f"n_regimes must be 'auto' or an integer >= 1, got {n_regimes!r}.")
    columns = _sensor_columns(sensors)

    folder = get_data_home(data_home) / "cmapss"
    _check_folder(folder, "C-MAPSS")
    train = _read_cmapss_table(_find_file(folder, f"train_{name}.txt"))
    test = _read_cmapss_table(_find_file(folder, f"test_{name}.txt"))
    rul = pd.read_csv(_find_file(folder, f"RUL_{name}.txt"), sep=r"\s+", header=None)
    rul = rul.iloc[:, 0].to_numpy(np.float64)

    test_units = test["unit"].unique()  # sorted, as test is sorted
    if len(rul) != len(test_units):
        raise ValueError(
            f"RUL_{name} has {len(rul)} lines but test_{name} has {len(test_units)} units."
        )

    y_train = target_from_rul(_last_cycle_gap(train))
    # RUL lines are in unit order: line k belongs to the k-th test unit
    rul_per_row = rul[np.searchsorted(test_units, test["unit"].to_numpy())]
    y_test = target_from_rul(rul_per_row + _last_cycle_gap(test))

    def frame(df, cols):
        index = pd.MultiIndex.from_arrays([df["unit"], df["cycle"]], names=["unit", "cycle"])
        return pd.DataFrame(df[cols].to_numpy(np.float64), index=index, columns=cols)

    X_train, X_test = frame(train, columns), frame(test, columns)
    scale_min = scale_range = None
    if scaling == "minmax":
        scale_min = X_train.min()
        scale_range = X_train.max() - scale_min
        # constant training columns (possible with sensors="all") map to 0, not NaN
        scale_range = scale_range.where(scale_range > 0, 1.0)
        X_train = (X_train - scale_min) / scale_range
        X_test = (X_test - scale_min) / scale_range

    regime_train = regime_test = regime_centers = regime_mean = regime_std = None
    if scaling == "regime":
        km, s_mean, s_std, relabel, centres = _fit_regimes(
            train[_SETTINGS].to_numpy(np.float64), n_regimes
        )
        regime_train = relabel[km.labels_]
        regime_test = relabel[km.predict((test[_SETTINGS].to_numpy(np.float64) - s_mean) / s_std)]
        regime_centers = pd.DataFrame(centres, columns=_SETTINGS).rename_axis("regime")
        grouped = X_train.groupby(regime_train)
        regime_mean = grouped.mean().rename_axis("regime")
        regime_std = grouped.std(ddof=0).rename_axis("regime")
        # a sensor constant within a regime (s_1, s_5, ... on FD002) maps to 0, not NaN
        regime_std = regime_std.where(regime_std > 0, 1.0)
        mu, sd = regime_mean.to_numpy(), regime_std.to_numpy()
        X_train = (X_train - mu[regime_train]) / sd[regime_train]
        X_test = (X_test - mu[regime_test]) / sd[regime_test]

    description = (
        f"NASA C-MAPSS {name} turbofan run-to-failure data: "
        f"{train['unit'].nunique()} training units ({len(train)} rows) run until failure, "
        f"{len(test_units)} test units ({len(test)} rows) cut before failure with known "
        f"RUL. Features: {len(columns)} sensors"
        f"{_SCALING_TEXT[scaling]}. "
        "Survival targets: event=True, time = cycles until failure (not capped; the "
        "paper's RUL cap 125 applies in the RMSE metric). Source: Saxena et al., "
        "'Damage Propagation Modeling for Aircraft Engine Run-to-Failure Simulation', "
        "PHM08; NASA Ames Prognostics Data Repository."
    )
    return Bunch(
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        settings_train=frame(train, _SETTINGS),
        settings_test=frame(test, _SETTINGS),
        rul_test_last=rul,
        feature_names=columns,
        scale_min=scale_min,
        scale_range=scale_range,
        regime_train=regime_train,
        regime_test=regime_test,
        regime_centers=regime_centers,
        regime_mean=regime_mean,
        regime_std=regime_std,
        context_length=None,
        horizons=CMAPSS_HORIZONS,
        subset=name,
        description=description,
    )
