"""Plots of surfaces, their metrics and embeddings, in scikit-learn's Display style.

Each Display stores the values it draws. ``plot(ax=None, ...)`` draws them on
``ax`` (a new figure when None) and keeps ``ax_``, ``figure_`` and the drawn
artists as attributes ending in ``_``; the classmethods ``from_estimator`` and
``from_predictions`` (or ``from_records`` / ``from_values`` /
``from_embeddings``) compute the values, build the Display and plot it:

* :class:`SurfaceDisplay`: the surface ``p(t, dt)`` of one series as a heatmap,
  with its event steps marked;
* :class:`HorizonAUROCDisplay`: the per-horizon AUROC of several models;
* :class:`ReliabilityDisplay`: a reliability diagram for chosen horizons, with
  each horizon's ECE;
* :class:`EmbeddingTrajectoryDisplay`: the PCA trajectory of the embeddings of
  chosen series over their life (the paper's Fig. 3b);
* :class:`LabelEfficiencyDisplay`: h-AUROC against the label fraction, one line
  per method with the seed std as error bars.

matplotlib is an optional dependency (``pip install "sktime_hepa[plot]"``).
This module imports without it, and ``import sktime_hepa`` never imports it;
every ``plot`` and ``from_*`` raises an ImportError that says how to install it.

``y`` follows the package's target contract (:mod:`sktime_hepa.targets`): a
structured ``(event, time)`` array, or per-step 0/1 labels, read per series.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .metrics import _check_surface, _predict_surface, per_horizon_auroc
from .panel import series_ids
from .targets import as_survival_target, horizon_labels, is_survival_target
from .targets import validate_event_target as _validate_event_target

__all__ = [
    "SurfaceDisplay",
    "HorizonAUROCDisplay",
    "ReliabilityDisplay",
    "EmbeddingTrajectoryDisplay",
    "LabelEfficiencyDisplay",
]

_INSTALL = 'pip install "sktime_hepa[plot]"'
_DT = "\u0394t"  # Δt


# ---------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------


def _pyplot(what: str):
    """``matplotlib.pyplot``, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{what} needs matplotlib, an optional dependency of sktime_hepa: {_INSTALL}"
        ) from exc
    return plt


def _axes(ax, what: str):
    """``(ax, figure)``: the given axes, or those of a new figure."""
    plt = _pyplot(what)
    if ax is None:
        _, ax = plt.subplots()
    return ax, ax.figure


def _check_mapping(values, name: str) -> dict:
    """A non-empty dict copy of ``values``, or ValueError."""
    if not isinstance(values, Mapping):
        raise ValueError(f"{name} must be a dict of name -> value, got {type(values).__name__}.")
    if not values:
        raise ValueError(f"{name} is empty; pass at least one entry.")
    return dict(values)


def _survival_target(y, groups, n_rows, what: str) -> np.ndarray:
    """y as a structured target for ``n_rows`` rows (per-step labels read per group).

    ``n_rows=None`` takes y's own length (``groups`` must then match it).
    """
    if y is None:
        raise ValueError(f"{what} needs y, the target of every row.")
    n_rows = len(y) if n_rows is None else n_rows
    y, _ = _validate_event_target(y, n_rows=n_rows, groups=groups, estimator_name=what)
    return y


def _preview(ids) -> str:
    ids = list(ids)
    shown = ", ".join(repr(i.item() if hasattr(i, "item") else i) for i in ids[:10])
    return f"[{shown}{', ...' if len(ids) > 10 else ''}]"


def _n_rows(X) -> int:
    return len(series_ids(X))


def _select_series(X, series: list, what: str):
    """``(X_sub, ids_sub, mask)``: X restricted to ``series``, the series id of each
    of its rows, and the mask of those rows among the rows of X.

    Series ids are the first index level of a MultiIndex frame, the position
    of a series in a 3-D array (kept in the order of ``series``), and 0 for a
    single 2-D series. An unknown or repeated id is a ValueError.
    """
    ids = series_ids(X)
    available = pd.unique(ids)
    for s in series:
        if not np.isin(s, available):
            raise ValueError(
                f"{what}: series {s!r} is not in X; its series ids are {_preview(available)}."
            )
    if len(set(series)) != len(series):
        raise ValueError(f"{what}: series {series!r} lists a series twice.")
    if isinstance(X, np.ndarray) and X.ndim == 3:
        positions = [int(s) for s in series]
        return X[positions], np.repeat(positions, X.shape[2]), np.isin(ids, positions)
    mask = np.isin(ids, series)
    if isinstance(X, pd.DataFrame) and isinstance(X.index, pd.MultiIndex):
        return X.loc[mask], ids[mask], mask
    return X, ids, mask  # a single series: all of X


def _take(y, mask):
    """Rows of a target (structured array, ndarray, list or Series) where ``mask``."""
    return np.asarray(y)[mask]


def _check_rows(surface: np.ndarray, n_rows: int, what: str) -> None:
    if surface.shape[0] != n_rows:
        raise ValueError(
            f"{what} has {surface.shape[0]} rows but y has {n_rows}; they must match one-to-one."
        )


