"""TRepEncoder: T-Rep's causal dilated-convolution encoder, self-supervised; its anomaly score."""

from __future__ import annotations

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval

from ..nn.trep import TASKS, TRepBackbone, TRepLoss, TRepModule
from ._detector import DETECTOR_CONSTRAINTS, SelfSupervisedDetector

__all__ = ["TRepEncoder"]


class TRepEncoder(SelfSupervisedDetector):
    """T-Rep (Fraikin et al., ICLR 2024) as an encoder and an anomaly detector.

    A linear projection of each step, binomial timestamp masking in training,
    a learned Time2Vec time-embedding concatenated to every step, and
    ``depth`` dilated-convolution residual blocks (kernel 3, dilation 2^i)
    whose convolutions are padded on the left only: row t's embedding is the
    representation of step t and reads only ``x_<=t``. ``fit(X)`` needs no
    labels: two overlapping crops of each context are trained with the
    paper's four pretext tasks (instance and temporal contrast,
    time-embedding divergence prediction, time-embedding-conditioned
    forecasting, 0.25 each) over a max-pooling hierarchy.

    ``transform(X)`` returns the representation of each row's step;
    ``score_samples(X)`` the paper's anomaly score (L1 distance between the
    step's representation with and without the step masked, relative to the
    same distance at the ``score_window`` steps before it); ``predict(X)``
    flags rows above ``threshold_``, the ``1 - contamination`` quantile of the
    scores of the rows held out from pretraining.

    Parameters
    ----------
    output_dims : int, default=128
        Width of the representation (``d_model`` of the encoder slot).
    hidden_dims : int or sequence of int, default=64
        Width of the input projection; the convolutions are
        ``hidden_dims + time_embedding_dims`` wide (128 by default, the
        paper's "hidden channel widths"). A tuple of ``depth`` ints sets each
        hidden block's width as the public code's ``TRep`` class does
        (its default ``(64, 128, 256, 256, 256, 256, 128, 128, 128, 128)``).
    depth : int, default=10
        Hidden residual blocks (a final block maps to ``output_dims``).
    time_embedding_dims : int, default=64
        Width of the Time2Vec time-embedding (at least 2).
    mask_prob : float, default=0.5
        Probability that a step is masked in training (binomial masking).
    dropout : float, default=0.1
        Dropout on the representation in training.
    context_length : int or None, default=200
        Steps of history per row (the public code's causal window of 200);
        None reads the whole history.
    score_window : int, default=21
        Steps whose scores normalise a row's score (the public code's 21-step
        moving average); 0 returns the unadjusted distance. One encoder pass
        per row either way (causality lets the masked representations reuse it).
    contamination : float, default=0.01
        Share of held-out rows above ``threshold_``.
    <training settings>

    Attributes
    ----------
    net_ : skorch.NeuralNet
        ``net_.module_`` is a ``TRepModule``; its ``encoder`` gives ``h_t``.
    history_ : skorch.History
        Per epoch ``train_loss`` and the four tasks (``train_instance``,
        ``train_temporal``, ``train_divergence``, ``train_forecast``, and
        their ``valid_`` counterparts).
    threshold_ : float
    threshold_scores_ : ndarray
    mean_, scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int
    collapse_stats_ : dict

    Notes
    -----
    The time-embedding reads each step's position counted back from the
    row's step (0 at t), not the absolute step number of the original; the
    weights are the best validation epoch's, not the original's stochastic
    weight average. docs/design.md lists every change.

    Examples
    --------
    >>> from sktime_hepa import TRepEncoder
    >>> enc = TRepEncoder(max_epochs=20, random_state=0).fit(X_train)  # doctest: +SKIP
    >>> H = enc.transform(X_test)  # embeddings for HEPAEventPredictor  # doctest: +SKIP
    >>> flags = enc.predict(X_test)  # 1 = anomalous row  # doctest: +SKIP
    """

    _training_notes = {
        "missing": "T-Rep treats masked steps as it treats its own masked steps.",
        "lr": "The public code's lr and batch size (16), with AdamW's default decay.",
        "max_epochs": "The paper's epoch budget.",
        "random_state": "Also seeds crops, masks and pairs.",
        "validation_fraction": "The held-out rows also fit ``threshold_``.",
    }

    _parameter_constraints: dict = {
        "output_dims": [Interval(Integral, 1, None, closed="left")],
        "hidden_dims": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "depth": [Interval(Integral, 1, None, closed="left")],
        "time_embedding_dims": [Interval(Integral, 2, None, closed="left")],
        "mask_prob": [Interval(Real, 0, 1, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "context_length": [Interval(Integral, 2, None, closed="left"), None],
        "score_window": [Interval(Integral, 0, None, closed="left")],
        **DETECTOR_CONSTRAINTS,
    }
    _part_names = TASKS
    _max_horizon = 1  # no future window: both crops come from the context
    patch_size = 1  # contexts are steps, not patches (PanelRows reads this)

    _training_defaults = {
        "lr": 1e-3,
        "batch_size": 16,
        "max_epochs": 200,
        "stride": 4,
    }

    def __init__(
        self,
        *,
        output_dims=128,
        hidden_dims=64,
        depth=10,
        time_embedding_dims=64,
        mask_prob=0.5,
        dropout=0.1,
        context_length=200,
        score_window=21,
        contamination=0.01,
        **training,
    ):
        self.output_dims = output_dims
        self.hidden_dims = hidden_dims
        self.depth = depth
        self.time_embedding_dims = time_embedding_dims
        self.mask_prob = mask_prob
        self.dropout = dropout
        self.context_length = context_length
        self.score_window = score_window
        self.contamination = contamination
        super().__init__(**training)

    @property
    def d_model(self) -> int:
        """Width of ``h_t`` (``output_dims``), under the name the encoder slot uses."""
        return self.output_dims

    def _validate_params(self):
        super()._validate_params()
        hidden = self.hidden_dims
        if not isinstance(hidden, Integral):
            if len(hidden) != self.depth or not all(
                isinstance(h, Integral) and not isinstance(h, bool) and h >= 1 for h in hidden
            ):
                raise ValueError(
                    f"hidden_dims must be a positive int or a sequence of depth={self.depth} "
                    f"positive ints, got {hidden!r}."
                )

    def _criterion(self):
        return TRepLoss()

    def _build_module(self, n_channels: int) -> TRepModule:
        hidden = self.hidden_dims
        encoder = TRepBackbone(
            n_channels=n_channels,
            hidden_dims=int(hidden) if isinstance(hidden, Integral) else [int(h) for h in hidden],
            output_dims=self.output_dims,
            depth=self.depth,
            time_embedding_dims=self.time_embedding_dims,
            mask_prob=self.mask_prob,
            dropout=self.dropout,
        )
        return TRepModule(encoder=encoder, score_window=self.score_window)
