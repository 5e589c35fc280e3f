"""T-Rep (Fraikin, Bennetot and Allassonniere, ICLR 2024), made causal.

The encoder projects each step, masks steps (random timestamp masking in
training; missing and padded steps always), concatenates a learned Time2Vec
time-embedding and runs a stack of dilated-convolution residual blocks. Unlike
the public code's "same" padding, every convolution is padded on the left
only, so the representation of step p reads steps <= p: the row's
representation is that of the last step of its context, and no later step
(nor the left padding of a short context) can reach it.

Pretraining (``TRepModule``) samples two overlapping crops of each context
(TS2Vec's contextual consistency) and applies the four pretext tasks of the
paper at every level of a max-pooling hierarchy: instance-wise contrast,
temporal contrast, time-embedding divergence (JSD) prediction and
time-embedding-conditioned forecasting. ``TRepModule.anomaly_score`` is the
paper's score: the L1 distance between the last step's representation with
and without that step masked, relative to the same distance at the steps
before it.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "CausalConv1d",
    "ConvBlock",
    "DilatedConvEncoder",
    "DivergenceHead",
    "ForecastHead",
    "TRepBackbone",
    "TRepLoss",
    "TRepModule",
    "Time2Vec",
    "hierarchical_losses",
    "jensen_shannon",
    "time_index",
]

#: Names of the four pretext-task losses, in the order ``TRepModule`` returns them.
TASKS = ("instance", "temporal", "divergence", "forecast")


def time_index(W: int, device=None) -> torch.Tensor:
    """Time index of the W positions of a context ending at t: -(W-1), ..., -1, 0.

    The public code feeds the absolute step number; a context here is a
    window ending at t whose absolute position is not part of the encoder's
    input, so steps are counted back from t (0 at t). A step keeps its index
    in every crop of its context.
    """
    return torch.arange(W, device=device, dtype=torch.float32) - (W - 1)  # (W,)


def started_steps(context_mask: torch.Tensor) -> torch.Tensor:
    """(B, W) True from each row's first observed step on: False marks the left padding."""
    return context_mask.int().cummax(dim=1).values.bool()  # (B, W)


class Time2Vec(nn.Module):
    """Learned time-embedding ``tau_t``: Time2Vec, then sigmoid, then normalised to sum 1.

    ``K - 1`` periodic features ``sin(w_k t + b_k)`` and one linear feature
    ``w_0 t + b_0`` (the public code's ``T2vSin``, its choice for forecasting
    and anomaly detection); the sigmoid and the division by their sum make
    ``tau_t`` a distribution, which the divergence task needs.

    Parameters
    ----------
    dims : int
        K, the width of the embedding (at least 2).
    """

    def __init__(self, *, dims: int = 64):
        super().__init__()
        if dims < 2:
            raise ValueError(f"the time-embedding needs at least 2 dimensions, got {dims}.")
        self.dims = dims
        self.w = nn.Parameter(torch.randn(dims - 1))
        self.b = nn.Parameter(torch.randn(dims - 1))
        self.w0 = nn.Parameter(torch.randn(1))
        self.b0 = nn.Parameter(torch.randn(1))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        """t (...) float time indices -> tau (..., K), positive and summing to 1."""
        t = t[..., None]  # (..., 1)
        periodic = torch.sin(t * self.w + self.b)  # (..., K-1)
        linear = t * self.w0 + self.b0  # (..., 1)
        tau = torch.sigmoid(torch.cat([periodic, linear], dim=-1))  # (..., K)
        return tau / tau.sum(dim=-1, keepdim=True)  # (..., K)