def _check_horizons(horizons, K: int) -> list[int]:
    """Horizons as a list of distinct ints in 1..K; the default picks up to 4 spread ones."""
    if horizons is None:
        return sorted({int(round(h)) for h in np.linspace(1, K, min(K, 4))})
    values = np.atleast_1d(np.asarray(horizons))
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"horizons must be a non-empty list of ints, got {horizons!r}.")
    out = []
    for h in values.tolist():
        if isinstance(h, bool) or not float(h).is_integer():
            raise ValueError(f"horizons must be integers, got {h!r}.")
        if not 1 <= h <= K:
            raise ValueError(f"horizon {int(h)} is unknown: the surface covers dt = 1..{K}.")
        out.append(int(h))
    if len(set(out)) != len(out):
        raise ValueError(f"horizons {out} lists a horizon twice.")
    return out


def _binned_calibration(prob: np.ndarray, label: np.ndarray, n_bins: int):
    """Mean prediction, event frequency and count of each non-empty bin, and the ECE.

    The bins are those of :func:`sktime_hepa.metrics.expected_calibration_error`
    (``n_bins`` equal-width bins on [0, 1], 1.0 in the last).
    """
    bins = np.minimum((prob * n_bins).astype(np.int64), n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    sum_prob = np.bincount(bins, weights=prob, minlength=n_bins)
    sum_label = np.bincount(bins, weights=label, minlength=n_bins)
    full = count > 0
    ece = float(np.abs(sum_label - sum_prob)[full].sum() / prob.size)
    return sum_prob[full] / count[full], sum_label[full] / count[full], count[full], ece


# ---------------------------------------------------------------------------
# SurfaceDisplay
# ---------------------------------------------------------------------------


def _event_steps(y, n_rows: int) -> np.ndarray:
    """Steps (0-based, within the series) at which events happen, from y of one series.

    A structured target gives ``t + time`` for every row with ``event``; per-step
    labels give their positive steps.
    """
    if is_survival_target(y):
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != n_rows:
            raise ValueError(f"y has {len(y)} rows but the surface has {n_rows}; they must match.")
        y = as_survival_target(y)
        steps = (np.arange(n_rows) + y["time"])[y["event"]]
        return np.unique(steps)
    labels = np.asarray(y)
    if labels.ndim != 1 or len(labels) != n_rows:
        raise ValueError(
            f"y must be 1-D with one label per row of the surface ({n_rows}), got shape "
            f"{labels.shape}."
        )
    if labels.dtype != bool and not np.isin(labels, [0, 1]).all():
        raise ValueError(
            "per-step labels must be 0/1 or booleans (pass y == <event label>), or pass a "
            "structured (event, time) target."
        )
    return np.flatnonzero(labels.astype(bool)).astype(np.float64)


class SurfaceDisplay:
    """Heatmap of the event surface ``p(t, dt)`` of one series, its events marked.

    The x axis is the step ``t`` of the series (0-based row position), the y
    axis the horizon ``dt = 1 .. K``; colour is the predicted probability of an
    event within ``dt`` steps of ``t``. Events are vertical lines at their steps.

    Parameters
    ----------
    surface : ndarray of shape (n_steps, K)
        The surface rows of the series, in time order.
    event_steps : array-like of float, optional
        Steps (0-based, in the series) where events happen; those outside the
        series' rows are kept here but not drawn.
    series : object, optional
        The series id, shown in the title.
    estimator_name : str, optional
        Shown in the title.

    Attributes
    ----------
    image_ : matplotlib.image.AxesImage
        The heatmap; ``image_.get_array()`` is ``surface.T``.
    colorbar_ : matplotlib.colorbar.Colorbar or None
    events_ : matplotlib.collections.LineCollection or None
        The event lines (None when no event lies inside the series).
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure

    Examples
    --------
    >>> from sktime_hepa.plotting import SurfaceDisplay
    >>> disp = SurfaceDisplay.from_estimator(model, X, y, series=3)  # doctest: +SKIP
    >>> disp.figure_.savefig("surface.png")  # doctest: +SKIP
    """

    def __init__(self, surface, *, event_steps=None, series=None, estimator_name=None):
        self.surface = surface
        self.event_steps = event_steps
        self.series = series
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, cmap="viridis", vmin=0.0, vmax=1.0, colorbar=True, event_kw=None):
        """Draw the heatmap and the event lines.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when None.
        cmap : str or Colormap, default="viridis"
        vmin, vmax : float, default=0.0, 1.0
            Colour range (probabilities).
        colorbar : bool, default=True
        event_kw : dict, optional
            Passed to ``ax.vlines`` for the event lines.

        Returns
        -------
        display : SurfaceDisplay
        """
        surface = _check_surface(self.surface)
        ax, fig = _axes(ax, f"{type(self).__name__}.plot")
        n, K = surface.shape
        self.image_ = ax.imshow(
            surface.T,
            origin="lower",
            aspect="auto",
            interpolation="nearest",
            extent=(-0.5, n - 0.5, 0.5, K + 0.5),
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
        )
        self.colorbar_ = (
            fig.colorbar(self.image_, ax=ax, label=f"p(event within {_DT} of t)")
            if colorbar
            else None
        )
        steps = np.asarray([] if self.event_steps is None else self.event_steps, dtype=float)
        inside = steps[(steps >= 0) & (steps <= n - 1)]
        self.events_ = None
        if inside.size:
            kw = {"colors": "red", "linestyles": "--", "linewidth": 1.5, "label": "event"}
            self.events_ = ax.vlines(inside, 0.5, K + 0.5, **{**kw, **(event_kw or {})})
            ax.legend(loc="upper left")
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_ylim(0.5, K + 0.5)
        ax.set_xlabel("t (step of the series)")
        ax.set_ylabel(f"{_DT} (steps ahead)")
        title = "event surface" if self.series is None else f"event surface of series {self.series}"
        ax.set_title(title if self.estimator_name is None else f"{self.estimator_name}: {title}")
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, series=None, name=None, ax=None, **kwargs):
        """Predict the surface of one series of X and plot it.

        Parameters
        ----------
        estimator : fitted estimator with ``predict_surface``, or a Pipeline ending in one
        X : DataFrame with a 2-level MultiIndex, 3-D ndarray, or one 2-D series
        y : structured (event, time) array or per-step 0/1 labels, shape (n_rows,), optional
            The target of every row of X; the events of the series are marked.
        series : object, optional
            The series id (first index level of a MultiIndex frame, position in
            a 3-D array); may be omitted when X holds one series.
        name : str, optional
            Title prefix; the estimator's class name when None.
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : SurfaceDisplay
        """
        what = f"{cls.__name__}.from_estimator"
        _pyplot(what)
        ids = series_ids(X)
        if series is None:
            available = pd.unique(ids)
            if len(available) != 1:
                raise ValueError(
                    f"{what}: X holds {len(available)} series; choose one with series=<id> "
                    f"(ids {_preview(available)})."
                )
            series = available[0]
        if y is not None and len(y) != len(ids):
            raise ValueError(f"y has {len(y)} rows but X has {len(ids)}; they must match.")
        X_series, _, mask = _select_series(X, [series], what)
        surface = _predict_surface(estimator, X_series)
        events = None if y is None else _event_steps(_take(y, mask), int(mask.sum()))
        name = type(estimator).__name__ if name is None else name
        display = cls(surface, event_steps=events, series=series, estimator_name=name)
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_predictions(cls, y_true, surface, *, series=None, name=None, ax=None, **kwargs):
        """Plot a surface already predicted for one series.

        Parameters
        ----------
        y_true : structured (event, time) array or per-step 0/1 labels, or None
            The target of the series' rows (None: no events marked).
        surface : array-like of shape (n_steps, K)
            The surface rows of the series, in time order.
        series : object, optional
            Shown in the title.
        name : str, optional
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : SurfaceDisplay
        """
        _pyplot(f"{cls.__name__}.from_predictions")
        surface = _check_surface(surface)
        events = None if y_true is None else _event_steps(y_true, surface.shape[0])
        display = cls(surface, event_steps=events, series=series, estimator_name=name)
        return display.plot(ax=ax, **kwargs)


