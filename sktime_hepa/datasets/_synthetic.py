"""Synthetic run-to-failure data: the package's small default demo and test set."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ..targets import make_survival_target

__all__ = ["make_run_to_failure", "make_sine_panel"]


def _as_generator(random_state) -> np.random.Generator:
    """A ``numpy.random.Generator`` from any sklearn-style ``random_state``.

    ``check_random_state`` does not accept a ``Generator``, so one is used as is;
    ints, ``None`` and ``RandomState`` go through sklearn's usual semantics (``None``
    draws from numpy's global state) and seed a fresh generator.
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    rs = check_random_state(random_state)
    return np.random.default_rng(rs.randint(np.iinfo(np.int32).max))


def _check_int(name, value, low):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    return int(value)


def make_run_to_failure(
    n_units=60,
    *,
    n_sensors=8,
    n_conditions=3,
    min_life=120,
    max_life=320,
    censor_fraction=0.2,
    noise=0.05,
    random_state=None,
):
    """Generate multivariate run-to-failure sensor series with survival targets.

    A small C-MAPSS-like (FD002-like) simulation. Each unit ``i`` carries a latent
    health index ``h_i(t)`` that starts near 1 (a small random initial wear), stays
    flat until a random onset (20-60% of the unit's life), then decays with a
    unit-specific power law whose exponent (1.5-3) makes degradation accelerate:

    ``h_i(t) = 1 - w_i - (1 - w_i) * ((t - onset_i) / (life_i - onset_i))_+ ** p_i``.

    The unit fails when the health reaches the threshold 0, which happens exactly at
    its last cycle ``life_i``, drawn uniformly in ``[min_life, max_life]``. At every
    cycle the unit runs in one of ``n_conditions`` operating regimes, drawn
    independently per cycle. Each sensor is a noisy linear mixture of

    * the health index (sensor-specific loading of random sign; about a quarter of
      the sensors have loading 0 and carry no health information),
    * the operating condition (a per-regime level shift, several times larger than
      the whole health effect),
    * a unit-specific offset (manufacturing variation, small against the health
      effect) and a sensor baseline,
    * i.i.d. Gaussian noise of standard deviation ``noise``.

    What makes it learnable: the *absolute level* of the informative sensors, once
    the regime shift is removed, tracks the health index and so the time to failure,
    and the shape of the decay (flat, then accelerating) means that recent level and
    trend both matter. The operating condition is a nuisance: it moves the levels
    far more than degradation does but is unrelated to failure; it is identifiable
    from the sensors themselves (all of them, including the uninformative ones, shift
    with it), so a model can learn to undo it, e.g. by per-regime normalisation.

    Censoring: ``round(censor_fraction * n_units)`` units, chosen at random, are cut
    at a random cycle between 30% of their life and one cycle before failure. Their
    rows get ``event=False`` and ``time`` = cycles until the cut.

    Parameters
    ----------
    n_units : int, default=60
        Number of units (series).
    n_sensors : int, default=8
        Number of sensor columns.
    n_conditions : int, default=3
        Number of operating regimes; 1 gives a single-condition (FD001-like) set.
    min_life, max_life : int, default=120, 320
        Range of the units' lifetimes in cycles (inclusive), ``2 <= min_life <= max_life``.
    censor_fraction : float, default=0.2
        Fraction of units that are right-censored before failure, in ``[0, 1]``.
    noise : float, default=0.05
        Standard deviation of the sensor noise (the health effect spans about 1).
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None
        Seed or generator for reproducible output.

    Returns
    -------
    X : pandas.DataFrame, shape (n_rows, n_sensors)
        Float64 columns ``sensor_0 ...`` with a two-level MultiIndex
        ``("unit", "cycle")``; units are numbered from 1, cycles from 1, rows of a
        unit contiguous and in time order.
    y : ndarray of dtype ``SURVIVAL_DTYPE``, shape (n_rows,)
        Survival target aligned with the rows of ``X``: for a failing unit
        ``event=True`` and ``time = life - cycle`` (0 at the failure cycle); for a
        censored unit ``event=False`` and ``time = cut - cycle``.

    Examples
    --------
    >>> from sktime_hepa.datasets import make_run_to_failure
    >>> X, y = make_run_to_failure(10, random_state=0)
    >>> X.index.names
    FrozenList(['unit', 'cycle'])
    >>> bool(y["time"].min() == 0)
    True
    """
    n_units = _check_int("n_units", n_units, 1)
    n_sensors = _check_int("n_sensors", n_sensors, 1)
    n_conditions = _check_int("n_conditions", n_conditions, 1)
    min_life = _check_int("min_life", min_life, 2)
    max_life = _check_int("max_life", max_life, min_life)
    if not 0.0 <= censor_fraction <= 1.0:
        raise ValueError(f"censor_fraction must be in [0, 1], got {censor_fraction!r}.")
    if not noise >= 0.0:
        raise ValueError(f"noise must be non-negative, got {noise!r}.")
    rng = _as_generator(random_state)

    # --- per-unit degradation parameters
    life = rng.integers(min_life, max_life + 1, size=n_units)
    onset = rng.uniform(0.2, 0.6, size=n_units) * life
    power = rng.uniform(1.5, 3.0, size=n_units)
    wear0 = rng.uniform(0.0, 0.1, size=n_units)

    # --- censoring: cut strictly before failure, late enough to leave some history
    n_cens = int(round(censor_fraction * n_units))
    censored = np.zeros(n_units, dtype=bool)
    censored[rng.choice(n_units, size=n_cens, replace=False)] = True
    low = np.maximum(1, np.ceil(0.3 * life)).astype(np.int64)
    cut = rng.integers(low, life)  # in [low, life - 1]
    n_rows = np.where(censored, cut, life)

    # --- per-sensor mixing: health loadings, regime shifts, baselines, unit offsets
    loading = rng.choice([-1.0, 1.0], size=n_sensors) * rng.uniform(0.5, 1.5, size=n_sensors)
    uninformative = rng.choice(n_sensors, size=n_sensors // 4, replace=False)
    loading[uninformative] = 0.0
    # shifts several times the health effect, as the regimes of C-MAPSS FD002 are
    cond_shift = rng.normal(0.0, 2.0, size=(n_conditions, n_sensors))
    baseline = rng.normal(0.0, 1.0, size=n_sensors)
    unit_offset = rng.normal(0.0, 0.1, size=(n_units, n_sensors))

    # --- rows, vectorised over all units
    total = int(n_rows.sum())
    unit = np.repeat(np.arange(n_units), n_rows)
    starts = np.concatenate([[0], np.cumsum(n_rows)[:-1]])
    cycle = np.arange(total) - np.repeat(starts, n_rows) + 1
    ramp = np.clip((cycle - onset[unit]) / (life[unit] - onset[unit]), 0.0, 1.0)
    health = 1.0 - wear0[unit] - (1.0 - wear0[unit]) * ramp ** power[unit]
    condition = rng.integers(0, n_conditions, size=total)
    values = (
        baseline
        + unit_offset[unit]
        + health[:, None] * loading
        + cond_shift[condition]
        + noise * rng.standard_normal((total, n_sensors))
    )

    # n_rows is the failure cycle (failing units) or the cut (censored ones)
    y = make_survival_target(~censored[unit], n_rows[unit] - cycle)
    index = pd.MultiIndex.from_arrays(
        [unit.astype(np.int64) + 1, cycle.astype(np.int64)], names=["unit", "cycle"]
    )
    X = pd.DataFrame(
        values.astype(np.float64),
        index=index,
        columns=[f"sensor_{j}" for j in range(n_sensors)],
    )
    return X, y


def make_sine_panel(
    n_series=30,
    *,
    n_channels=3,
    min_length=150,
    max_length=300,
    trend=0.01,
    random_state=None,
):
    """Series that are exactly predictable from their past: a known-answer set for pretraining.

    Each channel of each series is ``sin(2 pi f t + phi) + b t`` with its own
    frequency ``f`` (uniform in 0.02-0.15 cycles per step), phase ``phi`` and
    trend slope ``b`` (uniform in ``[-trend, trend]``), without noise. A
    context of a few periods fixes every channel's future, so a JEPA
    predictor that uses its context can predict any future window, and one
    that does not cannot (``HEPAPretrainer.prediction_error``: a ratio near
    0 against near 1). No events: for pretraining only.

    Parameters
    ----------
    n_series : int, default=30
    n_channels : int, default=3
    min_length, max_length : int, default=150, 300
        Steps per series, drawn uniformly in ``[min_length, max_length]``.
    trend : float, default=0.01
        Largest absolute trend slope per step.
    random_state : int, RandomState, Generator or None

    Returns
    -------
    X : DataFrame with a (series, time) MultiIndex and columns ``s0 .. s{n_channels-1}``
    """
    n_series = _check_int("n_series", n_series, 1)
    n_channels = _check_int("n_channels", n_channels, 1)
    min_length = _check_int("min_length", min_length, 2)
    max_length = _check_int("max_length", max_length, min_length)
    if not isinstance(trend, numbers.Real) or isinstance(trend, bool) or not trend >= 0:
        raise ValueError(f"trend must be a real number >= 0, got {trend!r}.")
    rng = _as_generator(random_state)
    frames = []
    for i in range(n_series):
        t = np.arange(rng.integers(min_length, max_length + 1))
        f = rng.uniform(0.02, 0.15, n_channels)
        phase = rng.uniform(0, 2 * np.pi, n_channels)
        slope = rng.uniform(-trend, trend, n_channels)
        values = np.sin(2 * np.pi * f * t[:, None] + phase) + slope * t[:, None]  # (n, C)
        index = pd.MultiIndex.from_product([[i], t], names=["series", "time"])
        frames.append(
            pd.DataFrame(values, index=index, columns=[f"s{c}" for c in range(n_channels)])
        )
    return pd.concat(frames)
