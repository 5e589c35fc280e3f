"""ReliabilityDisplay: reliability diagrams at chosen horizons, with each horizon's ECE."""

from __future__ import annotations

from ..metrics import _check_surface, _predict_surface
from ..panel import series_ids
from ..targets import horizon_labels
from ._base import (
    _DT,
    _axes,
    _binned_calibration,
    _check_horizons,
    _check_mapping,
    _check_rows,
    _n_rows,
    _pyplot,
    _survival_target,
)

__all__ = ["ReliabilityDisplay"]


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
