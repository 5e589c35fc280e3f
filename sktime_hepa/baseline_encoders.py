"""Encoders of the matched-protocol baselines (paper appendix C).

Each is a scikit-learn transformer that returns one representation ``h_t`` per
row, like :class:`~sktime_hepa.HEPAPretrainer`, so a user compares methods by
swapping the first step of ``Pipeline([("encode", ...), ("events",
HEPAEventPredictor(head="dt_mlp"))])``:

* :class:`MAEPretrainer`: HEPA's causal encoder pretrained by masked patch
  reconstruction (self-supervised, no labels);
* :class:`PatchTSTEncoder`: channel-independent patches with bidirectional
  attention, trained end to end on the event task (needs y), then frozen;
* :class:`ITransformerEncoder`: one token per sensor with attention across
  sensors, trained end to end on the event task (needs y), then frozen.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils import ClassifierTags, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._training import TRAINING_CONSTRAINTS, fit_event_net, resolve_device
from .nn.dt_mlp_head import DtMLPHead
from .nn.encoder import NORMALIZATIONS
from .nn.hepa import EventModule
from .nn.itransformer import ITransformerBackbone
from .nn.mae import MAEModule, MaskedReconstructionLoss
from .nn.patchtst import PatchTSTBackbone
from .panel import as_panel
from .pretrainer import _EncoderPretrainer, _EncoderTransformer
from .targets import count_known_cells, horizon_labels, validate_event_target

__all__ = ["MAEPretrainer", "PatchTSTEncoder", "ITransformerEncoder"]

_SIZE_CONSTRAINTS = {
    "d_model": [Interval(Integral, 2, None, closed="left")],
    "n_layers": [Interval(Integral, 1, None, closed="left")],
    "n_heads": [Interval(Integral, 1, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="left")],
}


class MAEPretrainer(_EncoderPretrainer):
    """HEPA's encoder pretrained by masked patch reconstruction (the MAE baseline).

    Same causal patch Transformer, context, normalisation and optimiser as
    :class:`~sktime_hepa.HEPAPretrainer`; only the objective differs: a random
    ``mask_ratio`` of each context's patches is replaced by a learned mask
    token and a linear decoder reconstructs their normalised values (mean
    squared error on the masked patches). The decoder is discarded:
    ``transform`` returns ``h_t`` exactly as HEPA's encoder would.

    Parameters
    ----------
    d_model, n_layers, n_heads, patch_size, dropout : int, int, int, int, float
        Encoder size; defaults as HEPA (256, 2, 4, 16, 0.1).
    context_length : int or None, default=512
    normalization : {"instance", "instance_stats", "none"}, default="instance"
    mask_ratio : float, default=0.4
        Share of real patches masked per context (PatchTST's self-supervised
        setting; the paper does not give one).
    lr, weight_decay, batch_size, max_epochs, patience, validation_fraction, stride :
        As :class:`~sktime_hepa.HEPAPretrainer` (3e-4, 1e-2, 64, 100, 10, 0.2, 4).
    device : {"auto", "cpu", "cuda"} or str, default="auto"
    random_state : int, RandomState or None
    verbose : int, default=0

    Attributes
    ----------
    net_ : skorch.NeuralNet
        ``net_.module_`` is an ``MAEModule``; its ``encoder`` gives ``h_t``.
    history_ : skorch.History
    mean_, scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int
    """

    _parameter_constraints: dict = {
        **_SIZE_CONSTRAINTS,
        "patch_size": [Interval(Integral, 1, None, closed="left")],
        "context_length": [Interval(Integral, 1, None, closed="left"), None],
        "normalization": [StrOptions(set(NORMALIZATIONS))],
        "mask_ratio": [Interval(Real, 0, 1, closed="neither")],
        **TRAINING_CONSTRAINTS,
    }
    _part_names = ("mse",)
    _max_horizon = 1  # no future window: the targets are the context's own patches

    def __init__(
        self,
        *,
        d_model=256,
        n_layers=2,
        n_heads=4,
        patch_size=16,
        dropout=0.1,
        context_length=512,
        normalization="instance",
        mask_ratio=0.4,
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
        self.context_length = context_length
        self.normalization = normalization
        self.mask_ratio = mask_ratio
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

    def _criterion(self):
        return MaskedReconstructionLoss()

    def _build_module(self, n_channels: int) -> MAEModule:
        return MAEModule(
            encoder=self._encoder(n_channels), n_channels=n_channels, mask_ratio=self.mask_ratio
        )


class _SupervisedEncoder(_EncoderTransformer):
    """Fit an encoder end to end on the event task, then serve it frozen.

    The encoder and a dt-MLP head are trained together with HEPA's
    positive-weighted survival BCE on the labels of ``fit``; ``transform``
    returns the encoder's representation (the head is only a training aid).
    Subclasses define ``__init__`` and ``_backbone(n_channels)``.
    """

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

        Returns
        -------
        self
        """
        self._validate_params()
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by n_heads={self.n_heads}.")
        device = resolve_device(self.device)
        panel = as_panel(X, estimator=self, reset=True)
        y, _ = validate_event_target(
            y, n_rows=panel.n_rows, groups=panel.groups, estimator_name=type(self).__name__
        )
        labels, known = horizon_labels(y, self.horizons)
        n_pos, n_neg = count_known_cells(
            labels, known, self.horizons, task="the encoder cannot be trained on the event task"
        )
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        panel = self._fit_scaling(panel)

        def build():
            backbone = self._backbone(panel.n_channels)
            head = DtMLPHead(d_input=backbone.d_model, n_embeddings=max(256, self.horizons))
            return EventModule(
                encoder=backbone, predictor=None, head=head, n_horizons=self.horizons
            )

        self.net_ = fit_event_net(
            build,
            offsets=panel.offsets,
            labels=labels,
            known=known,
            panel=panel,
            context_length=self.context_length,
            patch_size=self.patch_size,
            pos_weight=n_neg / n_pos,
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        # y is one binary event per row (0/1 per-step labels or (event, time)):
        # declaring it lets tools that read tags (sklearn's checks) pass binary y
        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags


_SUPERVISED_CONSTRAINTS = {
    **_SIZE_CONSTRAINTS,
    "horizons": [Interval(Integral, 1, None, closed="left")],
    **TRAINING_CONSTRAINTS,
}


class PatchTSTEncoder(_SupervisedEncoder):
    """PatchTST-style encoder trained end to end on the event task, then frozen.

    Channel-independent patches (each sensor patched and encoded on its own by
    shared weights), bidirectional attention over one sensor's patches,
    per-sensor pooling and a flatten projection to ``d_out`` (see
    ``sktime_hepa.nn.patchtst``). ``fit(X, y)`` trains it with a dt-MLP head
    on the horizons ``1..horizons``; ``transform`` returns ``h_t``.

    Parameters
    ----------
    d_model, n_layers, n_heads, patch_size, dropout : int, int, int, int, float
        PatchTST's defaults 128, 3, 16, 16, 0.1.
    d_out : int, default=256
        Width of ``h_t``.
    context_length : int or None, default=512
        Steps of history per row (None: the whole history).
    horizons : int, default=200
        K of the training task.
    lr, weight_decay, batch_size, max_epochs, patience, validation_fraction, stride :
        Defaults 3e-4, 1e-2, 64, 50, 10, 0.2, 1 (``stride`` as in
        :class:`~sktime_hepa.HEPAEventPredictor`).
    device, random_state, verbose :
        As the other estimators.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        ``net_.module_.encoder`` is the ``PatchTSTBackbone``.
    history_ : skorch.History
    mean_, scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int
    """

    _parameter_constraints: dict = {
        **_SUPERVISED_CONSTRAINTS,
        "patch_size": [Interval(Integral, 1, None, closed="left")],
        "d_out": [Interval(Integral, 1, None, closed="left")],
        "context_length": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        d_model=128,
        n_layers=3,
        n_heads=16,
        patch_size=16,
        dropout=0.1,
        d_out=256,
        context_length=512,
        horizons=200,
        lr=3e-4,
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
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.patch_size = patch_size
        self.dropout = dropout
        self.d_out = d_out
        self.context_length = context_length
        self.horizons = horizons
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

    def _backbone(self, n_channels: int) -> PatchTSTBackbone:
        return PatchTSTBackbone(
            n_channels=n_channels,
            d_model=self.d_model,
            n_layers=self.n_layers,
            n_heads=self.n_heads,
            patch_size=self.patch_size,
            dropout=self.dropout,
            d_out=self.d_out,
        )


class ITransformerEncoder(_SupervisedEncoder):
    """iTransformer-style encoder trained end to end on the event task, then frozen.

    Each sensor's whole context window becomes one token; attention runs
    across sensors (see ``sktime_hepa.nn.itransformer``). ``fit(X, y)``
    trains it with a dt-MLP head on the horizons ``1..horizons``;
    ``transform`` returns ``h_t``.

    Parameters
    ----------
    d_model, n_layers, n_heads, dropout : int, int, int, float
        Defaults 256, 2, 4, 0.1.
    d_out : int, default=256
    context_length : int, default=512
        The fixed window each token embeds; shorter histories are zero-padded
        (a whole C-MAPSS engine history fits in 512 cycles).
    horizons, lr, weight_decay, batch_size, max_epochs, patience,
    validation_fraction, stride, device, random_state, verbose :
        As :class:`PatchTSTEncoder`.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        ``net_.module_.encoder`` is the ``ITransformerBackbone``.
    history_ : skorch.History
    mean_, scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int
    """

    _parameter_constraints: dict = {
        **_SUPERVISED_CONSTRAINTS,
        "d_out": [Interval(Integral, 1, None, closed="left")],
        "context_length": [Interval(Integral, 1, None, closed="left")],
    }
    patch_size = 1  # contexts are not cut into patches

    def __init__(
        self,
        *,
        d_model=256,
        n_layers=2,
        n_heads=4,
        dropout=0.1,
        d_out=256,
        context_length=512,
        horizons=200,
        lr=3e-4,
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
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.dropout = dropout
        self.d_out = d_out
        self.context_length = context_length
        self.horizons = horizons
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

    def _backbone(self, n_channels: int) -> ITransformerBackbone:
        return ITransformerBackbone(
            n_channels=n_channels,
            context_length=self.context_length,
            d_model=self.d_model,
            n_layers=self.n_layers,
            n_heads=self.n_heads,
            dropout=self.dropout,
            d_out=self.d_out,
        )