# ---------------------------------------------------------------------------
# HorizonAUROCDisplay
# ---------------------------------------------------------------------------


class HorizonAUROCDisplay:
    """AUROC of each horizon ``dt`` for several models, one line per model.

    Each horizon is its own binary problem over its known cells
    (:func:`sktime_hepa.metrics.per_horizon_auroc`); degenerate horizons are NaN
    and leave a gap. The legend gives each model's h-AUROC (the mean of its line).

    Parameters
    ----------
    aurocs : dict of str to ndarray of shape (K,)
        Per-horizon AUROC of each model, horizons ``dt = 1 .. K``.

    Attributes
    ----------
    h_auroc : dict of str to float
        The mean over non-degenerate horizons of each line.
    lines_ : dict of str to matplotlib.lines.Line2D
        One line per model, in the order of ``aurocs``.
    chance_line_ : matplotlib.lines.Line2D or None
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure
    """

    def __init__(self, aurocs):
        self.aurocs = aurocs

    def plot(self, ax=None, *, chance_level=True, **kwargs):
        """Draw one line per model.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        chance_level : bool, default=True
            Draw the 0.5 chance level.
        **kwargs
            Passed to ``ax.plot`` for every model's line.

        Returns
        -------
        display : HorizonAUROCDisplay
        """
        aurocs = _check_mapping(self.aurocs, "aurocs")
        ax, fig = _axes(ax, f"{type(self).__name__}.plot")
        self.h_auroc, self.lines_ = {}, {}
        for name, values in aurocs.items():
            values = np.asarray(values, dtype=np.float64)
            if values.ndim != 1:
                raise ValueError(f"aurocs[{name!r}] must be 1-D, got shape {values.shape}.")
            h = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
            self.h_auroc[name] = h
            dt = np.arange(1, values.size + 1)
            (self.lines_[name],) = ax.plot(dt, values, label=f"{name} (h-AUROC {h:.3f})", **kwargs)
        self.chance_line_ = None
        if chance_level:
            self.chance_line_ = ax.axhline(0.5, color="grey", linestyle=":", label="chance")
        ax.set_xlabel(f"{_DT} (steps ahead)")
        ax.set_ylabel("AUROC")
        ax.set_title(f"AUROC per horizon {_DT}")
        ax.legend(loc="best")
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_estimator(cls, estimators, X, y, *, min_prevalence=0.001, ax=None, **kwargs):
        """Predict each model's surface on X and plot its per-horizon AUROC.

        Parameters
        ----------
        estimators : dict of str to fitted estimator
            Models with ``predict_surface`` (or Pipelines ending in one), by name.
        X : input of the models
        y : structured (event, time) array or per-step 0/1 labels, shape (n_rows,)
            Per-step labels are read per series of X.
        min_prevalence : float, default=0.001
            See :func:`sktime_hepa.metrics.per_horizon_auroc`.
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : HorizonAUROCDisplay
        """
        what = f"{cls.__name__}.from_estimator"
        _pyplot(what)
        estimators = _check_mapping(estimators, "estimators")
        y = _survival_target(y, series_ids(X), _n_rows(X), what)
        surfaces = {name: _predict_surface(est, X) for name, est in estimators.items()}
        return cls._from_surfaces(y, surfaces, min_prevalence, ax, kwargs)

    @classmethod
    def from_predictions(
        cls, y_true, surfaces, *, groups=None, min_prevalence=0.001, ax=None, **kwargs
    ):
        """Plot the per-horizon AUROC of surfaces already predicted.

        Parameters
        ----------
        y_true : structured (event, time) array or per-step 0/1 labels, shape (n_rows,)
        surfaces : dict of str to array-like of shape (n_rows, K)
            Each model's surface, by name (K may differ between models).
        groups : array-like of shape (n_rows,), optional
            Series id of each row, to read per-step labels per series (one
            series when None).
        min_prevalence : float, default=0.001
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : HorizonAUROCDisplay
        """
        what = f"{cls.__name__}.from_predictions"
        _pyplot(what)
        surfaces = _check_mapping(surfaces, "surfaces")
        y = _survival_target(y_true, groups, None, what)
        return cls._from_surfaces(y, surfaces, min_prevalence, ax, kwargs)

    @classmethod
    def _from_surfaces(cls, y, surfaces, min_prevalence, ax, kwargs):
        aurocs = {}
        for name, surface in surfaces.items():
            surface = _check_surface(surface)
            _check_rows(surface, len(y), f"the surface of {name!r}")
            aurocs[name] = per_horizon_auroc(y, surface, min_prevalence=min_prevalence)
        return cls(aurocs).plot(ax=ax, **kwargs)


