"""HEPAPretrainer: self-supervised JEPA pretraining of the causal encoder."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._training import (
    TRAINING_CONSTRAINTS,
    PretrainWindows,
    embed_rows,
    fit_net,
    pretrain_collate,
    resolve_device,
    split_segments,
)
from .nn.encoder import NORMALIZATIONS, HEPAEncoder
from .nn.hepa import JEPAModule
from .nn.losses import L1_REDUCTIONS, JEPALoss
from .nn.predictor import HorizonPredictor
from .panel import Panel, as_panel

__all__ = ["HEPAPretrainer", "HEPAEmbeddings"]


class HEPAEmbeddings(np.ndarray):
    """A plain float array of embeddings ``h_t`` that remembers its origin.

    ``HEPAPretrainer.transform`` returns this ndarray subclass so that a
    downstream ``HEPAEventPredictor`` in a Pipeline knows its rows are
    embeddings, not a sensor series. It behaves as a numpy array everywhere.

    Attributes
    ----------
    groups : ndarray of shape (n_rows,) or None
        Series index of every row, set on the array that ``transform`` returns
        (so that per-step event labels are not carried across series); None on
        slices, views and unpickled copies, whose rows may no longer line up.
    """

    def __array_finalize__(self, obj):
        self.groups = None


def _check_rows(rows, n_rows: int) -> np.ndarray:
    """Row numbers as int64, each in [0, n_rows)."""
    rows = np.asarray(rows)
    if rows.ndim != 1 or (rows.size and not np.issubdtype(rows.dtype, np.integer)):
        raise ValueError(f"rows must be a 1-D array of row numbers, got {rows.dtype} {rows.shape}.")
    if rows.size and (rows.min() < 0 or rows.max() >= n_rows):
        raise ValueError(f"rows must lie in [0, {n_rows}) (X has {n_rows} rows).")
    return rows.astype(np.int64)


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


class _EncoderTransformer(TransformerMixin, BaseEstimator):
    """Shared scaling and ``transform`` of every encoder estimator.

    A fitted subclass holds ``net_`` whose ``module_.encoder`` maps
    ``(context, context_mask)`` to ``(B, d_model)``, the per-channel z-score
    ``mean_``/``scale_``, ``context_length`` and ``patch_size`` (contexts are
    left-padded to a multiple of it).
    """

    def _fit_scaling(self, panel: Panel) -> Panel:
        values = np.concatenate(panel.series)
        self.mean_ = values.mean(axis=0).astype(np.float32)
        self.scale_ = values.std(axis=0).astype(np.float32)
        self.scale_[self.scale_ < 1e-8] = 1.0  # constant sensors stay finite
        return self._scale(panel)

    def _scale(self, panel: Panel) -> Panel:
        series = [(s - self.mean_) / self.scale_ for s in panel.series]
        return Panel(series=series, offsets=panel.offsets)

    # -- using the fitted encoder -------------------------------------------------
    def _panel(self, X) -> Panel:
        """Validate X against the fit and apply the fitted scaling."""
        check_is_fitted(self)
        return self._scale(as_panel(X, estimator=self, reset=False))

    def transform(self, X):
        """Summary embedding ``h_t`` of every row.

        Parameters
        ----------
        X : same formats as in ``fit``, with the same sensors

        Returns
        -------
        H : HEPAEmbeddings (an ndarray subclass) of float32, shape (n_rows, d_model)
        """
        return self.transform_rows(X, None)

    def transform_rows(self, X, rows=None):
        """Embeddings of selected rows only; their contexts still reach back into X.

        Scoring every s-th step of a long stream, or only the labelled rows of
        a label budget, costs in proportion to the rows asked for.

        Parameters
        ----------
        X : same formats as in ``fit``
        rows : array-like of int, optional
            Row numbers into X (all rows when None).

        Returns
        -------
        H : HEPAEmbeddings of float32, shape (n_selected, d_model)
            ``H.groups`` holds the series index of each selected row.
        """
        panel = self._panel(X)
        rows = np.arange(panel.n_rows) if rows is None else _check_rows(rows, panel.n_rows)
        H = embed_rows(
            self.net_.module_.encoder,
            panel,
            rows,
            context_length=self.context_length,
            patch_size=self.patch_size,
        )
        H = H.view(HEPAEmbeddings)
        H.groups = panel.groups[rows]
        return H

    def get_feature_names_out(self, input_features=None):
        """Names ``<method>0 .. <method>{width-1}`` of the embedding columns (e.g. hepa0)."""
        check_is_fitted(self)
        prefix = type(self).__name__.lower().replace("pretrainer", "").replace("encoder", "")
        width = self.net_.module_.encoder.d_model
        return np.asarray([f"{prefix}{i}" for i in range(width)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.non_deterministic = False
        return tags


class _EncoderPretrainer(_EncoderTransformer):
    """Shared fit of the self-supervised patch-encoder pretrainers.

    Subclasses define ``__init__`` (sklearn reads parameters from its
    signature), ``_build_module(n_channels)`` returning a module with an
    ``encoder`` attribute, ``_criterion()``, ``_part_names`` and
    ``_max_horizon`` (largest future window a sample needs; 1 when none).
    """

    _part_names: tuple = ()

    def fit(self, X, y=None):
        """Pretrain on unlabeled series.

        Parameters
        ----------
        X : DataFrame with a (series, time) MultiIndex, 2-D array (one series)
            or 3-D array (n_series, n_channels, n_timepoints)
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by n_heads={self.n_heads}.")
        device = resolve_device(self.device)
        panel = as_panel(X, estimator=self, reset=True)
        if panel.lengths.max() < 2:
            raise ValueError(
                f"X has {panel.n_rows} sample(s) and no series with 2 or more steps: "
                "pretraining needs at least one step after an observation time."
            )
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        panel = self._fit_scaling(panel)

        train, valid = split_segments(panel.lengths, self.validation_fraction, seed)
        windows = dict(stride=self.stride, max_horizon=self._max_horizon)
        train_ds = PretrainWindows(train, random=True, seed=seed, **windows)
        valid_ds = PretrainWindows(valid, random=False, seed=seed + 1, **windows)
        if not len(train_ds) and self.max_epochs:
            raise ValueError(
                "the series left for training after holding out validation_fraction="
                f"{self.validation_fraction} of them have no step after an observation time "
                "(all are 1 step long); lower validation_fraction, or set it to 0 to train "
                "on all series without early stopping."
            )
        self.net_ = fit_net(
            lambda: self._build_module(panel.n_channels),
            self._criterion(),
            train_ds,
            valid_ds if len(valid_ds) else None,
            collate=pretrain_collate(
                panel.series,
                context_length=self.context_length,
                patch_size=self.patch_size,
                futures=self._max_horizon > 1,
            ),
            lr=self.lr,
            weight_decay=self.weight_decay,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            patience=self.patience,
            device=device,
            verbose=self.verbose,
            seed=seed,
            part_names=self._part_names,
        )
        self.history_ = self.net_.history
        return self

    def _encoder(self, n_channels: int) -> HEPAEncoder:
        return HEPAEncoder(
            n_channels=n_channels,
            d_model=self.d_model,
            n_layers=self.n_layers,
            n_heads=self.n_heads,
            patch_size=self.patch_size,
            dropout=self.dropout,
            normalization=self.normalization,
        )


