"""
A new encoder in one file: a GRU pretrained to forecast the next step
======================================================================

This file is all it takes to add an encoder without touching the package: two
small torch modules, a loss, and an estimator that subclasses
:class:`~sktime_hepa.encoders.SelfSupervisedEncoder` and declares only its own
parameters. The 15 training settings (``lr``, ``max_epochs``, ``device``,
``random_state``, ...), their validation and their docs come from the base, so
``GRUEncoder`` clones, pickles, grid-searches and saves like the package's own
encoders. ``custom_encoder.py`` uses it; this file only defines it.
"""

# %%
# The network
# -----------
# Pure torch: the encoder maps a context ending at t to ``h_t``; a linear head
# forecasts the next step from it, and the loss is their mean squared error.

from numbers import Integral

from sklearn.utils._param_validation import Interval
from torch import nn

from sktime_hepa.encoders import SelfSupervisedEncoder


class GRUModule(nn.Module):
    """``(context, context_mask)`` -> ``h_t``: the GRU state after the context's last step."""

    def __init__(self, *, n_channels: int, d_model: int):
        super().__init__()
        self.d_model = d_model  # the encoder slot reads the embedding width here
        self.gru = nn.GRU(n_channels, d_model, batch_first=True)

    def forward(self, context, context_mask):
        x = context * context_mask.unsqueeze(-1)  # (B, W, C); padding reads 0
        out, _ = self.gru(x)  # (B, W, D)
        return out[:, -1]  # (B, D)


class NextStepModule(nn.Module):
    """The encoder reads all but the last step and a linear head forecasts that step."""

    def __init__(self, *, encoder: GRUModule, n_channels: int):
        super().__init__()
        self.encoder = encoder  # the attribute the encoder slot uses after fit
        self.head = nn.Linear(encoder.d_model, n_channels)

    def forward(self, context, context_mask, **_):
        h = self.encoder(context[:, :-1], context_mask[:, :-1])  # (B, D)
        return self.head(h), context[:, -1], context_mask[:, -1]  # (B, C), (B, C), (B,)


class NextStepLoss(nn.Module):
    """MSE of the forecast on the contexts whose last step is observed; returns (loss, parts)."""

    def forward(self, y_pred, y_true=None):
        forecast, target, observed = y_pred
        mse = ((forecast - target) ** 2).mean(dim=-1)[observed].mean()
        return mse, {"mse": mse}


# %%
# The estimator
# -------------
# It declares its own parameters and constraints, builds the module for the
# fitted number of sensors, and names its loss; ``fit``, ``transform``, the
# shared training settings and ``network_recipe`` come from the base.


class GRUEncoder(SelfSupervisedEncoder):
    """GRU encoder, self-supervised by next-step forecasting.

    Parameters
    ----------
    d_model : int, default=32
        Width of the GRU state, the embedding ``h_t``.
    context_length : int, default=32
        Steps of history each row reads.
    <training settings>
    """

    _parameter_constraints = {
        "d_model": [Interval(Integral, 1, None, closed="left")],
        "context_length": [Interval(Integral, 2, None, closed="left")],
    }
    _training_defaults = {"lr": 1e-3, "max_epochs": 20}
    _part_names = ("mse",)  # loss parts recorded in history_
    patch_size = 1  # contexts are not padded to a patch multiple
    _max_horizon = 1  # the target lies inside the context: no future window

    def __init__(self, *, d_model=32, context_length=32, **training):
        self.d_model = d_model
        self.context_length = context_length
        super().__init__(**training)

    def _build_module(self, n_channels: int) -> NextStepModule:
        encoder = GRUModule(n_channels=n_channels, d_model=self.d_model)
        return NextStepModule(encoder=encoder, n_channels=n_channels)

    def _criterion(self) -> NextStepLoss:
        return NextStepLoss()