# ---------------------------------------------------------------------------
# ReliabilityDisplay
# ---------------------------------------------------------------------------


class ReliabilityDisplay:
    """Reliability diagram per horizon: predicted probability against event frequency.

    For each chosen horizon ``dt``, the known cells of the surface column
    ``dt`` are put in ``n_bins`` equal-width probability bins (those of
    :func:`sktime_hepa.metrics.expected_calibration_error`); each non-empty bin
    is a point (mean predicted probability, observed event frequency). The
    legend gives each horizon's ECE, ``sum_b n_b / N * |freq_b - mean_b|`` over
    its known cells.

    Parameters
    ----------
    mean_predicted, observed, counts : dict of int to ndarray
        Per horizon: each non-empty bin's mean probability, event frequency and
        number of cells.
    ece : dict of int to float
        Per-horizon expected calibration error.
    estimator_name : str, optional
        Shown in the title.

    Attributes
    ----------
    lines_ : dict of int to matplotlib.lines.Line2D
        One line per horizon.
    reference_line_ : matplotlib.lines.Line2D or None
        The diagonal of perfect calibration.
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure
    """

    def __init__(self, mean_predicted, observed, counts, ece, *, estimator_name=None):
        self.mean_predicted = mean_predicted
        self.observed = observed
        self.counts = counts
        self.ece = ece
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, ref_line=True, **kwargs):
        """Draw one reliability curve per horizon.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        ref_line : bool, default=True
            Draw the diagonal of perfect calibration.
        **kwargs
            Passed to ``ax.plot`` for every curve.

        Returns
        -------
        display : ReliabilityDisplay
        """
        horizons = list(_check_mapping(self.mean_predicted, "mean_predicted"))
        for attr in ("observed", "counts", "ece"):
            if set(getattr(self, attr)) != set(horizons):
                raise ValueError(f"{attr} must have the same horizons as mean_predicted.")
        ax, fig = _axes(ax, f"{type(self).__name__}.plot")
        self.reference_line_ = None
        if ref_line:
            (self.reference_line_,) = ax.plot(
                [0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated"
            )
        self.lines_ = {}
        for h in horizons:
            label = f"{_DT} = {h} (ECE {self.ece[h]:.3f})"
            (self.lines_[h],) = ax.plot(
                self.mean_predicted[h],
                self.observed[h],
                **{"marker": "o", "label": label, **kwargs},
            )
        ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02))
        ax.set_xlabel(f"predicted p(event within {_DT})")
        ax.set_ylabel(f"observed frequency of an event within {_DT}")
        title = "reliability per horizon"
        ax.set_title(title if self.estimator_name is None else f"{self.estimator_name}: {title}")
        ax.legend(loc="upper left")
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_estimator(
        cls, estimator, X, y, *, horizons=None, n_bins=10, name=None, ax=None, **kwargs
    ):
        """Predict the surface on X and plot its reliability for chosen horizons.

        Parameters
        ----------
        estimator : fitted estimator with ``predict_surface``, or a Pipeline ending in one
        X : input of the estimator
        y : structured (event, time) array or per-step 0/1 labels, shape (n_rows,)
        horizons : list of int, optional
            Horizons ``dt`` in 1..K; up to four spread over 1..K when None.
        n_bins : int, default=10
        name : str, optional
            Title prefix; the estimator's class name when None.
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : ReliabilityDisplay
        """
        what = f"{cls.__name__}.from_estimator"
        _pyplot(what)
        y = _survival_target(y, series_ids(X), _n_rows(X), what)
        surface = _predict_surface(estimator, X)
        name = type(estimator).__name__ if name is None else name
        return cls._from_surface(y, surface, horizons, n_bins, name, ax, kwargs)

    @classmethod
    def from_predictions(
        cls, y_true, surface, *, horizons=None, n_bins=10, groups=None, name=None, ax=None, **kwargs
    ):
        """Plot the reliability of a surface already predicted.

        Parameters
        ----------
        y_true : structured (event, time) array or per-step 0/1 labels, shape (n_rows,)
        surface : array-like of shape (n_rows, K)
            Probabilities in [0, 1].
        horizons : list of int, optional
            Horizons ``dt`` in 1..K; up to four spread over 1..K when None.
        n_bins : int, default=10
        groups : array-like of shape (n_rows,), optional
            Series id of each row, to read per-step labels per series.
        name : str, optional
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : ReliabilityDisplay
        """
        what = f"{cls.__name__}.from_predictions"
        _pyplot(what)
        y = _survival_target(y_true, groups, None, what)
        return cls._from_surface(y, surface, horizons, n_bins, name, ax, kwargs)

    @classmethod
    def _from_surface(cls, y, surface, horizons, n_bins, name, ax, kwargs):
        if isinstance(n_bins, bool) or int(n_bins) != n_bins or n_bins < 1:
            raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}.")
        surface = _check_surface(surface, probabilities=True)
        _check_rows(surface, len(y), "the surface")
        horizons = _check_horizons(horizons, surface.shape[1])
        labels, known = horizon_labels(y, surface.shape[1])
        values = {"mean_predicted": {}, "observed": {}, "counts": {}, "ece": {}}
        for h in horizons:
            cells = known[:, h - 1]
            if not cells.any():
                raise ValueError(
                    f"horizon {h} has no known cell: every row is censored before {h} steps."
                )
            points = _binned_calibration(surface[cells, h - 1], labels[cells, h - 1], int(n_bins))
            for key, value in zip(values, points, strict=True):
                values[key][h] = value
        return cls(**values, estimator_name=name).plot(ax=ax, **kwargs)


