"""SensitiveMamba: selective state-space (S6) reconstruction with heteroscedastic uncertainty.

A Mamba encoder reconstructs each step of the window and a head predicts
its log-precision ``s``; training minimises the heteroscedastic NLL
``mse * exp(s) - s`` (variance-weighted, as the original) plus a hierarchical
contrastive term between two cropped-and-masked views; a step is scored by
its per-channel NLL.

The selective scan is plain torch (a sequential recurrence over the window;
no ``mamba_ssm`` CUDA kernels), so it runs on any device. It is causal: step
i's state reads steps <= i only. Padded steps (``context_mask`` False) get a
zero input and a zero step size Delta, so they leave the state unchanged and
a left-padded context gives the same outputs at its real steps as the
unpadded one. RevIN uses the statistics of the context ending at t (the
original: of a window around the scored step).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .encoder import context_stats

__all__ = [
    "HierarchicalContrastiveLoss",
    "MambaEncoderLayer",
    "MambaMixer",
    "ResidualDecoder",
    "SensitiveMambaEncoder",
    "SensitiveMambaLoss",
    "SensitiveMambaModule",
    "selective_scan",
]


def selective_scan(u, delta, A, B, C, D):
    """The S6 recurrence, sequentially over time.

    ``h_i = exp(delta_i A) * h_{i-1} + delta_i B_i u_i`` (zero-order-hold
    discretisation of A, Euler of B, as Mamba), ``y_i = C_i . h_i + D u_i``,
    with ``h_{-1} = 0``.

    Parameters
    ----------
    u, delta : Tensor (b, L, d)
    A : Tensor (d, n), negative
    B, C : Tensor (b, L, n)
    D : Tensor (d,)

    Returns
    -------
    y : Tensor (b, L, d)
    """
    b, L, d = u.shape
    dA = torch.exp(delta.unsqueeze(-1) * A)  # (b, L, d, n)
    dBu = (delta * u).unsqueeze(-1) * B.unsqueeze(2)  # (b, L, d, n)
    h = u.new_zeros(b, d, A.shape[1])  # (b, d, n)
    states = []
    for i in range(L):
        h = dA[:, i] * h + dBu[:, i]  # (b, d, n)
        states.append(h)
    states = torch.stack(states, dim=1)  # (b, L, d, n)
    return torch.einsum("bldn,bln->bld", states, C) + u * D  # (b, L, d)


class MambaMixer(nn.Module):
    """The Mamba block (Gu & Dao 2023) with a plain-torch selective scan.

    in-projection to (x, z); causal depthwise convolution and SiLU on x;
    input-dependent Delta, B, C; selective scan; gate by SiLU(z); out-projection.
    Initialisation as ``mamba_ssm``: S4D-real A (A_n = -n), Delta's bias the
    inverse softplus of a log-uniform draw in [1e-3, 1e-1], D = 1.

    Parameters
    ----------
    d_model : int
    d_state, d_conv, expand : int
        The original's 16, 2, 1.
    """

    def __init__(self, *, d_model: int, d_state: int = 16, d_conv: int = 2, expand: int = 1):
        super().__init__()
        d_inner = expand * d_model
        self.d_conv = d_conv
        self.dt_rank = math.ceil(d_model / 16)
        self.in_proj = nn.Linear(d_model, 2 * d_inner, bias=False)
        self.conv = nn.Conv1d(d_inner, d_inner, d_conv, groups=d_inner)
        self.x_proj = nn.Linear(d_inner, self.dt_rank + 2 * d_state, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, d_inner)
        self.out_proj = nn.Linear(d_inner, d_model, bias=False)
        A = torch.arange(1, d_state + 1, dtype=torch.float32).repeat(d_inner, 1)  # (d_inner, n)
        self.A_log = nn.Parameter(torch.log(A))
        self.D = nn.Parameter(torch.ones(d_inner))
        std = self.dt_rank**-0.5
        nn.init.uniform_(self.dt_proj.weight, -std, std)
        dt = torch.exp(torch.rand(d_inner) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
        dt = dt.clamp_min(1e-4)
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # softplus^-1(dt)

    def forward(self, x, mask):
        """x (b, L, d_model), mask (b, L) -> (b, L, d_model)."""
        m = mask.unsqueeze(-1).to(x.dtype)  # (b, L, 1)
        xs, z = self.in_proj(x).chunk(2, dim=-1)  # 2 x (b, L, d_inner)
        xs = (xs * m).transpose(1, 2)  # (b, d_inner, L); padded steps read as zeros
        xs = self.conv(F.pad(xs, (self.d_conv - 1, 0))).transpose(1, 2)  # (b, L, d_inner)
        xs = F.silu(xs)
        dt, Bm, Cm = self.x_proj(xs).split(
            [self.dt_rank, self.A_log.shape[1], self.A_log.shape[1]], dim=-1
        )  # (b, L, r), (b, L, n), (b, L, n)
        delta = F.softplus(self.dt_proj(dt)) * m  # (b, L, d_inner); Delta = 0 keeps the state
        y = selective_scan(xs, delta, -torch.exp(self.A_log), Bm, Cm, self.D)  # (b, L, d_inner)
        return self.out_proj(y * F.silu(z))  # (b, L, d_model)


class MambaEncoderLayer(nn.Module):
    """Pre-norm residual layer: [Mamba + LayerNorm], LeakyReLU FFN, linear.

    Parameters
    ----------
    d_model, d_hidden : int
        Width and FFN width (SMAP: 64, 128).
    dropout : float
    d_state, d_conv, expand : int
    """

    def __init__(
        self,
        *,
        d_model: int,
        d_hidden: int,
        dropout: float = 0.2,
        d_state: int = 16,
        d_conv: int = 2,
        expand: int = 1,
    ):
        super().__init__()
        self.mixer = MambaMixer(d_model=d_model, d_state=d_state, d_conv=d_conv, expand=expand)
        self.mixer_norm = nn.LayerNorm(d_model)
        self.ffn = nn.Sequential(
            nn.Linear(d_model, d_hidden, bias=False),
            nn.LeakyReLU(),
            nn.Dropout(dropout),
            nn.Linear(d_hidden, d_model, bias=False),
        )
        self.final = nn.Linear(d_model, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, mask):
        x = x + self.dropout(self.mixer_norm(self.mixer(self.norm1(x), mask)))  # (b, L, d)
        x = x + self.dropout(self.ffn(self.norm2(x)))  # (b, L, d)
        return x + self.dropout(self.final(self.norm3(x)))  # (b, L, d)


class SensitiveMambaEncoder(nn.Module):
    """RevIN (context statistics), input projection, Mamba layers.

    ``forward(context, context_mask)`` gives ``h_t`` (B, d_model): the last
    layer's output at the step t the context ends at.

    Parameters
    ----------
    n_channels : int
    d_model, d_hidden, n_layers : int
        SMAP setting 64, 128, 6 (MSL: 4 layers).
    dropout : float
        The original's 0.2.
    d_state, d_conv, expand : int
        16, 2, 1.
    """

    def __init__(
        self,
        *,
        n_channels: int,
        d_model: int = 64,
        d_hidden: int = 128,
        n_layers: int = 6,
        dropout: float = 0.2,
        d_state: int = 16,
        d_conv: int = 2,
        expand: int = 1,
    ):
        super().__init__()
        self.d_model = d_model
        self.in_linear = nn.Linear(n_channels, d_model)
        self.layers = nn.ModuleList(
            [
                MambaEncoderLayer(
                    d_model=d_model,
                    d_hidden=d_hidden,
                    dropout=dropout,
                    d_state=d_state,
                    d_conv=d_conv,
                    expand=expand,
                )
                for _ in range(n_layers)
            ]
        )

    def forward_tokens(self, context, context_mask):
        """(B, W, C), (B, W) -> h (B, W, D), RevIN mean (B, C) and std (B, C)."""
        mean, std = context_stats(context, context_mask)  # 2 x (B, C), real steps only
        x = (context - mean.unsqueeze(1)) / std.unsqueeze(1)  # (B, W, C)
        x = x * context_mask.unsqueeze(-1)  # padded steps are exact zeros
        h = self.in_linear(x)  # (B, W, D)
        for layer in self.layers:
            h = layer(h, context_mask)  # (B, W, D)
        return h, mean, std

    def forward(self, context, context_mask):
        h, _, _ = self.forward_tokens(context, context_mask)  # (B, W, D)
        return h[:, -1]  # (B, D)


class ResidualDecoder(nn.Module):
    """Two ReLU layers with a skip connection, then a projection to the channels."""

    def __init__(self, *, d_model: int, n_channels: int, dropout: float = 0.1):
        super().__init__()
        self.layer1 = nn.Sequential(nn.Linear(d_model, d_model), nn.ReLU(), nn.Dropout(dropout))
        self.layer2 = nn.Sequential(nn.Linear(d_model, d_model), nn.ReLU(), nn.Dropout(dropout))
        self.out = nn.Linear(d_model, n_channels)

    def forward(self, h):
        return self.out(self.layer2(self.layer1(h)) + h)  # (B, W, C)


def two_views(context, context_mask, *, crop_ratio: float, mask_ratio: float):
    """The original's two augmented views: a random crop (one start per view and
    batch) of ``crop_ratio`` of the window, with a random segment of
    ``mask_ratio`` of the crop zeroed per sample.

    Returns ``[(view (B, Lc, C), view mask (B, Lc)), (..., ...)]``.
    """
    B, W, _ = context.shape
    Lc = max(1, int(W * crop_ratio))
    Lm = int(Lc * mask_ratio)
    steps = torch.arange(Lc, device=context.device)  # (Lc,)
    views = []
    for _ in range(2):
        start = int(torch.randint(0, W - Lc + 1, (1,)))
        m_start = torch.randint(0, Lc - Lm + 1, (B, 1)).to(context.device)  # (B, 1)
        zeroed = (steps >= m_start) & (steps < m_start + Lm)  # (B, Lc)
        view = context[:, start : start + Lc].masked_fill(zeroed.unsqueeze(-1), 0.0)
        views.append((view, context_mask[:, start : start + Lc]))  # (B, Lc, C), (B, Lc)
    return views


class SensitiveMambaModule(nn.Module):
    """The encoder, a residual decoder and a log-precision head; trains and scores.

    Buffers ``nll_median`` and ``nll_iqr`` (C,) normalise the per-channel NLL
    before the max over channels; the estimator sets them from training rows
    after pretraining (0 and 1 until then).

    Parameters
    ----------
    encoder : SensitiveMambaEncoder
    n_channels : int
    crop_ratio, mask_ratio : float
        The contrastive views (the original's 0.9 and 0.3).
    """

    def __init__(
        self,
        *,
        encoder: SensitiveMambaEncoder,
        n_channels: int,
        crop_ratio: float = 0.9,
        mask_ratio: float = 0.3,
    ):
        super().__init__()
        self.encoder = encoder
        self.crop_ratio = float(crop_ratio)
        self.mask_ratio = float(mask_ratio)
        self.decoder = ResidualDecoder(d_model=encoder.d_model, n_channels=n_channels)
        self.log_precision = nn.Linear(encoder.d_model, n_channels)
        self.register_buffer("nll_median", torch.zeros(n_channels))
        self.register_buffer("nll_iqr", torch.ones(n_channels))

    def reconstruct(self, context, context_mask):
        """(B, W, C), (B, W) -> reconstruction (B, W, C), log-precision s (B, W, C), h (B, W, D)."""
        h, mean, std = self.encoder.forward_tokens(context, context_mask)  # (B, W, D)
        recon = self.decoder(h) * std.unsqueeze(1) + mean.unsqueeze(1)  # (B, W, C), RevIN undone
        return recon, self.log_precision(h), h

    def forward(self, context, context_mask, **_):
        """Returns (recon, s, context, mask, views); views = [(h, mask)] x 2 in training, else None.

        Evaluation (validation) skips the views: the original's validation loss
        is the plain NLL without the contrastive term.
        """
        recon, s, _ = self.reconstruct(context, context_mask)  # (B, W, C), (B, W, C)
        views = None
        if self.training:
            views = [
                (self.encoder.forward_tokens(v, vm)[0], vm)  # (B, Lc, D), (B, Lc)
                for v, vm in two_views(
                    context, context_mask, crop_ratio=self.crop_ratio, mask_ratio=self.mask_ratio
                )
            ]
        return recon, s, context, context_mask, views

    def channel_nll(self, context, context_mask):
        """Heteroscedastic NLL ``mse * exp(s) - s`` of each context's last step: (B, C)."""
        recon, s, _ = self.reconstruct(context, context_mask)  # (B, W, C)
        mse = (recon[:, -1] - context[:, -1]) ** 2  # (B, C)
        return mse * s[:, -1].exp() - s[:, -1]  # (B, C)

    def window_nll(self, context, context_mask):
        """Heteroscedastic NLL of every step and channel of each window: (B, W, C).

        RevIN uses the whole window's statistics, so a step's NLL reads later
        steps of its window (the published protocol, not a row's score).
        Padded steps are 0.
        """
        recon, s, _ = self.reconstruct(context, context_mask)  # (B, W, C)
        nll = (recon - context) ** 2 * s.exp() - s  # (B, W, C)
        return nll * context_mask.unsqueeze(-1)  # (B, W, C)

    def window_scores(self, context, context_mask):
        """Median/IQR-normalised NLL of every step, max over channels: (B, W)."""
        nll = self.window_nll(context, context_mask)  # (B, W, C)
        z = (nll - self.nll_median) / (self.nll_iqr + 1e-9)  # (B, W, C)
        return z.amax(dim=-1) * context_mask  # (B, W)

    def anomaly_score(self, context, context_mask):
        """Max over channels of the median/IQR-normalised NLL at the last step: (B,)."""
        nll = self.channel_nll(context, context_mask)  # (B, C)
        return ((nll - self.nll_median) / (self.nll_iqr + 1e-9)).amax(dim=-1)  # (B,)


class HierarchicalContrastiveLoss(nn.Module):
    """The original's hierarchical contrastive term between two views' step embeddings.

    At each level (the views, then max-pooled by 2 over time until one step
    is left): ``beta * instance + (1 - beta) * temporal`` (temporal from
    depth ``temporal_unit`` on), summed over levels and divided by the number
    of poolings. As in the original code, *instance* contrasts each (sample,
    step) of view 1 with the same (sample, step) of view 2 against all other
    (sample, step) pairs of view 2; *temporal* contrasts, at each step, a
    sample with the same sample against the batch's other samples; both use
    cosine similarity over ``temperature`` and, as the original, leave the
    positive out of the denominator. Steps padded in either view take no part.

    Parameters
    ----------
    beta : float, default=0.5
    temperature : float, default=0.1
    temporal_unit : int, default=1
    """

    def __init__(self, *, beta: float = 0.5, temperature: float = 0.1, temporal_unit: int = 1):
        super().__init__()
        self.beta = float(beta)
        self.temperature = float(temperature)
        self.temporal_unit = int(temporal_unit)

    def _instance(self, z1, z2, valid):
        a = F.normalize(z1[valid], dim=-1)  # (N, D)
        b = F.normalize(z2[valid], dim=-1)  # (N, D)
        if len(a) < 2:
            return z1.new_zeros(())
        sim = a @ b.T / self.temperature  # (N, N)
        pos = sim.diagonal()  # (N,)
        eye = torch.eye(len(a), dtype=torch.bool, device=a.device)
        return (sim.masked_fill(eye, float("-inf")).logsumexp(dim=1) - pos).mean()

    def _temporal(self, z1, z2, valid):
        a = F.normalize(z1, dim=-1).transpose(0, 1)  # (T, B, D)
        b = F.normalize(z2, dim=-1).transpose(0, 1)  # (T, B, D)
        v = valid.T  # (T, B)
        sim = a @ b.transpose(1, 2) / self.temperature  # (T, B, B)
        pos = sim.diagonal(dim1=1, dim2=2)  # (T, B)
        eye = torch.eye(sim.shape[1], dtype=torch.bool, device=sim.device)
        neg = sim.masked_fill(eye | ~v[:, None, :], float("-inf"))  # (T, B, B)
        rows = v & (v.sum(dim=1, keepdim=True) >= 2)  # (T, B): a real sample with a negative
        if not rows.any():
            return z1.new_zeros(())
        per = torch.where(rows, neg.logsumexp(dim=-1) - pos, torch.zeros_like(pos))  # (T, B)
        steps = rows.any(dim=1)  # (T,)
        per_step = per.sum(dim=1)[steps] / rows.sum(dim=1)[steps]  # (T',)
        return per_step.mean()

    def forward(self, z1, z2, valid):
        """z1, z2 (B, T, D); valid (B, T) bool -> scalar."""
        loss, depth = z1.new_zeros(()), 0
        while True:
            if self.beta > 0:
                loss = loss + self.beta * self._instance(z1, z2, valid)
            if self.beta < 1 and depth >= self.temporal_unit:
                loss = loss + (1 - self.beta) * self._temporal(z1, z2, valid)
            if z1.shape[1] <= 1:
                break
            z1 = F.max_pool1d(z1.transpose(1, 2), kernel_size=2).transpose(1, 2)  # (B, T/2, D)
            z2 = F.max_pool1d(z2.transpose(1, 2), kernel_size=2).transpose(1, 2)  # (B, T/2, D)
            T2 = z1.shape[1]
            valid = valid[:, : 2 * T2].reshape(-1, T2, 2).all(dim=-1)  # (B, T/2)
            depth += 1
        return loss / max(depth, 1)


class SensitiveMambaLoss(nn.Module):
    """Variance-weighted heteroscedastic NLL plus ``gamma`` times the contrastive term.

    Training (views present): ``mean(w * (mse * e^s - s))`` with the original's
    weights ``w = v / mean_batch(v) ** alpha``, ``v = sg(e^-s)`` (``alpha=None``:
    unweighted), plus ``gamma * HierarchicalContrastiveLoss``. Validation (no
    views): the plain NLL ``mean(mse * e^s - s)``, as the original validates.
    Means run over real steps.

    Parameters
    ----------
    alpha : float or None, default=1
    gamma, beta, temperature : float
        1, 0.5, 0.1 as the original.
    """

    def __init__(
        self,
        *,
        alpha: float | None = 1.0,
        gamma: float = 1.0,
        beta: float = 0.5,
        temperature: float = 0.1,
    ):
        super().__init__()
        self.alpha = None if alpha is None else float(alpha)
        self.gamma = float(gamma)
        self.contrastive = HierarchicalContrastiveLoss(beta=beta, temperature=temperature)

    def forward(self, y_pred, y_true=None):
        recon, s, x, mask, views = y_pred
        m = mask.unsqueeze(-1).to(x.dtype)  # (B, W, 1)
        n = (m.sum() * x.shape[-1]).clamp_min(1.0)
        mse = (recon - x) ** 2  # (B, W, C)
        nll = mse * s.exp() - s  # (B, W, C)
        plain = (nll * m).sum() / n
        parts = {"mse": (mse * m).sum() / n, "nll": plain}
        if views is None:
            return plain, parts
        if self.alpha is None:
            weighted = plain
        else:
            var = (-s).exp().detach()  # (B, W, C)
            count = m.sum(dim=0, keepdim=True).clamp_min(1.0)  # (1, W, 1)
            mean_var = ((var * m).sum(dim=0, keepdim=True) / count) ** self.alpha  # (1, W, C)
            weighted = (var * nll / mean_var * m).sum() / n
        (h1, m1), (h2, m2) = views
        cl = self.contrastive(h1, h2, m1 & m2)
        parts.update(weighted_nll=weighted, contrastive=cl)
        return weighted + self.gamma * cl, parts
