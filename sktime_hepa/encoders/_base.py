"""The encoder slot: what every encoder estimator shares, and the two ways to fit one.

An *encoder estimator* is a scikit-learn transformer whose fitted ``net_``
holds a torch module mapping ``(context, context_mask)`` to ``h_t`` of shape
``(B, d_model)``. It owns its input scaling, so downstream code reads rows
through :meth:`EncoderTransformer.to_rows` and never touches its internals.
A new encoder is one ``nn.Module`` plus a thin subclass of
:class:`SelfSupervisedEncoder` (``_build_module``, ``_criterion``) or of
:class:`SupervisedEncoder` (``_backbone``); see docs/design.md.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import ClassifierTags
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .._atomic import fit_atomically
from .._inference import embed_rows
from .._rows import EMBEDDING_PREFIXES, HEPAEmbeddings, PanelRows, PretrainWindows, pretrain_collate
from .._split import split_segments
from .._torch_estimator import TorchEstimatorMixin
from .._training import (
    NetworkRecipe,
    Stage,
    TrainingSettings,
    fit_event_net,
    fit_net,
    fit_seed,
    resolve_device,
)
from ..diagnostics import COLLAPSE_COSINE, CollapseWarning, embedding_stats, is_collapsed
from ..nn.dt_mlp_head import DtMLPHead
from ..nn.encoder import HEPAEncoder
from ..nn.hepa import EventModule
from ..nn.losses import SurvivalBCELoss
from ..panel import Panel, as_panel, fit_channel_scaling
from ..targets import survival_cells, validate_event_target

__all__ = [
    "EncoderTransformer",
    "HEPAEmbeddings",
    "SelfSupervisedEncoder",
    "SupervisedEncoder",
    "SIZE_CONSTRAINTS",
    "check_rows",
    "check_batch_size",
]

#: Constraints of the Transformer size parameters every encoder has.
SIZE_CONSTRAINTS = {
    "d_model": [Interval(Integral, 2, None, closed="left")],
    "n_layers": [Interval(Integral, 1, None, closed="left")],
    "n_heads": [Interval(Integral, 1, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left")],
}


def check_rows(rows, n_rows: int) -> np.ndarray:
    """Row numbers as int64, each in [0, n_rows); ValueError otherwise."""
    rows = np.asarray(rows)
    if rows.ndim != 1 or (rows.size and not np.issubdtype(rows.dtype, np.integer)):
        raise ValueError(f"rows must be a 1-D array of row numbers, got {rows.dtype} {rows.shape}.")
    if rows.size and (rows.min() < 0 or rows.max() >= n_rows):
        raise ValueError(f"rows must lie in [0, {n_rows}) (X has {n_rows} rows).")
    return rows.astype(np.int64)


def check_batch_size(batch_size) -> int:
    """A positive int chunk size for inference methods; ValueError otherwise."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return int(batch_size)


def check_heads(estimator) -> None:
    """``d_model`` must split evenly over the attention heads (estimators without heads pass)."""
    if getattr(estimator, "n_heads", None) and estimator.d_model % estimator.n_heads:
        raise ValueError(
            f"d_model={estimator.d_model} must be divisible by n_heads={estimator.n_heads}."
        )


def causal_patch_encoder(estimator, n_channels: int) -> HEPAEncoder:
    """HEPA's causal patch Transformer sized by an estimator's parameters (HEPA, MAE)."""
    return HEPAEncoder(
        n_channels=n_channels,
        d_model=estimator.d_model,
        n_layers=estimator.n_layers,
        n_heads=estimator.n_heads,
        patch_size=estimator.patch_size,
        dropout=estimator.dropout,
        normalization=estimator.normalization,
    )


def count_parameters(module) -> int:
    return sum(p.numel() for p in module.parameters())


