"""HorizonAUROCDisplay: the per-horizon AUROC of several models."""

from __future__ import annotations

import numpy as np

from ..metrics import _check_surface, _predict_surface, per_horizon_auroc
from ..panel import series_ids
from ._base import _DT, _axes, _check_mapping, _check_rows, _n_rows, _pyplot, _survival_target

__all__ = ["HorizonAUROCDisplay"]


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
