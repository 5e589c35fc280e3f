"""Anomaly Transformer (Xu et al., ICLR 2022): anomaly attention and association discrepancy.

Each layer computes two associations per head over the window: the *series*
association (softmax self-attention) and the *prior* association (a Gaussian
of the distance ``|i - j|`` with a learned width sigma per query position). Normal
steps associate broadly with the whole window, anomalies mostly with their
neighbours, so the discrepancy between the two is small at anomalies. Training
is a minimax game on that discrepancy; the score weights each step's
reconstruction error by a softmax over the window of the negative discrepancy.

Causal reading (see docs/design.md): the window is the context ending at t;
attention stays bidirectional inside it (nothing after t is in it), the token
convolution reads only steps <= i, and a row is scored at the window's last
position, against the last positions of held-out windows (``readout``).
Padded steps (``context_mask`` False) are never attention keys and never enter
a loss or a softmax over the window.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .encoder import sinusoidal

__all__ = [
    "AnomalyAttention",
    "AnomalyTransformerEncoder",
    "AnomalyTransformerLayer",
    "AnomalyTransformerModule",
    "CausalTokenEmbedding",
    "MinimaxDiscrepancyLoss",
    "READOUTS",
    "association_kl",
    "fill_masked_steps",
]

#: The original's epsilon inside the logs of its KL (``my_kl_loss``).
KL_EPS = 1e-4


def fill_masked_steps(x, mask):
    """Replace masked steps by the last real step before them (leading ones by the first).

    x (B, W, C), mask (B, W) -> (B, W, C). A replicate padding that follows the
    real steps, so convolutions at real steps never read padding values.
    """
    B, W, C = x.shape
    pos = torch.arange(W, device=x.device).expand(B, W)  # (B, W)
    last = torch.where(mask, pos, torch.full_like(pos, -1)).cummax(dim=1).values  # (B, W)
    first = mask.to(torch.int64).argmax(dim=1, keepdim=True)  # (B, 1)
    idx = torch.where(last < 0, first, last)  # (B, W)
    return x.gather(1, idx.unsqueeze(-1).expand(B, W, C))  # (B, W, C)


def association_kl(p, q):
    """The original's KL: sum_j p (log(p + eps) - log(q + eps)), mean over heads.

    p, q (B, H, L, S) -> (B, L). Masked keys have p = q = 0 and add nothing.
    """
    res = p * (torch.log(p + KL_EPS) - torch.log(q + KL_EPS))  # (B, H, L, S)
    return res.sum(dim=-1).mean(dim=1)  # (B, L)


class CausalTokenEmbedding(nn.Module):
    """Kernel-3 convolution over the channels, reading steps i-2, i-1, i only.

    The original pads circularly (step 0's left neighbour is the window's last
    step, i.e. the future of step 0); here the left padding replicates the
    first real step, and masked steps repeat the last real step before them.
    """

    def __init__(self, *, n_channels: int, d_model: int, kernel_size: int = 3):
        super().__init__()
        self.kernel_size = kernel_size
        self.conv = nn.Conv1d(n_channels, d_model, kernel_size, bias=False)
        nn.init.kaiming_normal_(self.conv.weight, mode="fan_in", nonlinearity="leaky_relu")

    def forward(self, x, mask):
        x = fill_masked_steps(x, mask).transpose(1, 2)  # (B, C, W)
        x = F.pad(x, (self.kernel_size - 1, 0), mode="replicate")  # (B, C, W + k - 1)
        return self.conv(x).transpose(1, 2)  # (B, W, D)


class AnomalyAttention(nn.Module):
    """Multi-head self-attention that also returns its series and prior associations.

    Parameters
    ----------
    d_model, n_heads : int
    dropout : float
        On the series association (the original's ``attention_dropout``).
    """

    def __init__(self, *, d_model: int, n_heads: int, dropout: float = 0.0):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}.")
        self.n_heads = n_heads
        self.query = nn.Linear(d_model, d_model)
        self.key = nn.Linear(d_model, d_model)
        self.value = nn.Linear(d_model, d_model)
        self.sigma = nn.Linear(d_model, n_heads)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def prior(self, x, mask):
        """Row-normalised Gaussian prior over the real keys: (B, W, D) -> (B, H, W, W).

        The original's width transform ``3 ** (sigmoid(5 s) + 1e-5) - 1`` and
        density; normalising over keys cancels the ``1 / (sqrt(2 pi) sigma)``
        factor, so a softmax of ``-d^2 / (2 sigma^2)`` gives the same rows
        without overflow for tiny sigma.
        """
        B, W, _ = x.shape
        s = self.sigma(x).transpose(1, 2)  # (B, H, W)
        sigma = torch.pow(3.0, torch.sigmoid(5.0 * s) + 1e-5) - 1.0  # (B, H, W)
        pos = torch.arange(W, device=x.device, dtype=x.dtype)
        dist = (pos[:, None] - pos[None, :]) ** 2  # (W, W)
        logits = -dist / (2.0 * sigma.unsqueeze(-1) ** 2)  # (B, H, W, W)
        logits = logits.masked_fill(~mask[:, None, None, :], float("-inf"))
        return logits.softmax(dim=-1)  # (B, H, W, W)

    def forward(self, x, mask):
        """x (B, W, D), mask (B, W) -> out (B, W, D), series (B, H, W, W), prior (B, H, W, W)."""
        B, W, D = x.shape
        H = self.n_heads
        q = self.query(x).view(B, W, H, D // H).transpose(1, 2)  # (B, H, W, E)
        k = self.key(x).view(B, W, H, D // H).transpose(1, 2)  # (B, H, W, E)
        v = self.value(x).view(B, W, H, D // H).transpose(1, 2)  # (B, H, W, E)
        scores = q @ k.transpose(-1, -2) / math.sqrt(D // H)  # (B, H, W, W)
        scores = scores.masked_fill(~mask[:, None, None, :], float("-inf"))
        series = self.dropout(scores.softmax(dim=-1))  # (B, H, W, W)
        y = (series @ v).transpose(1, 2).reshape(B, W, D)  # (B, W, D)
        return self.out(y), series, self.prior(x, mask)


class AnomalyTransformerLayer(nn.Module):
    """Post-norm encoder layer: anomaly attention, then a GELU feed-forward of width d_ff."""

    def __init__(self, *, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.0):
        super().__init__()
        self.attention = AnomalyAttention(d_model=d_model, n_heads=n_heads, dropout=dropout)
        self.ff_in = nn.Linear(d_model, d_ff)  # the original's kernel-1 Conv1d
        self.ff_out = nn.Linear(d_ff, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, mask):
        a, series, prior = self.attention(x, mask)  # (B, W, D), 2 x (B, H, W, W)
        x = self.norm1(x + self.dropout(a))  # (B, W, D)
        y = self.dropout(F.gelu(self.ff_in(x)))  # (B, W, d_ff)
        y = self.dropout(self.ff_out(y))  # (B, W, D)
        return self.norm2(x + y), series, prior


class AnomalyTransformerEncoder(nn.Module):
    """Token and position embedding, anomaly-attention layers, final LayerNorm.

    ``forward(context, context_mask)`` gives ``h_t`` (B, d_model): the output
    at the window's last position, the step t the context ends at.

    Parameters
    ----------
    n_channels : int
    d_model, n_heads, n_layers, d_ff : int
        The original's 512, 8, 3, 512.
    dropout : float
        The original's 0.0.
    """

    def __init__(
        self,
        *,
        n_channels: int,
        d_model: int = 512,
        n_heads: int = 8,
        n_layers: int = 3,
        d_ff: int = 512,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.d_model = d_model
        self.embedding = CausalTokenEmbedding(n_channels=n_channels, d_model=d_model)
        self.drop = nn.Dropout(dropout)
        self.layers = nn.ModuleList(
            [
                AnomalyTransformerLayer(
                    d_model=d_model, n_heads=n_heads, d_ff=d_ff, dropout=dropout
                )
                for _ in range(n_layers)
            ]
        )
        self.norm = nn.LayerNorm(d_model)

    def forward_tokens(self, context, context_mask):
        """(B, W, C), (B, W) -> h (B, W, D), per-layer series and prior lists of (B, H, W, W)."""
        B, W, _ = context.shape
        # a context without one observed step (all missing) attends to every step
        context_mask = context_mask | ~context_mask.any(dim=1, keepdim=True)  # (B, W)
        # positions count from the oldest real step, so padding does not shift them
        first = context_mask.to(torch.int64).argmax(dim=1, keepdim=True)  # (B, 1)
        pos = (torch.arange(W, device=context.device) - first).clamp_min(0)  # (B, W)
        x = self.embedding(context, context_mask) + sinusoidal(pos, self.d_model)  # (B, W, D)
        x = self.drop(x)
        series, prior = [], []
        for layer in self.layers:
            x, s, p = layer(x, context_mask)  # (B, W, D), 2 x (B, H, W, W)
            series.append(s)
            prior.append(p)
        return self.norm(x), series, prior

    def forward(self, context, context_mask):
        h, _, _ = self.forward_tokens(context, context_mask)  # (B, W, D)
        return h[:, -1]  # (B, D)


#: The score's read-outs: see ``AnomalyTransformerModule``.
READOUTS = ("edge", "population", "window")


class AnomalyTransformerModule(nn.Module):
    """The encoder plus a linear reconstruction head; trains and scores.

    Three read-outs of a context's last step t (higher = more anomalous):

    * ``"window"``, the original's: ``softmax_j(-T * disc_j)`` over the real
      steps j of the window, times the step's MSE, at j = t. It compares a step
      with its window-mates. Read at the *last* position of a causal window it
      ranks nothing: the last step's one-sided prior gives it a discrepancy
      unlike the interior's, so its softmax weight (at T = 50) is about 0 for
      every row and the score is 0.
    * ``"population"``: the last step compared with the last steps of
      held-out windows, which share its boundary geometry:
      ``mse_t * 2 sigmoid(-(disc_t - loc) / scale)``, where ``loc`` and
      ``scale`` (buffers, set by ``calibrate``) are the median and the
      interquartile range of ``disc_t`` on held-out training windows. The
      weight lies in (0, 2) and is 1 at the median discrepancy, as the
      original's softmax times the window length is 1 for a uniform
      discrepancy; a low discrepancy (the original's sign: anomalies associate
      with their neighbours, as the prior does) raises the score. Bounded, it
      modulates the reconstruction error and never swamps it.
    * ``"edge"`` (the causal default): the same with the sign measured at the
      edge, ``mse_t * 2 sigmoid(+(disc_t - loc) / scale)``. At the last step of
      a causal window a *high* discrepancy marks anomalies: on injected spikes
      and on all four benchmark sets measured (docs/design.md), the opposite
      of the interior steps the original reads.

    Parameters
    ----------
    encoder : AnomalyTransformerEncoder
    n_channels : int
    temperature : float, default=50
        Multiplies the discrepancy inside the ``"window"`` softmax (the original's 50).
    readout : {"edge", "population", "window"}, default="edge"
    """

    def __init__(
        self,
        *,
        encoder: AnomalyTransformerEncoder,
        n_channels: int,
        temperature: float = 50.0,
        readout: str = "edge",
    ):
        super().__init__()
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}.")
        self.encoder = encoder
        self.temperature = float(temperature)
        self.readout = readout
        self.projection = nn.Linear(encoder.d_model, n_channels)
        # the population read-out's location and scale of disc_t (identity until calibrated)
        self.register_buffer("disc_loc", torch.zeros(()))
        self.register_buffer("disc_scale", torch.ones(()))

    def forward(self, context, context_mask, **_):
        """Returns (reconstruction (B, W, C), context, mask, series list, prior list)."""
        h, series, prior = self.encoder.forward_tokens(context, context_mask)  # (B, W, D)
        return self.projection(h), context, context_mask, series, prior

    def error_and_discrepancy(self, context, context_mask):
        """Per-step MSE (B, W), discrepancy summed over layers (B, W), real keys (B, W)."""
        recon, x, mask, series, prior = self(context, context_mask)
        keys = mask | ~mask.any(dim=1, keepdim=True)  # (B, W); all-missing: every step
        mse = ((recon - x) ** 2).mean(dim=-1)  # (B, W)
        disc = sum(
            association_kl(s, p) + association_kl(p, s) for s, p in zip(series, prior, strict=True)
        )  # (B, W)
        return mse, disc, keys

    @torch.no_grad()
    def calibrate(self, last_discrepancy):
        """Set the last-step read-outs' ``loc`` and ``scale`` from held-out ``disc_t`` (n,)."""
        d = torch.as_tensor(last_discrepancy, dtype=torch.float32).flatten()
        q1, q2, q3 = torch.quantile(d, torch.tensor([0.25, 0.5, 0.75]))
        # a flat discrepancy leaves the MSE alone rather than dividing by ~0
        scale = (q3 - q1) if (q3 - q1) > 1e-6 * max(1.0, float(q2.abs())) else torch.tensor(1.0)
        self.disc_loc.fill_(float(q2))
        self.disc_scale.fill_(float(scale))

    def window_scores(self, context, context_mask):
        """The original's score of every step of each window: (B, W).

        ``softmax_j(-T * disc_j)`` over the window's real steps times each
        step's MSE (the code's ``metric * loss``, temperature ``T``). Not causal:
        a step's score reads the whole window, later steps included; this is
        the published protocol (non-overlapping windows), not a row's score.
        """
        mse, disc, keys = self.error_and_discrepancy(context, context_mask)  # 3 x (B, W)
        logits = (-self.temperature * disc).masked_fill(~keys, float("-inf"))  # (B, W)
        return logits.softmax(dim=-1) * mse * context_mask  # (B, W)

    def anomaly_score(self, context, context_mask):
        """Anomaly score of each context's last step: (B,). See the class docstring.

        For ``"window"`` the softmax is multiplied by the number of real steps,
        so that a uniform discrepancy weighs 1 in short (early) windows as in
        full ones; for a full window this is the original's score times the
        constant window length.
        """
        mse, disc, keys = self.error_and_discrepancy(context, context_mask)  # 3 x (B, W)
        if self.readout in ("edge", "population"):
            z = (disc[:, -1] - self.disc_loc) / self.disc_scale  # (B,)
            sign = 1.0 if self.readout == "edge" else -1.0
            # a missing last step scores 0, as under the window's masked softmax
            return mse[:, -1] * 2.0 * torch.sigmoid(sign * z) * context_mask[:, -1]  # (B,)
        logits = (-self.temperature * disc).masked_fill(~keys, float("-inf"))  # (B, W)
        weight = logits.softmax(dim=-1) * context_mask.sum(dim=1, keepdim=True)  # (B, W)
        return (weight * mse)[:, -1]  # (B,)


class MinimaxDiscrepancyLoss(nn.Module):
    """The original's two phases summed: one backward gives the minimax gradient.

    With ``AD(S, P) = mean over layers of KL(S || P) + KL(P || S)`` (the
    original's symmetric KL, on real keys and averaged over real queries):

    * minimise phase, ``rec - k AD(S, sg(P))``: the series association is pushed
      away from the (fixed) prior, so it attends beyond the neighbourhood;
    * maximise phase, ``rec + k AD(sg(S), P)``: the prior is pulled towards the
      (fixed) series association.

    The original calls ``loss1.backward(retain_graph=True); loss2.backward()``
    before one optimiser step; the accumulated gradient is that of the sum, so
    the sum is the loss (its value is ``2 rec``, the two discrepancies cancel).

    Parameters
    ----------
    k : float, default=3
        Weight of the discrepancy (the original's ``k``).
    """

    def __init__(self, *, k: float = 3.0):
        super().__init__()
        self.k = float(k)

    def phases(self, y_pred):
        """(loss of the minimise phase, loss of the maximise phase, parts)."""
        recon, x, mask, series, prior = y_pred
        m = mask.to(x.dtype)  # (B, W)
        n = m.sum().clamp_min(1.0)
        rec = (((recon - x) ** 2).mean(dim=-1) * m).sum() / n

        def mean_real(v):  # v (B, W) -> scalar over the real queries
            return (v * m).sum() / n

        series_ad = sum(
            mean_real(association_kl(s, p.detach()) + association_kl(p.detach(), s))
            for s, p in zip(series, prior, strict=True)
        ) / len(series)
        prior_ad = sum(
            mean_real(association_kl(p, s.detach()) + association_kl(s.detach(), p))
            for s, p in zip(series, prior, strict=True)
        ) / len(series)
        loss1 = rec - self.k * series_ad
        loss2 = rec + self.k * prior_ad
        return loss1, loss2, {"rec": rec, "discrepancy": series_ad}

    def forward(self, y_pred, y_true=None):
        loss1, loss2, parts = self.phases(y_pred)
        return loss1 + loss2, parts
