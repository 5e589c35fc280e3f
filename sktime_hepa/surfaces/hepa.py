"""HEPAEventPredictor: event-probability surfaces from a (pretrained) encoder."""

from __future__ import annotations

import copy
import warnings
from functools import partial
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._atomic import fit_atomically
from .._inference import embed_rows, surface_rows
from .._rows import EmbeddingRows, is_embeddings, read_embeddings
from .._torch_estimator import TorchEstimatorMixin
from .._training import (
    NetworkRecipe,
    TrainingSettings,
    fit_event_net,
    fit_seed,
    resolve_device,
)
from ..diagnostics import PredictionWarning, UntrainedWarning
from ..encoders import EncoderTransformer, HEPAPretrainer, SupervisedEncoder
from ..encoders._base import check_batch_size, check_rows
from ..nn.dt_mlp_head import DtMLPHead
from ..nn.event_head import EventHead, LinearProbeHead
from ..nn.hepa import EmbeddingScaler, EmbeddingWhitener, EventModule
from ..nn.losses import SurvivalBCELoss
from ..nn.predictor import HorizonPredictor
from ..panel import as_panel
from ..targets import survival_cells, validate_event_target
from ._base import SurfaceEstimator
from ._probability import PROBABILITY_SCALES, apply_logit_map, fit_logit_map, odds_map

__all__ = ["HEPAEventPredictor"]

FINETUNE_MODES = ("predictor", "head", "probe", "end_to_end", "scratch")
#: Modes whose encoder stays frozen (the network trains on precomputed h_t).
FROZEN_MODES = ("predictor", "head", "probe")
HEADS = ("predictor", "dt_mlp")
#: The parts each finetune mode trains (the rest is frozen).
TRAINED_PARTS = {
    "predictor": {"predictor", "head"},
    "head": {"head"},
    "probe": {"head"},
    "end_to_end": {"encoder", "predictor", "head"},
    "scratch": {"encoder", "predictor", "head"},
}