# ---------------------------------------------------------------------------
# EmbeddingTrajectoryDisplay
# ---------------------------------------------------------------------------


class EmbeddingTrajectoryDisplay:
    """PCA trajectory of the embeddings ``h_t`` of chosen series over their life.

    The paper's Fig. 3b: the first two principal components of the embeddings
    of each series, one line per series coloured by the step ``t`` (or by the
    time to the event), an open circle at its first observation and a star at
    its last.

    Parameters
    ----------
    components : dict of object to ndarray of shape (n_steps, 2)
        The two principal components of each series' embeddings, in time order.
    color_values : dict of object to ndarray of shape (n_steps,), optional
        The value that colours each point (the step within the series when None).
    color_label : str, default="t (step of the series)"
        Label of the colour bar.
    explained_variance_ratio : array-like of shape (2,), optional
        Shown in the axis labels.

    Attributes
    ----------
    lines_ : dict of object to matplotlib.collections.LineCollection
        One line per series; its segments join consecutive points and its
        array holds the colour value of each segment's start.
    start_markers_, end_markers_ : matplotlib.collections.PathCollection
        The first and last points of every series.
    colorbar_ : matplotlib.colorbar.Colorbar or None
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure
    """

    def __init__(
        self,
        components,
        *,
        color_values=None,
        color_label="t (step of the series)",
        explained_variance_ratio=None,
    ):
        self.components = components
        self.color_values = color_values
        self.color_label = color_label
        self.explained_variance_ratio = explained_variance_ratio

    def plot(self, ax=None, *, cmap="viridis", colorbar=True, annotate=True, linewidth=2.0):
        """Draw one coloured line per series with its start and end marked.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        cmap : str or Colormap, default="viridis"
        colorbar : bool, default=True
        annotate : bool, default=True
            Write each series id beside its last point.
        linewidth : float, default=2.0

        Returns
        -------
        display : EmbeddingTrajectoryDisplay
        """
        components = _check_mapping(self.components, "components")
        ax, fig = _axes(ax, f"{type(self).__name__}.plot")
        from matplotlib.collections import LineCollection
        from matplotlib.colors import Normalize

        points, colors = {}, {}
        for s, comp in components.items():
            comp = np.asarray(comp, dtype=np.float64)
            if comp.ndim != 2 or comp.shape[1] != 2 or len(comp) == 0:
                raise ValueError(
                    f"components[{s!r}] must have shape (n_steps, 2), got {comp.shape}."
                )
            given = None if self.color_values is None else self.color_values.get(s)
            color = np.arange(len(comp), dtype=np.float64) if given is None else np.asarray(given)
            if color.shape != (len(comp),):
                raise ValueError(
                    f"color_values[{s!r}] has shape {color.shape}, expected ({len(comp)},)."
                )
            points[s], colors[s] = comp, color.astype(np.float64)
        every = np.concatenate(list(colors.values()))
        norm = Normalize(vmin=float(every.min()), vmax=float(every.max()))
        self.lines_ = {}
        for s, comp in points.items():
            # one segment per consecutive pair, coloured by the value at its start
            segments = np.stack([comp[:-1], comp[1:]], axis=1)
            line = LineCollection(segments, cmap=cmap, norm=norm, linewidth=linewidth)
            line.set_array(colors[s][:-1])
            self.lines_[s] = ax.add_collection(line)
            if annotate:
                ax.annotate(str(s), comp[-1], textcoords="offset points", xytext=(4, 4))
        starts = np.stack([comp[0] for comp in points.values()])
        ends = np.stack([comp[-1] for comp in points.values()])
        self.start_markers_ = ax.scatter(
            starts[:, 0],
            starts[:, 1],
            facecolors="none",
            edgecolors="black",
            s=60,
            label="first observation",
            zorder=3,
        )
        self.end_markers_ = ax.scatter(
            ends[:, 0],
            ends[:, 1],
            marker="*",
            color="black",
            s=120,
            label="last observation",
            zorder=3,
        )
        self.colorbar_ = None
        if colorbar:
            from matplotlib.cm import ScalarMappable

            mappable = ScalarMappable(norm=norm, cmap=cmap)
            self.colorbar_ = fig.colorbar(mappable, ax=ax, label=self.color_label)
        ax.autoscale_view()
        ratio = self.explained_variance_ratio
        for i, setter in enumerate((ax.set_xlabel, ax.set_ylabel)):
            share = "" if ratio is None else f" ({float(ratio[i]):.0%} of variance)"
            setter(f"PC{i + 1}{share}")
        ax.set_title("embedding trajectories")
        ax.legend(loc="best")
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_estimator(cls, encoder, X, *, series, y=None, color_by="time", ax=None, **kwargs):
        """Embed chosen series with a fitted encoder, project them by PCA and plot them.

        The PCA (two components, exact SVD) is fitted on the embeddings of the
        chosen series only.

        Parameters
        ----------
        encoder : fitted transformer
            Its ``transform(X)`` gives one embedding per row (e.g. a fitted
            ``HEPAPretrainer``; for a Pipeline pass ``pipeline[0]``).
        X : DataFrame with a 2-level MultiIndex, 3-D ndarray, or one 2-D series
        series : list of object
            Series ids (first index level of a MultiIndex frame, positions in a
            3-D array), one line each.
        y : structured (event, time) array or per-step 0/1 labels, shape (n_rows,), optional
            Needed for ``color_by="time_to_event"``.
        color_by : {"time", "time_to_event"}, default="time"
            Colour by the step within the series, or by ``y["time"]`` (steps to
            the event, or to the end of observation for a censored row).
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : EmbeddingTrajectoryDisplay
        """
        what = f"{cls.__name__}.from_estimator"
        _pyplot(what)
        if color_by not in ("time", "time_to_event"):
            raise ValueError(f"color_by must be 'time' or 'time_to_event', got {color_by!r}.")
        if color_by == "time_to_event" and y is None:
            raise ValueError("color_by='time_to_event' needs y.")
        if not hasattr(encoder, "transform"):
            raise ValueError(
                f"{type(encoder).__name__} has no transform method; pass the fitted encoder "
                "(e.g. a HEPAPretrainer, or pipeline[0] of a Pipeline)."
            )
        series = [series] if np.isscalar(series) else list(series)
        if not series:
            raise ValueError(f"{what}: series is empty; pass at least one series id.")
        ids = series_ids(X)
        target = None
        if y is not None:
            target = _survival_target(y, ids, len(ids), what)
        X_sub, ids_sub, mask = _select_series(X, series, what)
        H = np.asarray(encoder.transform(X_sub), dtype=np.float64)
        if H.ndim != 2 or len(H) != len(ids_sub):
            raise ValueError(
                f"{type(encoder).__name__}.transform returned shape {H.shape}; expected one "
                f"embedding per row ({len(ids_sub)} rows)."
            )
        embeddings = {s: H[ids_sub == s] for s in series}
        colors = None
        if color_by == "time_to_event":
            times = target["time"][mask]
            colors = {s: times[ids[mask] == s] for s in series}
        label = "steps to the event (or censoring)" if color_by == "time_to_event" else None
        return cls.from_embeddings(
            embeddings, color_values=colors, color_label=label, ax=ax, **kwargs
        )

    @classmethod
    def from_embeddings(cls, embeddings, *, color_values=None, color_label=None, ax=None, **kwargs):
        """Project embeddings already computed by PCA and plot their trajectories.

        Parameters
        ----------
        embeddings : dict of object to array-like of shape (n_steps, d)
            The embeddings of each series, in time order (d >= 2).
        color_values : dict of object to array-like of shape (n_steps,), optional
            The colour value of each point; the step within the series when None.
        color_label : str, optional
            Label of the colour bar.
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : EmbeddingTrajectoryDisplay
            Its ``pca_`` is the fitted ``sklearn.decomposition.PCA``.
        """
        _pyplot(f"{cls.__name__}.from_embeddings")
        from sklearn.decomposition import PCA

        embeddings = _check_mapping(embeddings, "embeddings")
        arrays = {}
        for s, H in embeddings.items():
            H = np.asarray(H, dtype=np.float64)
            if H.ndim != 2 or len(H) == 0:
                raise ValueError(f"embeddings[{s!r}] must have shape (n_steps, d), got {H.shape}.")
            arrays[s] = H
        widths = {H.shape[1] for H in arrays.values()}
        if len(widths) != 1 or min(widths) < 2:
            raise ValueError(
                f"every series' embeddings must have the same width d >= 2, got {sorted(widths)}."
            )
        stacked = np.concatenate(list(arrays.values()))
        if len(stacked) < 2 or not np.isfinite(stacked).all():
            raise ValueError("PCA needs at least two finite embeddings.")
        if color_values is not None:
            color_values = _check_mapping(color_values, "color_values")
            if set(color_values) != set(arrays):
                raise ValueError("color_values must have the same series as embeddings.")
        pca = PCA(n_components=2, svd_solver="full").fit(stacked)
        components = {s: pca.transform(H) for s, H in arrays.items()}
        display = cls(
            components,
            color_values=color_values,
            color_label="t (step of the series)" if color_label is None else color_label,
            explained_variance_ratio=pca.explained_variance_ratio_,
        )
        display.pca_ = pca
        return display.plot(ax=ax, **kwargs)