class CausalConv1d(nn.Module):
    """Dilated 1-D convolution padded on the left only: output step p reads inputs <= p."""

    def __init__(self, *, in_channels: int, out_channels: int, kernel_size: int, dilation: int):
        super().__init__()
        self.left = (kernel_size - 1) * dilation
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C_in, W) -> (B, C_out, W)."""
        return self.conv(F.pad(x, (self.left, 0)))  # (B, C_out, W)

    def taps(self, x: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        """Inputs the kernel reads before each of ``steps``: x (B, C_in, W) -> (B, P, k-1, C_in).

        Entry ``[:, i, j]`` is step ``steps[i] - (k-1-j) * dilation`` (zero before the context).
        """
        k, d = self.conv.kernel_size[0], self.conv.dilation[0]
        shifts = torch.arange(k - 1, 0, -1, device=x.device) * d  # (k-1,)
        idx = steps[:, None] - shifts  # (P, k-1)
        gathered = x[:, :, idx.clamp_min(0)] * (idx >= 0)  # (B, C_in, P, k-1)
        return gathered.permute(0, 2, 3, 1)  # (B, P, k-1, C_in)

    def at(self, x_p: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
        """Output at single steps p from their input x_p (B, P, C_in) and taps -> (B, P, C_out)."""
        inputs = torch.cat([taps, x_p[:, :, None]], dim=2)  # (B, P, k, C_in), oldest first
        return torch.einsum("bpkc,ock->bpo", inputs, self.conv.weight) + self.conv.bias


class ConvBlock(nn.Module):
    """T-Rep's residual block: GELU, dilated conv, GELU, dilated conv, plus the input.

    A 1x1 convolution projects the residual when the width changes and in the
    final block (as in the public code). ``started`` zeroes the left padding
    before each convolution, so a padded step reads as the convolution's own
    zero padding: a row's output does not depend on how much padding its
    batch gave it.
    """

    def __init__(
        self,
        *,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        dilation: int,
        final: bool = False,
    ):
        super().__init__()
        conv = dict(kernel_size=kernel_size, dilation=dilation)
        self.conv1 = CausalConv1d(in_channels=in_channels, out_channels=out_channels, **conv)
        self.conv2 = CausalConv1d(in_channels=out_channels, out_channels=out_channels, **conv)
        project = in_channels != out_channels or final
        self.projector = nn.Conv1d(in_channels, out_channels, 1) if project else None

    def forward(self, x: torch.Tensor, started: torch.Tensor, steps=None):
        """x (B, C_in, W), started (B, 1, W) float -> (B, C_out, W).

        With ``steps`` (P,) also returns the two convolutions' taps before them (``at``).
        """
        x = x * started  # (B, C_in, W)
        residual = x if self.projector is None else self.projector(x)  # (B, C_out, W)
        a = F.gelu(x)  # (B, C_in, W)
        b = F.gelu(self.conv1(a)) * started  # (B, C_out, W)
        out = self.conv2(b) + residual  # (B, C_out, W)
        if steps is None:
            return out
        return out, (self.conv1.taps(a, steps), self.conv2.taps(b, steps))

    def at(self, x_p, started_p, taps):
        """The block's output at single steps p whose input alone changed to ``x_p``.

        x_p (B, P, C_in), started_p (B, P, 1) float, taps from ``forward(..., steps)``
        (the unchanged earlier steps) -> (B, P, C_out). Exact by causality: a
        change at step p reaches no step before p.
        """
        x_p = x_p * started_p  # (B, P, C_in)
        residual = x_p
        if self.projector is not None:
            weight = self.projector.weight[:, :, 0]  # (C_out, C_in)
            residual = x_p @ weight.T + self.projector.bias  # (B, P, C_out)
        h = self.conv1.at(F.gelu(x_p), taps[0])  # (B, P, C_out)
        h = self.conv2.at(F.gelu(h) * started_p, taps[1])  # (B, P, C_out)
        return h + residual  # (B, P, C_out)


class DilatedConvEncoder(nn.Module):
    """Residual blocks with dilation 2^i: block i reads ``2^(i+2)`` further back than block i-1.

    Parameters
    ----------
    in_channels : int
    channels : sequence of int
        Output width of each block; the last one is the representation width.
    kernel_size : int
    """

    def __init__(self, *, in_channels: int, channels: Sequence[int], kernel_size: int = 3):
        super().__init__()
        widths = [in_channels, *channels]
        self.blocks = nn.ModuleList(
            ConvBlock(
                in_channels=widths[i],
                out_channels=widths[i + 1],
                kernel_size=kernel_size,
                dilation=2**i,
                final=i == len(channels) - 1,
            )
            for i in range(len(channels))
        )

    def forward(self, x: torch.Tensor, started: torch.Tensor, steps=None):
        """x (B, C_in, W), started (B, W) bool -> (B, channels[-1], W).

        With ``steps`` (P,) also returns every block's taps before those steps.
        """
        keep = started[:, None, :].to(x.dtype)  # (B, 1, W)
        taps = []
        for block in self.blocks:
            if steps is None:
                x = block(x, keep)  # (B, C_i, W)
            else:
                x, block_taps = block(x, keep, steps)  # (B, C_i, W), taps
                taps.append(block_taps)
        return x if steps is None else (x, taps)

    def at(self, x_p, started_p, taps):
        """Output at steps p when only their input changed: x_p (B, P, C_in) -> (B, P, C_out)."""
        keep = started_p[..., None].to(x_p.dtype)  # (B, P, 1)
        for block, block_taps in zip(self.blocks, taps, strict=True):
            x_p = block.at(x_p, keep, block_taps)  # (B, P, C_i)
        return x_p


class TRepBackbone(nn.Module):
    """T-Rep's encoder: ``(context, context_mask) -> h_t``, the representation of the last step.

    Steps are projected to ``hidden_dims[0]`` channels; unobserved steps
    (``context_mask`` False: missing values and the left padding) and, in
    training, a random share ``mask_prob`` of the steps are zeroed after the
    projection (the public code's binomial timestamp masking, which treats
    NaN steps the same way); the time-embedding of each step (zero on the
    left padding) is concatenated; the dilated-convolution stack and a
    dropout give ``output_dims`` channels per step.

    Parameters
    ----------
    n_channels : int
        Sensors per step.
    hidden_dims : int or sequence of int
        Width of the projection; as a sequence, the width of each of the
        ``depth`` hidden blocks (each widened by ``time_embedding_dims``), as
        in the public code's ``TRep`` class.
    output_dims : int
        Width of each step's representation (``d_model``).
    depth : int
        Hidden residual blocks; a final block maps to ``output_dims``.
    time_embedding_dims : int
    mask_prob : float
        Probability that a step is masked in training.
    dropout : float
        Dropout on the representation (training only).
    kernel_size : int
    """

    def __init__(
        self,
        *,
        n_channels: int,
        hidden_dims: int | Sequence[int] = 64,
        output_dims: int = 128,
        depth: int = 10,
        time_embedding_dims: int = 64,
        mask_prob: float = 0.5,
        dropout: float = 0.1,
        kernel_size: int = 3,
    ):
        super().__init__()
        hidden = [hidden_dims] * depth if isinstance(hidden_dims, int) else list(hidden_dims)
        if len(hidden) != depth or min(hidden, default=1) < 1:
            raise ValueError(
                f"hidden_dims must be a positive int or {depth} (depth) positive ints, "
                f"got {hidden_dims!r}."
            )
        self.d_model = output_dims
        self.mask_prob = float(mask_prob)
        self.input_fc = nn.Linear(n_channels, hidden[0])
        self.time_embedding = Time2Vec(dims=time_embedding_dims)
        widths = [h + time_embedding_dims for h in hidden] + [output_dims]
        self.feature_extractor = DilatedConvEncoder(
            in_channels=widths[0], channels=widths, kernel_size=kernel_size
        )
        self.repr_dropout = nn.Dropout(dropout)

    def steps(self, context, context_mask, *, positions=None, started=None, keep=None):
        """Representation and time-embedding of every step.

        Parameters
        ----------
        context : Tensor (B, W, C)
        context_mask : Tensor (B, W) bool
            True on observed steps. The values of other steps are never read.
        positions : Tensor (W,), optional
            Time index of each step (default: ``time_index(W)``).
        started : Tensor (B, W) bool, optional
            False on the left padding (default: before the first observed step).
        keep : Tensor (B, W) bool, optional
            Extra mask (False = masked), e.g. the training or scoring mask.

        Returns
        -------
        z : Tensor (B, W, output_dims)
        tau : Tensor (B, W, time_embedding_dims), zero on the left padding
        """
        B, W, _ = context.shape
        if positions is None:
            positions = time_index(W, context.device)  # (W,)
        if started is None:
            started = started_steps(context_mask)  # (B, W)
        observed = context_mask if keep is None else context_mask & keep  # (B, W)
        # where, not a product: NaN at a missing step would survive 0 * NaN
        x = torch.where(context_mask[..., None], context, 0.0)  # (B, W, C)
        u = self.input_fc(x) * observed[..., None]  # (B, W, H0)
        tau = self.time_embedding(positions).expand(B, W, -1)  # (B, W, K)
        tau = tau * started[..., None]  # (B, W, K)
        h = torch.cat([u, tau], dim=-1).transpose(1, 2)  # (B, H0+K, W)
        z = self.feature_extractor(h, started).transpose(1, 2)  # (B, W, D)
        return self.repr_dropout(z), tau

    def forward(self, context, context_mask):
        """context (B, W, C), context_mask (B, W) -> h_t (B, output_dims), the last step's."""
        z, _ = self.steps(context, context_mask)  # (B, W, D)
        return z[:, -1]  # (B, D)

    def mask_distances(self, context, context_mask, steps):
        """``||z_p - z_p(step p masked)||_1`` for each p in ``steps``, from one pass (eval mode).

        Masking step p changes no step before p, so each layer's output at p
        is recomputed from its input at p and the unchanged taps before it:
        exact, and one encoder pass instead of one per step.

        Parameters
        ----------
        context : Tensor (B, W, C)
        context_mask : Tensor (B, W) bool
        steps : Tensor (P,) long
            Positions in the context.

        Returns
        -------
        Tensor (B, P)
        """
        B, W, _ = context.shape
        started = started_steps(context_mask)  # (B, W)
        x = torch.where(context_mask[..., None], context, 0.0)  # (B, W, C)
        u = self.input_fc(x) * context_mask[..., None]  # (B, W, H0)
        tau = self.time_embedding(time_index(W, context.device)).expand(B, W, -1)  # (B, W, K)
        tau = tau * started[..., None]  # (B, W, K)
        h = torch.cat([u, tau], dim=-1).transpose(1, 2)  # (B, H0+K, W)
        z, taps = self.feature_extractor(h, started, steps)  # (B, D, W), taps
        # step p masked: its projection is zeroed, its time-embedding kept
        h_p = torch.cat([torch.zeros_like(u[:, steps]), tau[:, steps]], dim=-1)  # (B, P, H0+K)
        z_masked = self.feature_extractor.at(h_p, started[:, steps], taps)  # (B, P, D)
        return (z.transpose(1, 2)[:, steps] - z_masked).abs().sum(dim=-1)  # (B, P)