class HEPAEventPredictor(TorchEstimatorMixin, SurfaceEstimator):
    """Probability surface p(t, dt) = P(event within dt steps | x_<=t), dt = 1..K.

    A pretrained HEPA encoder (frozen by default) feeds the horizon-conditioned
    predictor; a shared event head turns each predicted embedding into a
    hazard, and the hazards compose into a survival CDF that is non-decreasing
    in dt by construction. Training minimises positive-weighted BCE on the CDF
    over the known (uncensored) cells.

    Parameters
    ----------
    pretrainer : encoder estimator, FrozenEstimator, "passthrough" or None, default=None
        Where the encoder comes from: any encoder of the package
        (``HEPAPretrainer``, ``MAEPretrainer``, ``PatchTSTEncoder``, ...). An
        unfitted one is cloned and fitted on the X (and y, for the supervised
        encoders) given to ``fit``; None means ``HEPAPretrainer()`` with this
        estimator's ``device`` and ``random_state``. A fitted one wrapped in
        ``sklearn.frozen.FrozenEstimator`` is used as is, so a grid search
        does not pretrain again. "passthrough" means X already holds
        embeddings ``h_t`` (the output of an encoder's ``transform``, e.g. in
        a Pipeline, also as a DataFrame under ``set_output(transform="pandas")``);
        that is also detected automatically when ``pretrainer`` is None.
    finetune : {"predictor", "head", "probe", "end_to_end", "scratch"}, default="predictor"
        "predictor" (paper's pred-FT): encoder frozen, predictor + head trained.
        "head": encoder and pretrained predictor frozen, only the event head
        trained (769 parameters at d=256): a linear read-out of the predicted
        future embeddings, the few-label regime in which what pretraining
        learned is used as is (docs/design.md, "Few-label heads"). Needs a
        pretrainer with a predictor (``HEPAPretrainer``).
        "probe": the paper's linear probe (appendix F): one ``Linear(d, 1)``
        on the frozen ``h_t`` gives a hazard shared by every horizon (d + 1
        trained parameters); the surface stays monotone.
        "end_to_end": everything trained from the pretrained weights.
        "scratch": everything trained from random weights, no pretraining (a
        frozen pretrainer then only lends its architecture and input scaling).
        With embeddings as input "predictor" and "probe" apply.
    head : {"predictor", "dt_mlp"}, default="predictor"
        "predictor": HEPA's horizon-conditioned predictor (pretrained weights
        when the encoder has some) and the 769-parameter event head, 198K
        trained parameters. "dt_mlp": the baselines' dt-conditioned MLP of
        appendix C (264K parameters at width 256), trained from scratch on
        ``h_t``. Not used by ``finetune="probe"``.
    horizons : int, default=200
        K; the surface covers dt = 1..K (paper: 150 for C-MAPSS/TEP, 200 else).
    horizon : int or None, default=None
        The dt that ``predict_proba`` and ``predict`` answer for; None means K.
    probability : {"held_out", "unweighted", "weighted"}, default="held_out"
        The scale of the surface (and so of ``predict_proba`` and ``predict``).
        The survival BCE weighs positive cells by ``pos_weight_`` (the paper's
        ``w+ = N_neg / N_pos``), which ranks well but shifts the
        probabilities, and not by the same factor at every horizon. Each
        option maps each horizon's column by an increasing function
        ``sigmoid(a_k logit(p) + b_k)`` (``probability_map_``), so every
        per-horizon ranking is kept. "held_out": ``a_k, b_k`` quadratic in
        ``log k``, fitted by maximum likelihood on the series the fit held
        out for early stopping, then the running maximum along dt keeps the
        surface a CDF (falls back to "unweighted" without held-out series).
        Read at prediction: ``set_params`` after ``fit`` switches the scale
        without refitting. "unweighted": ``a_k = 1, b_k = -log w+``, the odds
        shift of the weighting in theory. "weighted": the surface as
        trained (the paper's). Measured on FD001, TEP and MBA by
        ``python -m benchmarks.probability`` (docs/design.md, "Probabilities").
        For a free (isotonic) map per horizon fit a ``SurfaceCalibrator`` on
        other held-out series.
    standardize : bool or "whiten", default=False
        True: z-score the frozen ``h_t`` per dimension (statistics of the
        labelled training rows, stored in the network) before the predictor
        or head. "whiten": rotate and scale it so that its covariance on those
        rows is the identity (ZCA, eigenvalues floored at 1e-3 of their
        mean), so that directions of small variance reach the head on the
        same footing as the dominant ones (a pretrained ``h_t`` keeps most of
        its variance in a few directions). Measured worse than no rescaling
        on TEP and MBA, for pretrained and random encoders alike (docs/design.md,
        "What the embedding keeps of age, and whether whitening frees the
        rest"). Either trains a new predictor. Only with a frozen encoder
        ("predictor", "head", "probe").
    <training settings>
    min_steps : int, default=100
        Optimiser steps before early stopping may act. With few labels an
        epoch is a handful of steps and patience alone would stop a head
        after ~20 steps, near its random start.
    monitor : {"valid_loss", "valid_auroc"}, default="valid_loss"
        What early stopping watches: the validation BCE, or the mean
        per-horizon AUROC of the validation rows (ranks rather than
        calibrates).

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained network; ``net_.module_`` is an ``EventModule``.
    pretrainer_ : encoder estimator or None
        The fitted encoder whose weights and scaling are used (None with
        embeddings as input).
    classes_ : ndarray of shape (2,)
        ``classes_[1]`` is the event.
    pos_weight_ : float
        N_neg / N_pos over the known training cells.
    held_out_rows_ : ndarray of int
        The labelled rows of X (row numbers) that the fit held out for early
        stopping and for ``held_out_map_``; empty without a validation part.
    held_out_map_ : ndarray of shape (2, 3) or None
        Coefficients of the slope ``a_k`` and intercept ``b_k`` (rows) in
        powers of ``log k / log K`` (columns), fitted on the held-out series'
        known cells; None without a held-out part holding both classes.
        ``probability_map_`` is the map in use.
    history_ : skorch.History
        Per-epoch losses and ``valid_auroc``.
    n_features_in_ : int

    Examples
    --------
    >>> from sktime_hepa import HEPAEventPredictor, HEPAPretrainer
    >>> from sktime_hepa.datasets import make_run_to_failure
    >>> X, y = make_run_to_failure(30, random_state=0)  # y: (event, time) per row
    >>> model = HEPAEventPredictor(HEPAPretrainer(max_epochs=5), horizons=50)  # doctest: +SKIP
    >>> model.fit(X, y).predict_surface(X).shape  # (n_rows, 50), monotone in dt  # doctest: +SKIP
    >>> model.predict_survival_function(X[:3])  # scikit-survival StepFunctions  # doctest: +SKIP
    """

    _training_notes = {
        "missing": (
            "An encoder fitted inside ``fit`` (a clone of ``pretrainer``) reads X "
            "the same way; a frozen fitted encoder is used as is, whatever its own "
            "setting; NaN in embeddings given as X is refused."
        ),
        "lr": "Paper: 1e-3, with ``weight_decay`` 1e-2 and ``batch_size`` 64.",
        "max_epochs": "Paper: 50, with ``patience`` 10.",
        "validation_fraction": (
            "Both parts must hold an event, or the split is made in time; failing "
            "that there is no early stopping."
        ),
        "stride": "1 trains on every labelled row each epoch (the paper).",
        "callbacks": "The package's own include the validation AUROC scorer.",
    }

    _parameter_constraints: dict = {
        "pretrainer": [
            None,
            StrOptions({"passthrough"}),
            HasMethods(["fit", "transform"]),
        ],
        "finetune": [StrOptions(set(FINETUNE_MODES))],
        "head": [StrOptions(set(HEADS))],
        "horizons": [Interval(Integral, 1, None, closed="left")],
        "horizon": [Interval(Integral, 1, None, closed="left"), None],
        "probability": [StrOptions(set(PROBABILITY_SCALES))],
        "standardize": ["boolean", StrOptions({"whiten"})],
        "min_steps": [Interval(Integral, 0, None, closed="left")],
        "monitor": [StrOptions({"valid_loss", "valid_auroc"})],
    }

    _training_defaults = {
        "lr": 1e-3,
        "max_epochs": 50,
    }

    def __init__(
        self,
        pretrainer=None,
        *,
        finetune="predictor",
        head="predictor",
        horizons=200,
        horizon=None,
        probability="held_out",
        standardize=False,
        min_steps=100,
        monitor="valid_loss",
        **training,
    ):
        self.pretrainer = pretrainer
        self.finetune = finetune
        self.head = head
        self.horizons = horizons
        self.horizon = horizon
        self.probability = probability
        self.standardize = standardize
        self.min_steps = min_steps
        self.monitor = monitor
        super().__init__(**training)

    # -- fitting -------------------------------------------------------------------
    @fit_atomically
    def fit(self, X, y):
        """Fit the event surface (pretraining the encoder first if needed).

        Parameters
        ----------
        X : DataFrame with a (series, time) MultiIndex, 2-D array (one series),
            3-D array (n_series, n_channels, n_timepoints), or embeddings
            Raw series are read by :func:`~sktime_hepa.panel.as_panel` (under
            ``warm_start``, against the fitted sensors); embeddings must be
            finite, whatever ``missing``.
        y : structured array with fields ``event`` and ``time`` (one per row),
            or 1-D binary per-step event labels
            Read by position; a pandas y must be in the row order of X.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            A parameter outside its constraints (sklearn's
            ``InvalidParameterError``), ``horizon`` > ``horizons``, or a refused
            combination: ``finetune="head"`` with ``head="dt_mlp"`` or without a
            pretrained predictor (an encoder other than ``HEPAPretrainer``,
            ``standardize=True``, embeddings); ``finetune="probe"`` with
            ``head="dt_mlp"``; ``standardize=True`` or embeddings with
            ``finetune="end_to_end"``/``"scratch"``; a ``pretrainer`` that is not
            an encoder of this package; an unknown or unavailable ``device``; an
            ``accelerator`` with ``precision`` other than "float32" or another
            ``device``; a ``callbacks`` entry that is not a skorch callback.
        ValueError
            X refused by :func:`~sktime_hepa.panel.as_panel` (see its Raises);
            embeddings with NaN or inf; embeddings given to an encoder
            ``pretrainer``; a frozen ``pretrainer`` fitted on other sensors; under
            ``warm_start``, the other kind of X (raw series or embeddings) than
            before. A ``pretrainer`` fitted here raises its own ``fit`` errors.
        ValueError
            y missing (None), not binary per-step labels (one class, more than
            two, continuous), or a structured y with events other than 0/1 or
            times NaN, infinite or negative; not one per row of X; a pandas y
            holding X's rows in another order; no known cell, or no positive or
            no negative known cell, at horizons ``1..horizons``; no labelled row
            left for training after the validation split.
        NotFittedError
            ``pretrainer`` is a FrozenEstimator of an unfitted encoder.
        TypeError
            X has a column of objects that are not numbers (see ``as_panel``).
        """
        self._validate_params()
        embeddings_in = self._embeddings_in(X)
        self._check_options(X, embeddings_in)
        device, seed = resolve_device(self.device), fit_seed(self.random_state)
        warm = self._warm()  # warm_start: continue the fitted network and encoder
        if warm and embeddings_in != (self.pretrainer_ is None):
            raise ValueError(
                "warm_start=True continues the fitted model, which was fitted on "
                f"{'embeddings' if self.pretrainer_ is None else 'raw series'}; X here is "
                f"{'embeddings' if embeddings_in else 'raw series'}."
            )
        source = self._read_embeddings(X, reset=not warm) if embeddings_in else None
        rows = source if embeddings_in else as_panel(X, estimator=self, reset=not warm)
        y, self.classes_ = validate_event_target(
            y,
            n_rows=rows.n_rows,
            groups=rows.groups,
            estimator_name=type(self).__name__,
            index=getattr(X, "index", None),
        )
        labels, known, self.pos_weight_ = survival_cells(
            y, self.horizons, task="the event surface cannot be learned"
        )
        if not warm:
            self.pretrainer_ = None if embeddings_in else self._fitted_encoder(X, y, seed, device)
        if not embeddings_in:
            self._check_encoder_features()
            source = self.pretrainer_.panel_rows(rows)  # X is read once
        train_source, scaler = self._training_source(source, known, device)
        self.net_, held_out = fit_event_net(
            self._network_builder(self.network_recipe(scaler=scaler).build),
            train_source,
            (labels, known, self.pos_weight_),
            TrainingSettings.from_estimator(self, device=device, seed=seed),
            monitor=self.monitor,
            min_steps=self.min_steps,
        )
        self.held_out_rows_ = held_out
        self.held_out_map_ = self._held_out_map(train_source, held_out, labels, known)
        self.history_ = self.net_.history
        self.n_horizons_ = self.horizons
        self._survival_train_ = y  # the censoring data of make_survival_scorer(y_train="fit")
        return self

    # -- the recipe's steps ----------------------------------------------------------
    def _embeddings_in(self, X) -> bool:
        return self.pretrainer == "passthrough" or (self.pretrainer is None and is_embeddings(X))

    def _check_options(self, X, embeddings_in: bool) -> None:
        self._check_horizon(at_fit=True)
        if not embeddings_in and is_embeddings(X):
            raise ValueError(
                "X holds embeddings from an upstream encoder, but pretrainer="
                f"{self.pretrainer!r} would encode them again as if they were sensors; "
                "use pretrainer=None (or 'passthrough') after an encoder step."
            )
        frozen = self.finetune in FROZEN_MODES
        if self.finetune == "head" and self.head != "predictor":
            raise ValueError(
                f"finetune='head' reads out the pretrained predictor; head={self.head!r} "
                "would train a new one (use finetune='predictor' with it)."
            )
        if embeddings_in and self.finetune == "head":
            raise ValueError(
                "finetune='head' reads out a pretrained predictor, but X holds embeddings "
                "(pretrainer='passthrough' or an upstream encoder) and no predictor comes "
                "with them; use finetune='predictor' or 'probe', or give the raw series "
                "with a HEPAPretrainer as pretrainer."
            )
        if embeddings_in and not frozen:
            raise ValueError(
                f"finetune={self.finetune!r} needs raw series and an encoder estimator, but X "
                "holds embeddings (pretrainer='passthrough' or an upstream encoder); with "
                "embeddings only finetune='predictor' or 'probe' apply (a new predictor and "
                "head, or a linear probe, are trained on them)."
            )
        if self.finetune == "probe" and self.head == "dt_mlp":
            raise ValueError(
                "finetune='probe' trains the paper's linear probe on h_t; head='dt_mlp' "
                "does not apply to it (use finetune='predictor' to train the dt-MLP head)."
            )
        if self.standardize and not frozen:
            raise ValueError(
                f"standardize={self.standardize!r} rescales frozen embeddings; "
                f"finetune={self.finetune!r} "
                "trains the encoder, so its embeddings have no fixed statistics."
            )

    def _read_embeddings(self, X, *, reset: bool) -> EmbeddingRows:
        H, groups = read_embeddings(X)
        if self.missing != "mask":
            H = validate_data(self, H, reset=reset, dtype=np.float32)
        else:  # NaN is read, then refused with a message that says why
            H = validate_data(self, H, reset=reset, dtype=np.float32, ensure_all_finite="allow-nan")
            if np.isnan(H).any():
                raise ValueError(
                    "X holds embeddings with NaN: missing='mask' masks missing steps of "
                    "sensor series, not of embeddings. Give the series to an encoder with "
                    "missing='mask' (its transform gives finite embeddings)."
                )
        return EmbeddingRows(H, groups)

    def _fitted_encoder(self, X, y, seed: int, device: str) -> EncoderTransformer:
        """The encoder estimator to use: a frozen fitted one as is, else a fitted clone."""
        given = self.pretrainer
        frozen = isinstance(given, FrozenEstimator)
        inner = given.estimator if frozen else given
        if inner is not None and not isinstance(inner, EncoderTransformer):
            raise ValueError(
                "pretrainer must be an encoder estimator of sktime_hepa (HEPAPretrainer, "
                "MAEPretrainer, PatchTSTEncoder, ...) or a FrozenEstimator of a fitted one, "
                f"got {type(inner).__name__}."
            )
        if frozen:
            try:
                check_is_fitted(inner)
            except NotFittedError as exc:
                raise NotFittedError(
                    f"pretrainer is a FrozenEstimator of an unfitted {type(inner).__name__}; "
                    "fit it before freezing it, or pass it unfrozen to fit it here."
                ) from exc
            if self.finetune != "scratch":
                return inner
        encoder = HEPAPretrainer() if inner is None else clone(inner)
        if encoder.random_state is None:
            encoder.set_params(random_state=seed)
        if given is None:
            encoder.set_params(device=device)
        if self.missing == "mask" and "missing" in encoder.get_params(deep=False):
            encoder.set_params(missing="mask")  # the encoder fitted here reads X as we do
        with warnings.catch_warnings():
            if self.finetune == "scratch":
                # same architecture and input scaling, no pretraining epochs (by design)
                encoder.set_params(max_epochs=0)
                # an untrained encoder neither learns nor predicts: nothing to warn about
                warnings.simplefilter("ignore", UntrainedWarning)
                warnings.simplefilter("ignore", PredictionWarning)
            if isinstance(encoder, SupervisedEncoder):
                return encoder.fit(X, y)
            return encoder.fit(X)

    def _check_encoder_features(self) -> None:
        """A frozen encoder must have been fitted on the sensors of X."""
        pre = self.pretrainer_
        if pre.n_features_in_ != self.n_features_in_:
            raise ValueError(
                f"X has {self.n_features_in_} features, but the pretrainer was fitted "
                f"with {pre.n_features_in_} features."
            )
        ours = getattr(self, "feature_names_in_", None)
        theirs = getattr(pre, "feature_names_in_", None)
        if ours is not None and theirs is not None and not np.array_equal(ours, theirs):
            raise ValueError(
                "the feature names of X differ from those the pretrainer was fitted with: "
                f"{list(ours)} vs {list(theirs)}."
            )

    def _training_source(self, source, known, device: str):
        """Rows the network trains on, and the embedding scaler (or None).

        A frozen encoder is run once over the labelled rows (dropout off, as
        at inference) and the network trains on those ``h_t``; a trained one
        reads contexts per batch.
        """
        if self.finetune not in FROZEN_MODES or isinstance(source, EmbeddingRows):
            H = source.H if isinstance(source, EmbeddingRows) else None
        else:
            rows = np.flatnonzero(known.any(axis=1))  # unlabelled rows are never used
            encoder = copy.deepcopy(self.pretrainer_.encoder_module_).to(device)
            H = np.zeros((source.n_rows, encoder.d_model), dtype=np.float32)
            H[rows] = embed_rows(encoder, source, rows)
            source = EmbeddingRows(H, source.groups)
        if not self.standardize:
            return source, None
        labelled = H[known.any(axis=1)].astype(np.float64)  # (n_labelled, D)
        if self.standardize == "whiten":
            return source, EmbeddingWhitener(
                mean=labelled.mean(axis=0), matrix=whitening_matrix(labelled)
            )
        scale = np.maximum(labelled.std(axis=0), 1e-6)
        return source, EmbeddingScaler(mean=labelled.mean(axis=0), scale=scale)

    def _held_out_map(self, source, held_out, labels, known):
        """The logit map fitted on the held-out rows' known cells, or None without both classes."""
        if not len(held_out):
            return None
        surface = surface_rows(self.net_.module_, source, held_out, batch_size=256)
        return fit_logit_map(surface, labels[held_out], known[held_out])

    def network_recipe(self, *, scaler=None) -> NetworkRecipe:
        """The event network of the fitted encoder width and mode, and its loss.

        Parameters
        ----------
        scaler : EmbeddingScaler, optional
            The embedding statistics of ``standardize=True`` (``fit`` passes
            them; a rebuilt network gets placeholders that its stored weights
            replace).

        Returns
        -------
        recipe : NetworkRecipe
        """
        pre = self.pretrainer_
        width = self.n_features_in_ if pre is None else pre.encoder_module_.d_model
        if scaler is None and self.standardize == "whiten":
            scaler = EmbeddingWhitener(mean=np.zeros(width), matrix=np.eye(width))
        elif scaler is None and self.standardize:
            scaler = EmbeddingScaler(mean=np.zeros(width), scale=np.ones(width))
        return NetworkRecipe(
            build=partial(self._event_module, width=width, scaler=scaler),
            criterion=SurvivalBCELoss(pos_weight=getattr(self, "pos_weight_", 1.0)),
        )

    def _event_module(self, *, width: int, scaler) -> EventModule:
        """The network: (copied) encoder and predictor, a new head, the mode's frozen parts."""
        pre = self.pretrainer_
        encoder = None if pre is None else pre.encoder_module_
        predictor = None
        if self.finetune == "probe":
            head = LinearProbeHead(d_model=width)
        elif self.head == "dt_mlp":
            head = DtMLPHead(d_input=width, n_embeddings=max(256, self.horizons))
        else:
            predictor = getattr(pre, "predictor_module_", None) if not self.standardize else None
            if predictor is None and self.finetune == "head":
                raise ValueError(
                    "finetune='head' trains only the event head on a pretrained predictor, "
                    "but there is none here ("
                    + (
                        f"standardize={self.standardize!r} needs a new predictor"
                        if self.standardize
                        else f"the encoder is a {type(pre).__name__ if pre else 'passthrough'}"
                    )
                    + "); use finetune='predictor', or a HEPAPretrainer as pretrainer."
                )
            if predictor is None:
                predictor = HorizonPredictor(d_model=width, horizon_scale=self.horizons)
            head = EventHead(d_model=predictor.fc_out.out_features)
        return EventModule.from_pretrained(
            encoder=encoder,
            predictor=predictor,
            head=head,
            n_horizons=self.horizons,
            trained=TRAINED_PARTS[self.finetune],
            scaler=scaler,
        )

    # -- prediction ----------------------------------------------------------------
    def _rows(self, X):
        """X read as the fit was: embeddings, or series through the fitted encoder."""
        check_is_fitted(self)
        if self.pretrainer_ is None:
            return self._read_embeddings(X, reset=False)
        # fit checked that the encoder knows the same sensors: read X once
        return self.pretrainer_.panel_rows(as_panel(X, estimator=self, reset=False))

    def predict_surface(self, X, *, rows=None, batch_size=256):
        """Event CDF for every row (or for the selected ``rows``).

        Parameters
        ----------
        X : same format and sensors as in ``fit``
        rows : array-like of int, optional
            Row numbers of X to score (e.g. every s-th step of a long stream);
            their contexts still reach back into X. All rows when None.
        batch_size : int, default=256
            Rows per chunk; memory beyond the output scales with it, not with X.

        Returns
        -------
        surface : ndarray of float32, shape (n_rows or len(rows), horizons)
            ``surface[i, k-1]`` = P(event within k steps of row i); in [0, 1]
            and non-decreasing along axis 1; on the scale ``probability`` sets.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            X as :func:`~sktime_hepa.panel.as_panel` refuses it against the fit
            (see its Raises); for a model fitted on embeddings, embeddings of another
            width or with NaN or inf.
        ValueError
            ``rows`` not a 1-D array of integers in ``[0, n_rows)``;
            ``batch_size`` not a positive integer (checked first, even before
            ``fit``); ``probability`` set after ``fit`` to an unknown scale.
        TypeError
            X has a column of objects that are not numbers (see ``as_panel``).
        """
        batch_size = check_batch_size(batch_size)
        source = self._rows(X)
        rows = np.arange(source.n_rows) if rows is None else check_rows(rows, source.n_rows)
        surface = surface_rows(
            self.net_.module_, source, rows, batch_size=batch_size, progress=self.verbose >= 2
        )
        return apply_logit_map(surface, self.probability_map_)

    @property
    def probability_map_(self):
        """Coefficients of the map ``sigmoid(a_k logit(p) + b_k)`` that ``probability`` applies.

        None for "weighted"; shape (2, degree + 1) otherwise (slope and
        intercept in powers of ``log k / log K``).

        Read at each prediction, so ``set_params(probability=...)`` after
        ``fit`` changes the scale without refitting (like ``horizon``).
        """
        check_is_fitted(self)
        if self.probability not in PROBABILITY_SCALES:  # set after fit: checked here too
            raise ValueError(
                f"probability must be one of {list(PROBABILITY_SCALES)}, got {self.probability!r}."
            )
        if self.probability == "weighted":
            return None
        held_out = getattr(self, "held_out_map_", None)  # None in files saved before it
        if self.probability == "held_out" and held_out is not None:
            return held_out
        return odds_map(self.pos_weight_)

    @property
    def n_parameters_(self) -> dict:
        """Total and trained parameter counts of the event network."""
        check_is_fitted(self)
        params = list(self.net_.module_.parameters())
        return {
            "total": sum(p.numel() for p in params),
            "trained": sum(p.numel() for p in params if p.requires_grad),
        }


def whitening_matrix(H, *, floor: float = 1e-3):
    """ZCA whitening matrix of the rows of H (n, D): ``(H - mean) @ W`` has identity covariance.

    Eigenvalues below ``floor`` times their mean are raised to it, so that
    directions the rows barely use are not blown up from rounding noise.
    """
    centred = H - H.mean(axis=0)  # (n, D)
    cov = centred.T @ centred / max(len(H) - 1, 1)  # (D, D)
    eigval, eigvec = np.linalg.eigh(cov)  # (D,), (D, D)
    eigval = np.maximum(eigval, floor * max(eigval.mean(), 1e-12))
    return (eigvec / np.sqrt(eigval)) @ eigvec.T  # (D, D)