class HEPAPretrainer(_EncoderPretrainer):
    """Pretrain a causal Transformer encoder with the HEPA JEPA objective.

    ``fit(X)`` needs no labels: a horizon-conditioned predictor learns to
    predict the embedding of the future interval ``x_(t, t+dt]`` from
    ``h_t = encoder(x_<=t)``, with ``dt ~ LogUniform[1, max_horizon]``.
    ``transform(X)`` returns ``h_t`` for every row of X.

    Parameters
    ----------
    d_model, n_layers, n_heads, patch_size, dropout : int, int, int, int, float
        Encoder size; paper defaults 256, 2, 4, 16, 0.1.
    predictor_hidden : int, default=384
        Hidden width of the predictor MLP (197.6K parameters at d_model=256).
    context_length : int or None, default=512
        Steps of history in each row's context; None uses the whole history
        (the paper's C-MAPSS setting).
    normalization : {"instance", "instance_stats", "none"}, default="instance"
        "instance" is the paper's per-context instance normalisation.
        "instance_stats" adds a token with the context's mean and log-std, so
        absolute sensor levels survive. "none" keeps only the per-channel
        z-score fitted on the training data (applied in every mode).
    max_horizon : int, default=200
        Largest pretraining horizon.
    alpha : float, default=0.1
        SIGReg weight in ``(1 - alpha) * L1 + alpha * SIGReg``.
    l1_reduction : {"sum", "mean"}, default="sum"
        Reduction of the L1 term over embedding dimensions (docs/design.md).
    lr, weight_decay, batch_size : float, float, int
        AdamW settings; paper 3e-4, 1e-2, 64.
    max_epochs, patience : int
        Paper 100 and 10. Early stopping watches the validation loss.
    validation_fraction : float, default=0.2
        Share of whole series held out for early stopping (with fewer than 5
        series, each is split in time instead). 0 disables validation and
        early stopping.
    stride : int, default=4
        An epoch visits one random anchor per ``stride`` consecutive rows of
        each series (neighbouring rows share almost all of their context).
    device : {"auto", "cpu", "cuda"} or str, default="auto"
    random_state : int, RandomState or None
        Seeds weights, sampling and dropout: CPU fits are reproducible.
    verbose : int, default=0
        1 prints one line per epoch with train/valid losses.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained network; ``net_.module_`` is a ``JEPAModule``.
    history_ : skorch.History
        Per-epoch losses, including the L1 and SIGReg parts.
    mean_, scale_ : ndarray of shape (n_features_in_,)
        Per-channel z-score fitted on the training rows.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X has string column names.
    """

    _parameter_constraints: dict = {
        "d_model": [Interval(Integral, 2, None, closed="left")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "patch_size": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "predictor_hidden": [Interval(Integral, 1, None, closed="left")],
        "context_length": [Interval(Integral, 1, None, closed="left"), None],
        "normalization": [StrOptions(set(NORMALIZATIONS))],
        "max_horizon": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "l1_reduction": [StrOptions(set(L1_REDUCTIONS))],
        **TRAINING_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        d_model=256,
        n_layers=2,
        n_heads=4,
        patch_size=16,
        dropout=0.1,
        predictor_hidden=384,
        context_length=512,
        normalization="instance",
        max_horizon=200,
        alpha=0.1,
        l1_reduction="sum",
        lr=3e-4,
        weight_decay=1e-2,
        batch_size=64,
        max_epochs=100,
        patience=10,
        validation_fraction=0.2,
        stride=4,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.patch_size = patch_size
        self.dropout = dropout
        self.predictor_hidden = predictor_hidden
        self.context_length = context_length
        self.normalization = normalization
        self.max_horizon = max_horizon
        self.alpha = alpha
        self.l1_reduction = l1_reduction
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

    _part_names = ("l1", "sigreg")

    @property
    def _max_horizon(self) -> int:
        return self.max_horizon

    def _criterion(self):
        return JEPALoss(alpha=self.alpha, l1_reduction=self.l1_reduction)

    def _build_module(self, n_channels: int) -> JEPAModule:
        predictor = HorizonPredictor(
            d_model=self.d_model, hidden=self.predictor_hidden, horizon_scale=self.max_horizon
        )
        return JEPAModule(encoder=self._encoder(n_channels), predictor=predictor)

    @property
    def n_parameters_(self) -> dict:
        """Parameter counts of the encoder and predictor."""
        check_is_fitted(self)
        module = self.net_.module_
        return {"encoder": _count(module.encoder), "predictor": _count(module.predictor)}