class EncoderTransformer(TorchEstimatorMixin, TransformerMixin, BaseEstimator):
    """Shared scaling, ``to_rows`` and ``transform`` of every encoder estimator.

    A fitted subclass holds ``net_`` whose ``module_.encoder`` maps
    ``(context, context_mask)`` to ``(B, d_model)``, the per-channel z-score
    ``mean_``/``scale_``, ``context_length`` and ``patch_size`` (contexts are
    left-padded to a multiple of it).

    The shared training settings (``missing``, ``lr``, ...) belong to
    :class:`~sktime_hepa._torch_estimator.TorchEstimatorMixin`.
    Missing values follow the estimator's ``missing`` parameter: "error"
    refuses X with NaN; "mask" leaves NaN out of the scaling
    (``fit_channel_scaling``) and masks each step whose channels are all NaN
    out of every context (``context_mask`` False, value 0, as padding); a NaN
    cell of a partly observed step reads 0, the channel's training mean.
    Without NaN both settings give the same numbers.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # frames with these column names are embeddings (set_output="pandas")
        EMBEDDING_PREFIXES.add(cls._feature_prefix())

    def _scaled_training_panel(self, X) -> Panel:
        """Read the training X (setting the input features) and fit the scaling.

        Under a warm start X is checked against the fitted sensors and scaled
        with the fitted scaling, which the network was trained on.
        """
        if self._warm():
            return as_panel(X, estimator=self, reset=False).scaled(self.mean_, self.scale_)
        panel = as_panel(X, estimator=self, reset=True)
        self.mean_, self.scale_ = fit_channel_scaling(
            panel.series, names=getattr(self, "feature_names_in_", None)
        )
        return panel.scaled(self.mean_, self.scale_)

    def _training_rows(self, panel: Panel) -> PanelRows:
        return PanelRows(panel, context_length=self.context_length, patch_size=self.patch_size)

    # -- the encoder slot ---------------------------------------------------------
    @property
    def encoder_module_(self):
        """The fitted torch module mapping ``(context, context_mask)`` to ``h_t``."""
        check_is_fitted(self)
        return self.net_.module_.encoder

    def to_rows(self, X) -> PanelRows:
        """X validated against the fit, scaled, as a row source for downstream networks.

        Parameters
        ----------
        X : same formats as in ``fit``, with the same sensors

        Returns
        -------
        PanelRows

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            X as :func:`~sktime_hepa.panel.as_panel` refuses it against the fit
            (see its Raises).
        TypeError
            X has a column of objects that are not numbers (see ``as_panel``).
        """
        check_is_fitted(self)
        return self.panel_rows(as_panel(X, estimator=self, reset=False))

    def panel_rows(self, panel: Panel) -> PanelRows:
        """A panel already read (and checked against this encoder's sensors), scaled.

        For a downstream estimator that has validated X itself, so that X is
        read once.

        Parameters
        ----------
        panel : Panel
            From :func:`~sktime_hepa.panel.as_panel` with ``reset=False``,
            against this encoder or an estimator fitted on the same sensors.
            Only its number of channels is checked again here: read X through
            :meth:`to_rows` otherwise.

        Returns
        -------
        PanelRows

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            The panel has another number of channels than the encoder's sensors.
        """
        check_is_fitted(self)
        if not isinstance(panel, Panel) or panel.n_channels != len(self.mean_):
            got = panel.n_channels if isinstance(panel, Panel) else type(panel).__name__
            raise ValueError(
                f"panel must be a Panel of the encoder's {len(self.mean_)} sensors "
                f"(as_panel(X, estimator=..., reset=False)), got {got}."
            )
        return PanelRows(
            panel.scaled(self.mean_, self.scale_),
            context_length=self.context_length,
            patch_size=self.patch_size,
        )

    def transform(self, X):
        """Summary embedding ``h_t`` of every row.

        Parameters
        ----------
        X : same formats as in ``fit``, with the same sensors

        Returns
        -------
        H : HEPAEmbeddings (an ndarray subclass) of float32, shape (n_rows, d_model)

        Raises
        ------
        NotFittedError, ValueError, TypeError
            Before ``fit``, or X refused as in :meth:`to_rows`.
        """
        return self.transform_rows(X, None)

    def transform_rows(self, X, rows=None, *, batch_size=512):
        """Embeddings of selected rows only; their contexts still reach back into X.

        Scoring every s-th step of a long stream, or only the labelled rows of
        a label budget, costs in proportion to the rows asked for.

        Parameters
        ----------
        X : same formats as in ``fit``
        rows : array-like of int, optional
            Row numbers into X (all rows when None).
        batch_size : int, default=512
            Rows per chunk; memory beyond the output scales with it.

        Returns
        -------
        H : HEPAEmbeddings of float32, shape (n_selected, d_model)
            ``H.groups`` holds the series index of each selected row.

        Raises
        ------
        NotFittedError, ValueError, TypeError
            Before ``fit``, or X refused as in :meth:`to_rows`.
        ValueError
            ``rows`` not a 1-D array of integers in ``[0, n_rows)``;
            ``batch_size`` not a positive integer (checked first, even before
            ``fit``).
        """
        batch_size = check_batch_size(batch_size)
        source = self.to_rows(X)
        rows = np.arange(source.n_rows) if rows is None else check_rows(rows, source.n_rows)
        H = embed_rows(
            self.encoder_module_,
            source,
            rows,
            batch_size=batch_size,
            progress=self.verbose >= 2,  # a bar over the chunks on long calls
        )
        H = H.view(HEPAEmbeddings)
        H.groups = source.groups[rows]
        return H

    def get_feature_names_out(self, input_features=None):
        """Names ``<method>0 .. <method>{width-1}`` of the embedding columns (e.g. hepa0)."""
        check_is_fitted(self)
        width = self.encoder_module_.d_model
        return np.asarray([f"{self._feature_prefix()}{i}" for i in range(width)], dtype=object)

    @classmethod
    def _feature_prefix(cls) -> str:
        return cls.__name__.lower().replace("pretrainer", "").replace("encoder", "")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.non_deterministic = False
        tags.input_tags.allow_nan = getattr(self, "missing", "error") == "mask"
        return tags


class SelfSupervisedEncoder(EncoderTransformer):
    """Fit of the self-supervised patch-encoder pretrainers (no labels).

    Subclasses define ``__init__`` (sklearn reads parameters from its
    signature), ``_build_module(n_channels)`` returning a module with an
    ``encoder`` attribute, ``_criterion()``, ``_part_names`` (loss parts for
    the history), ``_max_horizon`` (largest future window a sample needs; 1
    when none) and optionally ``_stage_callbacks()``.
    """

    _part_names: tuple = ()
    #: The future paired with each context (``pretrain_collate``'s ``target``).
    _target = "interval"
    #: What the collapse warning suggests (HEPA names its own objective's levers).
    _collapse_advice = (
        "Try a lower lr, a larger model or more epochs, and read history_ for the "
        "epoch where the training loss stopped moving."
    )

    @fit_atomically
    def fit(self, X, y=None):
        """Pretrain on unlabeled series.

        Parameters
        ----------
        X : DataFrame with a (series, time) MultiIndex, 2-D array (one series)
            or 3-D array (n_series, n_channels, n_timepoints)
            At least one series needs two or more steps.
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        ValueError
            A parameter outside its constraints (sklearn's
            ``InvalidParameterError``) or a relation between parameters that an
            encoder refuses (``d_model`` not divisible by ``n_heads``, ...); an
            unknown or unavailable ``device``; an ``accelerator`` with
            ``precision`` other than "float32" or another ``device``; a
            ``callbacks`` entry that is not a skorch callback.
        ValueError
            X refused by :func:`~sktime_hepa.panel.as_panel` (see its Raises);
            a sensor whose mean or std is not finite in float32, or whose values
            would overflow float32 once scaled.
        ValueError
            No series of X has two or more steps, or (``max_epochs`` > 0) none
            is left for training after ``validation_fraction`` is held out.
        TypeError
            X has a column of objects that are not numbers (see ``as_panel``).
        """
        self._validate_params()
        check_heads(self)
        device, seed = resolve_device(self.device), fit_seed(self.random_state)
        panel = self._scaled_training_panel(X)
        rows = self._training_rows(panel)
        train_ds, valid_ds = self._pretraining_windows(panel, seed)
        recipe = self.network_recipe(series=panel.series, context_length=rows.context_length)
        self.net_ = fit_net(
            self._network_builder(recipe.build),
            recipe.criterion,
            train_ds,
            valid_ds,
            TrainingSettings.from_estimator(self, device=device, seed=seed),
            recipe.stage,
        )
        self.history_ = self.net_.history
        self.collapse_stats_ = self._check_collapse(rows, seed)
        self._after_pretraining(rows, valid_ds.segments if valid_ds else train_ds.segments, seed)
        return self

    def network_recipe(self, *, series=None, context_length=None) -> NetworkRecipe:
        """The pretraining network of the fitted sensors, its loss and its stage.

        Parameters
        ----------
        series : list of ndarray, optional
            The scaled training series the stage cuts batches from; None for a
            recipe without data (rebuilding a fitted network).
        context_length : int, optional
            The resolved context length of the batches (with ``series``).

        Returns
        -------
        recipe : NetworkRecipe
        """
        n_channels = len(self.mean_)  # the fitted scaling knows the sensors
        return NetworkRecipe(
            build=lambda: self._build_module(n_channels),
            criterion=self._criterion(),
            stage=self._stage(context_length, series),
        )

    def _stage(self, context_length: int, series=None) -> Stage:
        """The pretraining stage: its batches, loss parts and callbacks (``series``: the data)."""
        collate = None
        if series is not None:
            collate = pretrain_collate(
                series,
                context_length=context_length,
                patch_size=self.patch_size,
                futures=self._max_horizon > 1,
                target=self._target,
            )
        return Stage(
            collate=collate, part_names=self._part_names, callbacks=self._stage_callbacks()
        )

    def _after_pretraining(self, source: PanelRows, segments, seed: int) -> None:
        """Hook for fitted state derived from the pretrained module (a detector's threshold).

        ``segments`` are the held-out validation segments ``(series, lo, hi)``,
        or the training ones when nothing was held out.
        """

    def _pretraining_windows(self, panel: Panel, seed: int):
        """Training and validation (series, t, dt) samples; validation None when empty."""
        if panel.lengths.max() < 2:
            raise ValueError(
                f"X has {panel.n_rows} sample(s) and no series with 2 or more steps: "
                "pretraining needs at least one step after an observation time."
            )
        train, valid = split_segments(panel.lengths, self.validation_fraction, seed)
        windows = dict(stride=self.stride, max_horizon=self._max_horizon)
        if panel.has_missing:  # missing="mask": no JEPA target window without an observation
            windows["observed"] = panel.observed_steps()
        train_ds = PretrainWindows(train, random=True, seed=seed, **windows)
        valid_ds = PretrainWindows(valid, random=False, seed=seed + 1, **windows)
        if not len(train_ds) and self.max_epochs:
            raise ValueError(
                "the series left for training after holding out validation_fraction="
                f"{self.validation_fraction} of them have no step after an observation time "
                "(all are 1 step long); lower validation_fraction, or set it to 0 to train "
                "on all series without early stopping."
            )
        return train_ds, valid_ds if len(valid_ds) else None

    def _stage_callbacks(self) -> list:
        """Named skorch callbacks of this pretraining objective."""
        return []

    def _check_collapse(self, source: PanelRows, seed: int) -> dict:
        """Spread of the fitted encoder's ``h_t`` on up to 1024 training rows; warn if collapsed."""
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(source.n_rows, min(1024, source.n_rows), replace=False))
        H = embed_rows(self.net_.module_.encoder, source, rows)
        stats = embedding_stats(H)
        if is_collapsed(stats):
            warnings.warn(
                f"{type(self).__name__} embeddings are collapsed: the median cosine between a "
                f"row's h_t and the mean h_t is {stats['cos']:.4f} (collapse above "
                f"{COLLAPSE_COSINE}) and their effective rank is {stats['rank']:.2f} of "
                f"{H.shape[1]}. Every row maps to nearly the same vector, so a head on them "
                f"learns little more than the base rate. {self._collapse_advice}",
                CollapseWarning,
                stacklevel=4,  # _check_collapse <- fit <- fit_atomically <- the caller
            )
        return stats


class SupervisedEncoder(EncoderTransformer):
    """Fit an encoder end to end on the event task, then serve it frozen.

    The encoder and a dt-MLP head are trained together with HEPA's
    positive-weighted survival BCE on the labels of ``fit``; ``transform``
    returns the encoder's representation (the head is only a training aid).
    Subclasses define ``__init__`` and ``_backbone(n_channels)``.
    """

    @fit_atomically
    def fit(self, X, y=None):
        """Train encoder and head on labelled series.

        Parameters
        ----------
        X : DataFrame with a (series, time) MultiIndex, 2-D array (one series)
            or 3-D array (n_series, n_channels, n_timepoints)
        y : structured array with fields ``event`` and ``time`` (one per row),
            or 1-D binary per-step event labels
            Required; the default None only lets ``fit(X)`` (and a Pipeline's
            ``fit_transform(X)``) raise a clear ValueError instead of a TypeError.
            Read by position; a pandas y must be in the row order of X.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            A parameter outside its constraints (sklearn's
            ``InvalidParameterError``) or a relation between parameters that an
            encoder refuses (``d_model`` not divisible by ``n_heads``, ...); an
            unknown or unavailable ``device``; an ``accelerator`` with
            ``precision`` other than "float32" or another ``device``; a
            ``callbacks`` entry that is not a skorch callback.
        ValueError
            X refused by :func:`~sktime_hepa.panel.as_panel` (see its Raises);
            a sensor whose mean or std is not finite in float32, or whose values
            would overflow float32 once scaled.
        ValueError
            y missing (None), not binary per-step labels (one class, more than
            two, continuous), or a structured y with events other than 0/1 or
            times NaN, infinite or negative; not one per row of X; a pandas y
            holding X's rows in another order; no known cell, or no positive or
            no negative known cell, at horizons ``1..horizons``; no labelled row
            left for training after the validation split.
        TypeError
            X has a column of objects that are not numbers (see ``as_panel``).
        """
        self._validate_params()
        check_heads(self)
        device, seed = resolve_device(self.device), fit_seed(self.random_state)
        panel = self._scaled_training_panel(X)
        y, _ = validate_event_target(
            y,
            n_rows=panel.n_rows,
            groups=panel.groups,
            estimator_name=type(self).__name__,
            index=getattr(X, "index", None),
        )
        labels, known, pos_weight = survival_cells(
            y, self.horizons, task="the encoder cannot be trained on the event task"
        )
        self.net_, _ = fit_event_net(
            self._network_builder(self.network_recipe().build),
            self._training_rows(panel),
            (labels, known, pos_weight),
            TrainingSettings.from_estimator(self, device=device, seed=seed),
        )
        self.history_ = self.net_.history
        return self

    def network_recipe(self) -> NetworkRecipe:
        """The event network (backbone and dt-MLP head) of the fitted sensors, and its loss.

        ``fit_event_net`` weighs the loss's positive cells by the training
        data's ``N_neg / N_pos``; a rebuilt network, which only predicts, gets 1.

        Returns
        -------
        recipe : NetworkRecipe
        """
        n_channels = len(self.mean_)
        return NetworkRecipe(
            build=lambda: self._event_module(n_channels),
            criterion=SurvivalBCELoss(pos_weight=1.0),
        )

    def _event_module(self, n_channels: int) -> EventModule:
        backbone = self._backbone(n_channels)
        head = DtMLPHead(d_input=backbone.d_model, n_embeddings=max(256, self.horizons))
        return EventModule(encoder=backbone, predictor=None, head=head, n_horizons=self.horizons)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        # y is one binary event per row (0/1 per-step labels or (event, time)):
        # declaring it lets tools that read tags (sklearn's checks) pass binary y
        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags
