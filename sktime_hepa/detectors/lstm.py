"""LSTM reconstruction detectors: LSTM-VAE and the LSTM autoencoder with Bahdanau attention.

The two LSTM models of ``Sodz99/TimeSeries-Anomaly-Detection`` (readme in
``shared/papers/lstm_vae_attention_anomaly_transformer_readme.md``) as
detectors on the encoder slot; docs/design.md says what is faithful and what
changed.
"""

from __future__ import annotations

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions
from skorch.callbacks import LRScheduler
from torch.optim.lr_scheduler import ReduceLROnPlateau

from ..encoders._detector import DETECTOR_CONSTRAINTS, SelfSupervisedDetector
from ..nn.lstm_ae import LSTMVAE, SCORE_REDUCTIONS, LSTMAttentionAE, ReconstructionLoss, VAELoss

__all__ = ["LSTMAttentionAutoencoder", "LSTMVAEDetector"]

_POSITIVE = [Interval(Integral, 1, None, closed="left")]


def _plateau_loss(net) -> float:
    """The loss ReduceLROnPlateau watches: validation loss, or training loss without one."""
    row = net.history[-1]
    return row["valid_loss"] if "valid_loss" in row else row["train_loss"]


class _LSTMReconstructionDetector(SelfSupervisedDetector):
    """What both LSTM detectors share: steps as tokens, no future window, the LR schedule."""

    _training_notes = {
        "missing": 'Under "mask" the LSTMs skip the masked steps.',
        "lr": "With ``weight_decay=0`` and ``batch_size=32``, the notebook's Adam.",
        "max_epochs": (
            "100 and ``patience`` 10, as the notebook. The learning rate is "
            "multiplied by 0.75 after 5 epochs without a better validation loss "
            "(the notebooks' ``ReduceLROnPlateau``)."
        ),
        "validation_fraction": "The held-out rows also fit ``threshold_``.",
        "stride": "5: the notebook's windows have stride 5.",
    }

    #: every step is a token: contexts are not padded to a patch multiple
    patch_size = 1
    _max_horizon = 1  # no future window: the target is the context itself
    #: the notebooks' ReduceLROnPlateau(factor=0.75, patience=...) on the validation loss
    _plateau_factor = 0.75
    _plateau_patience = 5

    _shared_constraints: dict = {
        "context_length": _POSITIVE,
        "score_reduction": [StrOptions(set(SCORE_REDUCTIONS))],
        **DETECTOR_CONSTRAINTS,
    }

    def _stage_callbacks(self) -> list:
        schedule = LRScheduler(
            policy=ReduceLROnPlateau,
            monitor=_plateau_loss,
            factor=self._plateau_factor,
            patience=self._plateau_patience,
        )
        return [("lr_plateau", schedule)]