class DivergenceHead(nn.Module):
    """G1 of the divergence task: ``z - z'`` -> predicted JSD of their time-embeddings.

    The public code's ``TembedDivPredHead``: Linear, ReLU, Linear, ReLU,
    dropout 0.1 on the prediction.
    """

    def __init__(self, *, d_model: int, hidden: int = 128, dropout: float = 0.1):
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(d_model, hidden), nn.ReLU(), nn.Linear(hidden, 1), nn.ReLU()
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, diff: torch.Tensor) -> torch.Tensor:
        """diff (N, D) -> (N,)."""
        return self.dropout(self.fc(diff)).squeeze(-1)  # (N,)


class ForecastHead(nn.Module):
    """G2 of the forecasting task: ``[z_t, tau_{t+delta}]`` -> ``z_{t+delta}``.

    The public code's ``TembedCondPredHead`` (hidden 64): Linear, ReLU,
    Linear, ReLU, dropout 0.1. Its output ReLU is kept although the targets
    may be negative (faithful to the code).
    """

    def __init__(self, *, d_model: int, time_embedding_dims: int, hidden: int = 64):
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(d_model + time_embedding_dims, hidden),
            nn.ReLU(),
            nn.Linear(hidden, d_model),
            nn.ReLU(),
            nn.Dropout(0.1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (..., D + K) -> (..., D)."""
        return self.fc(x)


# ------------------------------------------------------------------ pretext tasks


def _masked_mean(values: torch.Tensor, ok: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` where ``ok``; 0 (still in the graph) when nothing is ok."""
    total = torch.where(ok, values, torch.zeros_like(values)).sum()
    return total / ok.sum().clamp_min(1)


def _contrast(z: torch.Tensor, ok: torch.Tensor, n: int) -> torch.Tensor:
    """InfoNCE over the second axis of z (G, 2n, D): item i's positive is item i +- n.

    Every other valid item of the group is a negative (the item itself is
    excluded); invalid items are neither anchors nor negatives.
    """
    sim = z @ z.transpose(1, 2)  # (G, 2n, 2n)
    eye = torch.eye(2 * n, dtype=torch.bool, device=z.device)  # (2n, 2n)
    sim = sim.masked_fill(eye | ~ok[:, None, :], torch.finfo(sim.dtype).min)  # (G, 2n, 2n)
    logp = F.log_softmax(sim, dim=-1)  # (G, 2n, 2n)
    i = torch.arange(2 * n, device=z.device)  # (2n,)
    nll = -logp[:, i, (i + n) % (2 * n)]  # (G, 2n)
    return _masked_mean(nll, ok)


def instance_contrastive_loss(z1, z2, valid):
    """TS2Vec's instance-wise contrast: at each step, the same row under the other crop.

    z1, z2 (B, T, D) the two crops' representations of the same steps; valid (B, T).
    """
    B = z1.shape[0]
    if B < 2:
        return z1.sum() * 0.0
    z = torch.cat([z1, z2], dim=0).transpose(0, 1)  # (T, 2B, D)
    ok = torch.cat([valid, valid], dim=0).transpose(0, 1)  # (T, 2B)
    return _contrast(z, ok, B)


def temporal_contrastive_loss(z1, z2, valid):
    """TS2Vec's temporal contrast: within a row, the same step under the other crop."""
    T = z1.shape[1]
    if T < 2:
        return z1.sum() * 0.0
    z = torch.cat([z1, z2], dim=1)  # (B, 2T, D)
    ok = torch.cat([valid, valid], dim=1)  # (B, 2T)
    return _contrast(z, ok, T)


def jensen_shannon(p: torch.Tensor, q: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """JSD(p || q) over the last axis: (..., K) -> (...)."""
    p, q = p.clamp_min(eps), q.clamp_min(eps)  # (..., K)
    m = (p + q) / 2  # (..., K)
    kl_pm = (p * (p.log() - m.log())).sum(-1)  # (...)
    kl_qm = (q * (q.log() - m.log())).sum(-1)  # (...)
    return 0.5 * kl_pm + 0.5 * kl_qm


def divergence_loss(z1, z2, tau, valid, head, *, n_pairs, generator):
    """Time-embedding divergence prediction: ``G1(z_a - z'_b)`` regresses ``JSD(tau_a, tau_b)``.

    As the public code: up to ``n_pairs`` pairs of valid (row, step)
    positions of the batch, half of them a position with itself (target 0),
    half two different positions; MSE.
    """
    B, T, D = z1.shape
    flat = valid.reshape(-1).nonzero().squeeze(1)  # (n,)
    n = flat.numel()
    half = min(n_pairs, n) // 2
    if half == 0:
        return z1.sum() * 0.0
    order = torch.randperm(n, generator=generator).to(flat.device)  # (n,)
    different = flat[order[: 2 * half]].view(half, 2)  # (h, 2)
    order = torch.randperm(n, generator=generator).to(flat.device)  # (n,)
    same = flat[order[:half]].repeat_interleave(2).view(half, 2)  # (h, 2)
    pairs = torch.cat([same, different])  # (2h, 2)
    taus = tau.reshape(B * T, -1)  # (B*T, K)
    target = jensen_shannon(taus[pairs[:, 0]], taus[pairs[:, 1]])  # (2h,)
    diff = z1.reshape(B * T, D)[pairs[:, 0]] - z2.reshape(B * T, D)[pairs[:, 1]]  # (2h, D)
    return F.mse_loss(head(diff), target)


def forecast_loss(z1, z2, tau, valid, head, *, max_delta, n_pairs, generator):
    """Time-embedding-conditioned forecasting: ``G2([z_s, tau_{s+d}])`` regresses ``z_{s+d}``.

    Per row, ``n_pairs // B`` source steps s and offsets d uniform in
    ``[-(max_delta - 1), max_delta - 1]`` (the public code's range, backwards
    and forwards); source and target come from one crop drawn per row;
    pairs whose target falls outside the row's valid steps are dropped. MSE.
    """
    B, T, D = z1.shape
    P = max(1, n_pairs // B)
    m = min(max_delta, T)
    n_valid = valid.sum(dim=1)  # (B,) valid steps form a suffix of each row
    first = (T - n_valid).to(torch.float32)  # (B,)
    u = torch.rand(B, P, generator=generator).to(z1.device)  # (B, P)
    source = (first[:, None] + u * n_valid[:, None]).long().clamp(0, T - 1)  # (B, P)
    delta = torch.randint(-(m - 1), m, (B, P), generator=generator).to(z1.device)  # (B, P)
    target = source + delta  # (B, P)
    ok = (target >= first[:, None]) & (target < T) & (n_valid[:, None] > 0)  # (B, P)
    target = target.clamp(0, T - 1)  # (B, P)
    view = torch.randint(0, 2, (B,), generator=generator).to(z1.device)  # (B,)
    z = torch.where(view[:, None, None] == 0, z1, z2)  # (B, T, D)
    z_src = z.gather(1, source[..., None].expand(B, P, D))  # (B, P, D)
    z_tgt = z.gather(1, target[..., None].expand(B, P, D))  # (B, P, D)
    tau_tgt = tau.gather(1, target[..., None].expand(B, P, tau.shape[-1]))  # (B, P, K)
    pred = head(torch.cat([z_src, tau_tgt], dim=-1))  # (B, P, D)
    err = ((pred - z_tgt) ** 2).mean(dim=-1)  # (B, P)
    return _masked_mean(err, ok)


def _pool(x: torch.Tensor, valid: torch.Tensor):
    """Max-pool (B, T, F) by 2 over time, ignoring invalid steps; returns (x, valid) halved."""
    x = x.masked_fill(~valid[..., None], float("-inf"))  # (B, T, F)
    x = F.max_pool1d(x.transpose(1, 2), kernel_size=2).transpose(1, 2)  # (B, T//2, F)
    valid = F.max_pool1d(valid[:, None].float(), kernel_size=2)[:, 0] > 0  # (B, T//2)
    return x.masked_fill(~valid[..., None], 0.0), valid


def hierarchical_losses(
    z1, z2, tau, valid, *, divergence_head, forecast_head, max_delta=10, n_pairs=800, generator
):
    """The four pretext losses summed over a max-pooling hierarchy, divided by the levels.

    At each level with more than one step all four tasks are applied, then
    representations, time-embeddings and validity are max-pooled by 2; the
    last, single-step level adds the instance contrast only (the public
    code's ``hierarchical_contrastive_loss`` with ``temporal_unit=0``).

    Parameters
    ----------
    z1, z2 : Tensor (B, T, D)
        Representations of the same T steps under the two crops.
    tau : Tensor (B, T, K)
        Their time-embeddings.
    valid : Tensor (B, T) bool
        Steps after each row's left padding (a suffix of every row).

    Returns
    -------
    tuple of 4 scalar Tensors, in the order of ``TASKS``
    """
    z1 = z1.masked_fill(~valid[..., None], 0.0)  # (B, T, D)
    z2 = z2.masked_fill(~valid[..., None], 0.0)  # (B, T, D)
    zero = z1.sum() * 0.0  # keeps every part in the graph
    inst, temp, div, fc = zero, zero, zero, zero
    levels = 0
    while z1.shape[1] > 1:
        inst = inst + instance_contrastive_loss(z1, z2, valid)
        temp = temp + temporal_contrastive_loss(z1, z2, valid)
        div = div + divergence_loss(
            z1, z2, tau, valid, divergence_head, n_pairs=n_pairs, generator=generator
        )
        fc = fc + forecast_loss(
            z1,
            z2,
            tau,
            valid,
            forecast_head,
            max_delta=max_delta,
            n_pairs=n_pairs,
            generator=generator,
        )
        levels += 1
        z1, valid_next = _pool(z1, valid)  # (B, T//2, D)
        z2, _ = _pool(z2, valid)  # (B, T//2, D)
        tau, _ = _pool(tau, valid)  # (B, T//2, K)
        valid = valid_next  # (B, T//2)
    if z1.shape[1] == 1:
        inst = inst + instance_contrastive_loss(z1, z2, valid)
        levels += 1
    levels = max(levels, 1)
    return inst / levels, temp / levels, div / levels, fc / levels


# ------------------------------------------------------------------ the pretraining module


class TRepModule(nn.Module):
    """T-Rep pretraining: two overlapping crops of each context, four pretext tasks.

    ``forward`` takes a pretraining batch (contexts ending at anchors t) and
    returns the four task losses (``TASKS``); the crops follow the public
    code (overlap of random length >= 2, each crop extended by a random
    amount on its own side), drawn once per batch over the batch's W
    positions. In eval mode (validation) the crops and pairs come from a
    fixed seed, so the validation loss is comparable across epochs, and no
    step is masked at random.

    Parameters
    ----------
    encoder : TRepBackbone
    score_window : int
        Z of the anomaly score's adjustment (the public code's 21); 0 scores
        the raw L1 distance.
    max_delta : int
        Forecasting range (the public code's 10; the paper asks for <= 20).
    n_pairs : int
        Pairs per level for the divergence and forecasting tasks (800).
    """

    def __init__(
        self,
        *,
        encoder: TRepBackbone,
        score_window: int = 21,
        max_delta: int = 10,
        n_pairs: int = 800,
    ):
        super().__init__()
        self.encoder = encoder
        K = encoder.time_embedding.dims
        self.divergence_head = DivergenceHead(d_model=encoder.d_model)
        self.forecast_head = ForecastHead(d_model=encoder.d_model, time_embedding_dims=K)
        self.score_window = int(score_window)
        self.max_delta = int(max_delta)
        self.n_pairs = int(n_pairs)

    def _crops(self, W: int, generator):
        """(crop_left, crop_right, extended_left, extended_right) as the public code draws them."""

        def draw(low, high):  # an int uniform in [low, high)
            return int(torch.randint(low, high, (1,), generator=generator))

        length = draw(2, W + 1)
        left = draw(0, W - length + 1)
        right = left + length
        return left, right, draw(0, left + 1), draw(right, W + 1)

    def forward(self, context, context_mask, **_):
        """context (B, W, C), context_mask (B, W) -> the four task losses (scalars)."""
        generator = None if self.training else torch.Generator().manual_seed(0)
        B, W, _ = context.shape
        started = started_steps(context_mask)  # (B, W)
        positions = time_index(W, context.device)  # (W,)
        if W < 2:  # only first steps in the batch: no overlap of two steps to contrast
            z, _ = self.encoder.steps(context, context_mask)  # (B, 1, D)
            return (z.sum() * 0.0,) * len(TASKS)
        left, right, ext_left, ext_right = self._crops(W, generator)
        length = right - left

        def view(a, b):
            keep = None
            if self.training:  # binomial timestamp masking, independently per crop
                draw = torch.rand(B, b - a, generator=generator)  # (B, b-a)
                keep = (draw >= self.encoder.mask_prob).to(context.device)  # (B, b-a)
            return self.encoder.steps(
                context[:, a:b],
                context_mask[:, a:b],
                positions=positions[a:b],
                started=started[:, a:b],
                keep=keep,
            )

        z1, tau1 = view(ext_left, right)  # (B, right-ext_left, D), (..., K)
        z2, _ = view(left, ext_right)  # (B, ext_right-left, D)
        return hierarchical_losses(
            z1[:, -length:],  # (B, length, D): the overlap, under crop 1
            z2[:, :length],  # (B, length, D): the overlap, under crop 2
            tau1[:, -length:],  # (B, length, K)
            started[:, left:right],  # (B, length)
            divergence_head=self.divergence_head,
            forecast_head=self.forecast_head,
            max_delta=self.max_delta,
            n_pairs=self.n_pairs,
            generator=generator,
        )

    def anomaly_score(self, context, context_mask):
        """T-Rep's anomaly score of the last step of each context (higher = more anomalous).

        ``a_p = ||z_p - z_p^masked||_1``, the L1 distance between the
        representation of step p with and without step p masked. With
        ``score_window = Z > 0`` the score of t is adjusted as the paper's
        ``(a_t - mean(a)) / mean(a)`` over the (up to) Z observed steps before
        t in the same context (the public code takes this mean over the
        stream's previous 21 scores; a context ending at t holds them). A row
        without an earlier observed step scores 0; a missing last step scores
        a_t = 0. All Z + 1 distances come from one encoder pass
        (``TRepBackbone.mask_distances``).

        Parameters
        ----------
        context : Tensor (B, W, C)
        context_mask : Tensor (B, W) bool

        Returns
        -------
        Tensor (B,)
        """
        W = context.shape[1]
        Z = min(self.score_window, W - 1)
        steps = W - 1 - torch.arange(Z + 1, device=context.device)  # (Z+1,): t, t-1, ..., t-Z
        a = self.encoder.mask_distances(context, context_mask, steps)  # (B, Z+1)
        if self.score_window == 0:
            return a[:, 0]  # (B,)
        # earlier steps that were observed (a missing step's distance is 0 by construction)
        ok = context_mask[:, W - 1 - Z : W - 1].flip(1)  # (B, Z), column k-1 is step t-k
        n = ok.sum(dim=1)  # (B,)
        mean = torch.where(ok, a[:, 1:], 0.0).sum(dim=1) / n.clamp_min(1)  # (B,)
        adjusted = (a[:, 0] - mean) / mean.clamp_min(1e-6)  # (B,)
        return torch.where(n > 0, adjusted, 0.0)  # (B,)


class TRepLoss(nn.Module):
    """The weighted sum of the four task losses; each is recorded as a part.

    Parameters
    ----------
    weights : sequence of 4 floats
        Weights of the tasks in the order of ``TASKS`` (0.25 each in the paper).
    """

    def __init__(self, *, weights: Sequence[float] = (0.25, 0.25, 0.25, 0.25)):
        super().__init__()
        if len(weights) != len(TASKS):
            raise ValueError(f"weights must hold {len(TASKS)} floats, got {weights!r}.")
        self.weights = tuple(float(w) for w in weights)

    def forward(self, y_pred, y_true=None):
        parts = dict(zip(TASKS, y_pred, strict=True))
        loss = sum(w * parts[name] for w, name in zip(self.weights, TASKS, strict=True))
        return loss, parts
