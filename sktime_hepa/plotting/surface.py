"""SurfaceDisplay: the surface p(t, dt) of one series as a heatmap, its event steps marked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics import _check_surface, _predict_surface
from ..panel import series_ids
from ._base import _DT, _axes, _event_steps, _preview, _pyplot, _select_series, _take

__all__ = ["SurfaceDisplay"]


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
