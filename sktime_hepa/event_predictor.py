"""HEPAEventPredictor: event-probability surfaces from a pretrained encoder."""

from __future__ import annotations

import copy
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._training import (
    TRAINING_CONSTRAINTS,
    embed_rows,
    fit_event_net,
    resolve_device,
    surface_rows,
)
from .nn.dt_mlp_head import DtMLPHead
from .nn.event_head import EventHead
from .nn.hepa import EventModule
from .nn.predictor import HorizonPredictor
from .panel import as_panel
from .pretrainer import HEPAEmbeddings, HEPAPretrainer, _check_rows
from .targets import count_known_cells, horizon_labels, validate_event_target

__all__ = ["HEPAEventPredictor"]

FINETUNE_MODES = ("predictor", "probe", "end_to_end", "scratch")
HEADS = ("predictor", "dt_mlp")


class HEPAEventPredictor(ClassifierMixin, BaseEstimator):
    """Probability surface p(t, dt) = P(event within dt steps | x_<=t), dt = 1..K.

    A pretrained HEPA encoder (frozen by default) feeds the horizon-conditioned
    predictor; a shared event head turns each predicted embedding into a
    hazard, and the hazards compose into a survival CDF that is non-decreasing
    in dt by construction. Training minimises positive-weighted BCE on the CDF
    over the known (uncensored) cells.

    Parameters
    ----------
    pretrainer : HEPAPretrainer, FrozenEstimator, "passthrough" or None, default=None
        Where the encoder comes from. An unfitted ``HEPAPretrainer`` is cloned
        and fitted on the X given to ``fit`` (None means ``HEPAPretrainer()``
        with this estimator's ``device`` and ``random_state``). A fitted one
        wrapped in ``sklearn.frozen.FrozenEstimator`` is used as is, so a grid
        search does not pretrain again. "passthrough" means X already holds
        embeddings ``h_t`` (the output of ``HEPAPretrainer.transform``, e.g. in
        a Pipeline); that is also detected automatically from the array type.
    finetune : {"predictor", "probe", "end_to_end", "scratch"}, default="predictor"
        "predictor" (paper's pred-FT): encoder frozen, predictor + head trained.
        "probe": encoder and predictor frozen, only the head trained.
        "end_to_end": everything trained from the pretrained weights.
        "scratch": everything trained from random weights, no pretraining (a
        frozen pretrainer then only lends its architecture and input scaling).
        With embeddings as input only "predictor" applies: a new predictor and
        head are trained on them.
    head : {"predictor", "dt_mlp"}, default="predictor"
        "predictor": HEPA's horizon-conditioned predictor (pretrained weights
        when there are some) and the 769-parameter event head, 198K trained
        parameters. "dt_mlp": the baselines' dt-conditioned MLP of appendix C
        (264K parameters at width 256), trained from scratch on ``h_t``; with
        it "predictor" and "probe" both train just that head.
    horizons : int, default=200
        K; the surface covers dt = 1..K (paper: 150 for C-MAPSS/TEP, 200 else).
    horizon : int or None, default=None
        The dt that ``predict_proba`` and ``predict`` answer for; None means K.
    lr, weight_decay, batch_size : float, float, int
        AdamW settings; paper 1e-3, 1e-2, 64.
    max_epochs, patience : int
        Paper 50 and 10.
    validation_fraction : float, default=0.2
        Share of whole series held out for early stopping (with fewer than 5
        series, each is split in time; a split that would leave training
        without an event is made in time too). 0 disables validation and
        early stopping.
    stride : int, default=1
        1 trains on every labelled row each epoch (the paper). ``stride=s``
        visits one random row per ``s`` consecutive rows of each series per
        epoch: neighbouring rows share almost all of their context, so this
        cuts the cost of an epoch s-fold while every row is still seen over
        the epochs. Validation always scores every held-out row.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
    random_state : int, RandomState or None
    verbose : int, default=0

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained network; ``net_.module_`` is an ``EventModule``.
    pretrainer_ : HEPAPretrainer or None
        The fitted pretrainer whose encoder and scaling are used (None with
        embeddings as input).
    classes_ : ndarray of shape (2,)
        ``classes_[1]`` is the event.
    pos_weight_ : float
        N_neg / N_pos over the known training cells.
    history_ : skorch.History
    n_features_in_ : int
    """

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
        **TRAINING_CONSTRAINTS,
    }

    def __init__(
        self,
        pretrainer=None,
        *,
        finetune="predictor",
        head="predictor",
        horizons=200,
        horizon=None,
        lr=1e-3,
        weight_decay=1e-2,
        batch_size=64,
        max_epochs=50,
        patience=10,
        validation_fraction=0.2,
        stride=1,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.pretrainer = pretrainer
        self.finetune = finetune
        self.head = head
        self.horizons = horizons
        self.horizon = horizon
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.stride = stride
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # -- input handling ----------------------------------------------------------
    def _embeddings_in(self, X) -> bool:
        return self.pretrainer == "passthrough" or (
            self.pretrainer is None and isinstance(X, HEPAEmbeddings)
        )

    def _rows(self, X, *, reset: bool):
        """(Panel of scaled series, None) or (None, embeddings array).

        In ``fit`` the parameters and the type of X decide; afterwards the fit
        does (an estimator fitted on embeddings takes embeddings).
        """
        if self._embeddings_in(X) if reset else self.pretrainer_ is None:
            H = validate_data(self, np.asarray(X), reset=reset, dtype=np.float32)
            return None, np.ascontiguousarray(H, dtype=np.float32)
        panel = as_panel(X, estimator=self, reset=reset)
        if not reset:
            panel = self.pretrainer_._scale(panel)
        return panel, None

    def _fit_pretrainer(self, X, seed: int, device: str):
        pretrainer = self.pretrainer
        frozen = isinstance(pretrainer, FrozenEstimator)
        inner = pretrainer.estimator if frozen else pretrainer
        if inner is not None and not isinstance(inner, HEPAPretrainer):
            raise ValueError(
                "pretrainer must be a HEPAPretrainer (or a FrozenEstimator of a fitted one), "
                f"got {type(inner).__name__}."
            )
        if frozen:
            try:
                check_is_fitted(inner)
            except NotFittedError as exc:
                raise NotFittedError(
                    "pretrainer is a FrozenEstimator of an unfitted HEPAPretrainer; fit the "
                    "HEPAPretrainer before freezing it, or pass it unfrozen to pretrain here."
                ) from exc
            if self.finetune != "scratch":
                return inner
            # "scratch" wants the architecture only, never the pretrained weights
            pretrainer = clone(inner)
        else:
            pretrainer = HEPAPretrainer() if inner is None else clone(inner)
        if pretrainer.random_state is None:
            pretrainer.set_params(random_state=seed)
        if self.pretrainer is None:
            pretrainer.set_params(device=device)
        if self.finetune == "scratch":
            # same architecture and input scaling, no pretraining epochs
            pretrainer.set_params(max_epochs=0)
        return pretrainer.fit(X)

    def _check_pretrainer_features(self):
        """The (frozen) pretrainer must have been fitted on the sensors of X."""
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

    def _horizon(self, n_horizons: int) -> int:
        horizon = n_horizons if self.horizon is None else self.horizon
        if horizon > n_horizons:
            raise ValueError(f"horizon={horizon} is beyond horizons={n_horizons}.")
        return horizon

    # -- fitting -------------------------------------------------------------------
    def fit(self, X, y):
        """Fit the event surface (pretraining the encoder first if needed).

        Parameters
        ----------
        X : DataFrame with a (series, time) MultiIndex, 2-D array (one series),
            3-D array (n_series, n_channels, n_timepoints), or embeddings
        y : structured array with fields ``event`` and ``time`` (one per row),
            or 1-D binary per-step event labels

        Returns
        -------
        self
        """
        self._validate_params()
        embeddings_in = self._embeddings_in(X)
        if embeddings_in and self.finetune != "predictor":
            raise ValueError(
                f"finetune={self.finetune!r} needs raw series and a HEPAPretrainer, but X "
                "holds embeddings (pretrainer='passthrough' or an upstream HEPAPretrainer); "
                "with embeddings only finetune='predictor' applies (a new predictor and head "
                "are trained on them)."
            )
        self._horizon(self.horizons)
        device = resolve_device(self.device)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

        panel, H = self._rows(X, reset=True)
        if embeddings_in:
            # rows of an upstream transform know their series; bare arrays are one series
            n_rows, groups = len(H), getattr(X, "groups", None)
            if groups is None or len(groups) != n_rows:
                groups = np.zeros(n_rows, dtype=np.int64)
        else:
            n_rows, groups = panel.n_rows, panel.groups
        y, self.classes_ = validate_event_target(
            y, n_rows=n_rows, groups=groups, estimator_name=type(self).__name__
        )
        labels, known = horizon_labels(y, self.horizons)
        n_pos, n_neg = count_known_cells(
            labels, known, self.horizons, task="the event surface cannot be learned"
        )
        self.pos_weight_ = n_neg / n_pos

        if embeddings_in:
            self.pretrainer_ = None
            encoder, context_length, patch_size = None, None, 1
            predictor = None  # a new one, built under the seed in build()
            # whole series are held out for validation when their rows are known
            starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
            offsets = np.r_[starts, n_rows]
        else:
            self.pretrainer_ = self._fit_pretrainer(X, seed, device)
            self._check_pretrainer_features()
            jepa = self.pretrainer_.net_.module_
            encoder = copy.deepcopy(jepa.encoder).to(device)
            predictor = copy.deepcopy(jepa.predictor).to(device)
            context_length = self.pretrainer_.context_length
            patch_size = self.pretrainer_.patch_size
            panel = self.pretrainer_._scale(panel)
            offsets = panel.offsets
        if self.head == "dt_mlp":
            predictor = None

        # frozen encoder: embed once, then train on h (dropout off, as at inference)
        frozen = self.finetune in ("predictor", "probe")
        if encoder is not None and frozen:
            rows = np.flatnonzero(known.any(axis=1))  # unlabelled rows are never used
            H = np.zeros((n_rows, encoder.d_model), dtype=np.float32)
            H[rows] = embed_rows(
                encoder.to(device),
                panel,
                rows,
                context_length=context_length,
                patch_size=patch_size,
            )
        raw = encoder is not None and not frozen

        def build():
            d_model = H.shape[1] if encoder is None or frozen else encoder.d_model
            if self.head == "dt_mlp":
                pred, head = None, DtMLPHead(d_input=d_model, n_embeddings=max(256, self.horizons))
            else:
                pred = predictor
                if pred is None:
                    pred = HorizonPredictor(
                        d_model=d_model,
                        hidden=HEPAPretrainer().predictor_hidden,
                        horizon_scale=self.horizons,
                    )
                head = EventHead(d_model=pred.fc_out.out_features)
            module = EventModule(
                encoder=encoder, predictor=pred, head=head, n_horizons=self.horizons
            )
            for name, p in module.named_parameters():
                trainable = (
                    not frozen
                    or name.startswith("head.")
                    or (self.finetune == "predictor" and name.startswith("predictor."))
                )
                p.requires_grad_(trainable)
            return module

        self.net_ = fit_event_net(
            build,
            offsets=offsets,
            labels=labels,
            known=known,
            embeddings=None if raw else H,
            panel=panel if raw else None,
            context_length=context_length,
            patch_size=patch_size,
            pos_weight=self.pos_weight_,
            validation_fraction=self.validation_fraction,
            stride=self.stride,
            seed=seed,
            lr=self.lr,
            weight_decay=self.weight_decay,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            patience=self.patience,
            device=device,
            verbose=self.verbose,
        )
        self.history_ = self.net_.history
        return self

    # -- prediction ----------------------------------------------------------------
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
            and non-decreasing along axis 1.
        """
        check_is_fitted(self)
        panel, H = self._rows(X, reset=False)
        n_rows = len(H) if panel is None else panel.n_rows
        rows = np.arange(n_rows) if rows is None else _check_rows(rows, n_rows)
        pre = self.pretrainer_
        return surface_rows(
            self.net_.module_,
            panel=panel,
            embeddings=None if H is None else H[rows],
            rows=rows,
            context_length=None if pre is None else pre.context_length,
            patch_size=1 if pre is None else pre.patch_size,
            batch_size=batch_size,
        )

    def predict_proba(self, X):
        """P(no event, event) within ``horizon`` steps, shape (n_rows, 2)."""
        surface = self.predict_surface(X)
        horizon = self._horizon(surface.shape[1])
        p = surface[:, horizon - 1].astype(np.float64)
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        """``classes_[1]`` where the event is more likely than not within ``horizon``."""
        check_is_fitted(self)
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]

    @property
    def n_parameters_(self) -> dict:
        """Total and trained parameter counts of the event network."""
        check_is_fitted(self)
        params = list(self.net_.module_.parameters())
        return {
            "total": sum(p.numel() for p in params),
            "trained": sum(p.numel() for p in params if p.requires_grad),
        }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        # accuracy against per-step labels is not what a time-to-event model
        # optimises, so sklearn's 0.83-accuracy-on-blobs bar does not apply
        tags.classifier_tags.poor_score = True
        tags.non_deterministic = False
        return tags
