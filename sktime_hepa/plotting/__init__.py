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
The package imports without it, and ``import sktime_hepa`` never imports it;
every ``plot`` and ``from_*`` raises an ImportError that says how to install it.

``y`` follows the package's target contract (:mod:`sktime_hepa.targets`): a
structured ``(event, time)`` array, or per-step 0/1 labels, read per series.
"""

from .embedding_trajectory import EmbeddingTrajectoryDisplay
from .horizon_auroc import HorizonAUROCDisplay
from .label_efficiency import LabelEfficiencyDisplay
from .reliability import ReliabilityDisplay
from .surface import SurfaceDisplay

__all__ = [
    "SurfaceDisplay",
    "HorizonAUROCDisplay",
    "ReliabilityDisplay",
    "EmbeddingTrajectoryDisplay",
    "LabelEfficiencyDisplay",
]
