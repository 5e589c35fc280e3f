"""EmbeddingTrajectoryDisplay: the PCA trajectory of chosen series' embeddings (Fig. 3b)."""

from __future__ import annotations

import numpy as np

from ..panel import series_ids
from ._base import _axes, _check_mapping, _pyplot, _select_series, _survival_target

__all__ = ["EmbeddingTrajectoryDisplay"]


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