class LSTMVAEDetector(_LSTMReconstructionDetector):
    """LSTM variational autoencoder scoring each row by the reconstruction error of its window.

    The LSTM-VAE of ``Sodz99/TimeSeries-Anomaly-Detection``: an encoder
    LSTM (C -> ``hidden_size``) whose final state gives the mean and
    log-variance of a ``latent_size`` diagonal Gaussian; ``z`` (sampled by
    the reparameterisation in training, its mean ``mu`` at inference) is
    repeated over the window and decoded by an LSTM (``latent_size`` ->
    ``hidden_size``) and a linear layer. Loss: reconstruction MSE plus
    ``kl_weight`` times the KL divergence to N(0, I).

    The window of row t is the ``context_length`` steps ending at t (fewer at
    the start of a series; the LSTMs run over real steps only).
    ``score_samples`` is the window's mean squared reconstruction error
    (``score_reduction="mean"``, the notebook's window score) or its last
    step's; ``transform`` returns ``mu`` (width ``latent_size``).

    The notebook thresholds at the 70th percentile of the *test* scores;
    here ``threshold_`` is the ``1 - contamination`` quantile of the scores of
    the training rows held out for validation (never test rows).

    Parameters
    ----------
    hidden_size : int, default=128
        Width of the encoder and decoder LSTMs.
    latent_size : int, default=32
        Width of ``z`` and of the embedding.
    context_length : int, default=10
        Window length (the notebook's ``WINDOW_SIZE``).
    kl_weight : float, default=0.1
        Weight of the KL term (the notebook's beta).
    kl_reduction : {"sum", "mean"}, default="sum"
        The KL of a window is summed over latent dimensions, then "sum" sums
        it over the windows of a batch (the notebook's ``torch.sum``: its
        weight beside the MSE, a mean over elements, grows with
        ``batch_size``) and "mean" averages it.
    score_reduction : {"mean", "last"}, default="mean"
        A row's score: the mean squared error over its window's steps, or the
        error of its last step (t itself).
    contamination : float in (0, 0.5], default=0.01
        Share of held-out training rows above ``threshold_``.
    <training settings>

    Attributes
    ----------
    net_ : skorch.NeuralNet
        ``net_.module_`` is an ``LSTMVAE``; its ``encoder`` maps contexts to ``mu``.
    history_ : skorch.History
        Per-epoch losses with their parts ``mse`` and ``kl``.
    threshold_ : float
    threshold_scores_ : ndarray
        The held-out scores ``threshold_`` was fitted on.
    collapse_stats_ : dict
    mean_, scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X has string column names.

    Examples
    --------
    >>> from sktime_hepa import LSTMVAEDetector
    >>> det = LSTMVAEDetector(max_epochs=20, random_state=0).fit(X_train)  # doctest: +SKIP
    >>> scores = det.score_samples(X_test)  # doctest: +SKIP
    >>> flags = det.predict(X_test)  # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        "hidden_size": _POSITIVE,
        "latent_size": _POSITIVE,
        "kl_weight": [Interval(Real, 0, None, closed="left")],
        "kl_reduction": [StrOptions({"sum", "mean"})],
        **_LSTMReconstructionDetector._shared_constraints,
    }
    _part_names = ("mse", "kl")
    _plateau_patience = 10  # the VAE notebook passes PATIENCE=10 to its scheduler

    _training_defaults = {
        "lr": 1e-3,
        "weight_decay": 0.0,
        "batch_size": 32,
        "stride": 5,
    }

    def __init__(
        self,
        *,
        hidden_size=128,
        latent_size=32,
        context_length=10,
        kl_weight=0.1,
        kl_reduction="sum",
        score_reduction="mean",
        contamination=0.01,
        **training,
    ):
        self.hidden_size = hidden_size
        self.latent_size = latent_size
        self.context_length = context_length
        self.kl_weight = kl_weight
        self.kl_reduction = kl_reduction
        self.score_reduction = score_reduction
        self.contamination = contamination
        super().__init__(**training)

    def _build_module(self, n_channels: int) -> LSTMVAE:
        return LSTMVAE(
            n_channels=n_channels,
            hidden_size=self.hidden_size,
            latent_size=self.latent_size,
            score_reduction=self.score_reduction,
        )

    def _criterion(self):
        return VAELoss(kl_weight=self.kl_weight, kl_reduction=self.kl_reduction)

    @classmethod
    def _feature_prefix(cls) -> str:
        return "lstmvae"


class LSTMAttentionAutoencoder(_LSTMReconstructionDetector):
    """Sequence-to-sequence LSTM autoencoder with Bahdanau attention, scoring by reconstruction.

    The LSTM-attention model of ``Sodz99/TimeSeries-Anomaly-Detection``: two
    stacked encoder LSTMs (C -> ``hidden_size`` -> ``bottleneck_size``); the
    mean of the second one's outputs over the window starts a decoder LSTM
    (``bottleneck_size`` + C -> ``bottleneck_size``) that, step by step, reads
    its previous output and an additive (Bahdanau, ``attention_size``)
    attention context over the encoder states, and a linear layer maps it
    back to the channels. Loss: reconstruction MSE.

    The window of row t is the ``context_length`` steps ending at t.
    ``score_samples`` is the window's mean squared reconstruction error
    (``score_reduction="mean"``, the notebook's window score) or its last
    step's; ``transform`` returns the mean-pooled encoder state that starts
    the decoder (the notebook's bottleneck; width ``bottleneck_size``).

    The notebook thresholds at the 70th percentile of the *test* scores;
    here ``threshold_`` is the ``1 - contamination`` quantile of the scores of
    the training rows held out for validation (never test rows).

    Parameters
    ----------
    hidden_size : int, default=128
        Width of the first encoder LSTM.
    bottleneck_size : int, default=32
        Width of the second encoder LSTM, the decoder LSTM and the embedding.
    attention_size : int, default=64
        Width of the additive attention's hidden layer.
    context_length : int, default=10
        Window length (the notebook's ``window_size``).
    score_reduction : {"mean", "last"}, default="mean"
        A row's score: the mean squared error over its window's steps, or the
        error of its last step (t itself).
    contamination : float in (0, 0.5], default=0.01
        Share of held-out training rows above ``threshold_``.
    <training settings>

    Attributes
    ----------
    net_ : skorch.NeuralNet
        ``net_.module_`` is an ``LSTMAttentionAE``; its ``encoder`` maps
        contexts to the mean-pooled bottleneck.
    history_ : skorch.History
        Per-epoch losses (``mse``).
    threshold_ : float
    threshold_scores_ : ndarray
        The held-out scores ``threshold_`` was fitted on.
    collapse_stats_ : dict
    mean_, scale_ : ndarray of shape (n_features_in_,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X has string column names.

    Examples
    --------
    >>> from sktime_hepa import LSTMAttentionAutoencoder
    >>> det = LSTMAttentionAutoencoder(max_epochs=20, random_state=0)  # doctest: +SKIP
    >>> flags = det.fit(X_train).predict(X_test)  # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        "hidden_size": _POSITIVE,
        "bottleneck_size": _POSITIVE,
        "attention_size": _POSITIVE,
        **_LSTMReconstructionDetector._shared_constraints,
    }
    _part_names = ("mse",)

    _training_defaults = {
        "lr": 1e-3,
        "weight_decay": 0.0,
        "batch_size": 32,
        "stride": 5,
    }

    def __init__(
        self,
        *,
        hidden_size=128,
        bottleneck_size=32,
        attention_size=64,
        context_length=10,
        score_reduction="mean",
        contamination=0.01,
        **training,
    ):
        self.hidden_size = hidden_size
        self.bottleneck_size = bottleneck_size
        self.attention_size = attention_size
        self.context_length = context_length
        self.score_reduction = score_reduction
        self.contamination = contamination
        super().__init__(**training)

    def _build_module(self, n_channels: int) -> LSTMAttentionAE:
        return LSTMAttentionAE(
            n_channels=n_channels,
            hidden_size=self.hidden_size,
            bottleneck_size=self.bottleneck_size,
            attention_size=self.attention_size,
            score_reduction=self.score_reduction,
        )

    def _criterion(self):
        return ReconstructionLoss()

    @classmethod
    def _feature_prefix(cls) -> str:
        return "lstmattention"