# ---------------------------------------------------------------------------
# LabelEfficiencyDisplay
# ---------------------------------------------------------------------------

_RECORD_FIELDS = ("dataset", "method", "label_fraction", "seed")


def _load_records(records) -> list[dict]:
    if isinstance(records, str | Path):
        path = Path(records)
        if not path.is_file():
            raise ValueError(f"records file {str(path)!r} does not exist.")
        lines = path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    return list(records)


def _seed_stats(values: np.ndarray):
    """Mean, sample std (ddof=1; 0 for one seed) and count of the finite values per row."""
    means, stds, counts = [], [], []
    for row in values:
        row = row[np.isfinite(row)]
        means.append(row.mean() if row.size else np.nan)
        stds.append(row.std(ddof=1) if row.size > 1 else 0.0)
        counts.append(row.size)
    return np.asarray(means), np.asarray(stds), np.asarray(counts)


class LabelEfficiencyDisplay:
    """h-AUROC against the fraction of labelled data, one line per method.

    Points are the mean over seeds, error bars the sample standard deviation
    over seeds (``ddof=1``, as in docs/benchmarks.md; 0 with one seed). The x
    axis is logarithmic.

    Parameters
    ----------
    label_fractions, means, stds, counts : dict of str to ndarray
        Per method: the label fractions, the mean and std of the metric over
        seeds at each, and the number of seeds.
    metric : str, default="h_auroc"
        Name of the metric (the y label).
    dataset : str, optional
        Shown in the title.

    Attributes
    ----------
    errorbars_ : dict of str to matplotlib.container.ErrorbarContainer
        One per method.
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure
    """

    def __init__(self, label_fractions, means, stds, counts, *, metric="h_auroc", dataset=None):
        self.label_fractions = label_fractions
        self.means = means
        self.stds = stds
        self.counts = counts
        self.metric = metric
        self.dataset = dataset

    def plot(self, ax=None, *, capsize=3, **kwargs):
        """Draw one line with error bars per method.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        capsize : float, default=3
        **kwargs
            Passed to ``ax.errorbar`` for every method.

        Returns
        -------
        display : LabelEfficiencyDisplay
        """
        methods = list(_check_mapping(self.label_fractions, "label_fractions"))
        for attr in ("means", "stds", "counts"):
            if set(getattr(self, attr)) != set(methods):
                raise ValueError(f"{attr} must have the same methods as label_fractions.")
        ax, fig = _axes(ax, f"{type(self).__name__}.plot")
        self.errorbars_ = {}
        ticks = set()
        for m in methods:
            x = np.asarray(self.label_fractions[m], dtype=np.float64)
            y, err = np.asarray(self.means[m]), np.asarray(self.stds[m])
            if not (x.shape == y.shape == err.shape) or x.ndim != 1:
                raise ValueError(f"the label fractions, means and stds of {m!r} differ in length.")
            if (x <= 0).any():
                raise ValueError(f"label fractions must be > 0 (log axis), got {x.tolist()}.")
            self.errorbars_[m] = ax.errorbar(
                x, y, yerr=err, **{"marker": "o", "capsize": capsize, "label": m, **kwargs}
            )
            ticks.update(x.tolist())
        ax.set_xscale("log")
        ticks = sorted(ticks)
        ax.set_xticks(ticks, [f"{t:.0%}" if t >= 0.01 else f"{t:.1%}" for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel("fraction of labelled data (log scale)")
        metric = {"h_auroc": "h-AUROC"}.get(self.metric, self.metric)
        ax.set_ylabel(f"{metric} (mean \u00b1 std over seeds)")
        title = "label efficiency"
        ax.set_title(title if self.dataset is None else f"{title}: {self.dataset}")
        ax.legend(loc="best")
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_records(
        cls, records, *, dataset=None, methods=None, metric="h_auroc", ax=None, **kwargs
    ):
        """Plot label efficiency from benchmark records.

        Parameters
        ----------
        records : str or Path, or iterable of dict
            A jsonl file such as ``benchmarks/results/benchmark.jsonl``, or its
            records: dicts with ``dataset``, ``method``, ``label_fraction``,
            ``seed`` and ``metric``. As in ``benchmarks/report.py``, a later
            record of the same (dataset, method, label fraction, seed) replaces
            an earlier one, and missing (None or NaN) values are skipped.
        dataset : str, optional
            The dataset to plot; may be omitted when the records hold one.
        methods : list of str, optional
            Methods to plot, in this order; all with records when None.
        metric : str, default="h_auroc"
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : LabelEfficiencyDisplay
        """
        what = f"{cls.__name__}.from_records"
        _pyplot(what)
        records = _load_records(records)
        if not records:
            raise ValueError(f"{what}: records is empty.")
        for i, r in enumerate(records):
            if not isinstance(r, Mapping):
                raise ValueError(f"record {i} is not a dict: {r!r}.")
            missing = [f for f in (*_RECORD_FIELDS, metric) if f not in r]
            if missing:
                raise ValueError(f"record {i} lacks the field(s) {missing}.")
        datasets = list(dict.fromkeys(r["dataset"] for r in records))
        if dataset is None:
            if len(datasets) != 1:
                raise ValueError(
                    f"{what}: the records hold {len(datasets)} datasets {datasets}; choose one "
                    "with dataset=<name>."
                )
            dataset = datasets[0]
        elif dataset not in datasets:
            raise ValueError(f"dataset {dataset!r} has no record; the records hold {datasets}.")
        latest = {}
        for r in records:  # later records of the same run replace earlier ones
            if r["dataset"] == dataset:
                latest[(r["method"], float(r["label_fraction"]), r["seed"])] = r[metric]
        available = list(dict.fromkeys(m for m, _, _ in latest))
        if methods is None:
            methods = available
        else:
            methods = list(methods)
            unknown = [m for m in methods if m not in available]
            if unknown or not methods:
                raise ValueError(
                    f"methods {unknown or methods} have no {dataset!r} record; available: "
                    f"{available}."
                )
        fractions, means, stds, counts = {}, {}, {}, {}
        for m in methods:
            values = {}
            for (mm, f, _), v in latest.items():
                if mm == m and v is not None and np.isfinite(float(v)):
                    values.setdefault(f, []).append(float(v))
            if not values:
                raise ValueError(f"method {m!r} has no finite {metric} on {dataset!r}.")
            fs = sorted(values)
            width = max(len(v) for v in values.values())
            table = np.full((len(fs), width), np.nan)
            for i, f in enumerate(fs):
                table[i, : len(values[f])] = values[f]
            fractions[m] = np.asarray(fs)
            means[m], stds[m], counts[m] = _seed_stats(table)
        display = cls(fractions, means, stds, counts, metric=metric, dataset=dataset)
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_values(
        cls, label_fractions, scores, *, metric="h_auroc", dataset=None, ax=None, **kwargs
    ):
        """Plot label efficiency from scores per label fraction and seed.

        Parameters
        ----------
        label_fractions : array-like of float, shape (n_fractions,)
            Fractions of labelled data, in (0, 1].
        scores : dict of str to array-like of shape (n_fractions,) or (n_fractions, n_seeds)
            Each method's metric at each fraction, one column per seed; NaN for
            a missing seed.
        metric : str, default="h_auroc"
        dataset : str, optional
        ax : matplotlib Axes, optional
        **kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : LabelEfficiencyDisplay
        """
        _pyplot(f"{cls.__name__}.from_values")
        x = np.asarray(label_fractions, dtype=np.float64)
        if x.ndim != 1 or x.size == 0:
            raise ValueError(f"label_fractions must be a non-empty 1-D array, got shape {x.shape}.")
        if (x <= 0).any() or (x > 1).any():
            raise ValueError(f"label fractions must be in (0, 1], got {x.tolist()}.")
        scores = _check_mapping(scores, "scores")
        fractions, means, stds, counts = {}, {}, {}, {}
        for m, values in scores.items():
            values = np.asarray(values, dtype=np.float64)
            values = values[:, None] if values.ndim == 1 else values
            if values.ndim != 2 or values.shape[0] != x.size:
                raise ValueError(
                    f"scores[{m!r}] has shape {np.shape(scores[m])}, expected ({x.size},) or "
                    f"({x.size}, n_seeds): one row per label fraction."
                )
            fractions[m] = x
            means[m], stds[m], counts[m] = _seed_stats(values)
        display = cls(fractions, means, stds, counts, metric=metric, dataset=dataset)
        return display.plot(ax=ax, **kwargs)
