"""The HEPA encoder: patches, instance normalisation, a small Transformer.

One set of weights serves both roles of the paper (section 3.1):

* context encoder: causal attention over the patches of ``x_{<=t}``; the
  summary embedding ``h_t`` is the (final-norm) output of the last patch, the
  one ending at ``t``;
* target encoder: the same blocks run bidirectionally over the patches of the
  future interval ``x_{(t, t+dt]}``, pooled by attention into ``h*``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

NORMALIZATIONS = ("instance", "instance_stats", "none")


class SelfAttention(nn.Module):
    """Multi-head attention; queries may be a suffix of the keys."""

    def __init__(self, *, d_model: int, n_heads: int, dropout: float):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}.")
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.dropout = dropout
        self.resid_dropout = nn.Dropout(dropout)

    def forward(self, x, attn_mask, *, is_causal: bool = False, n_query: int | None = None):
        """x (B, T, D); attn_mask (B, 1, T, T) bool or None (then ``is_causal`` applies)."""
        B, T, D = x.shape
        H = self.n_heads
        q, k, v = self.qkv(x).split(D, dim=-1)  # 3 x (B, T, D)
        if n_query is not None:
            # only the last n_query positions are needed downstream; the last
            # position sees every key under a causal mask, so none is needed
            q = q[:, -n_query:]  # (B, Tq, D)
            attn_mask = None if attn_mask is None else attn_mask[:, :, -n_query:]  # (B,1,Tq,T)
            is_causal = is_causal and n_query > 1
        q = q.view(B, -1, H, D // H).transpose(1, 2)  # (B, H, Tq, D/H)
        k = k.view(B, T, H, D // H).transpose(1, 2)  # (B, H, T, D/H)
        v = v.view(B, T, H, D // H).transpose(1, 2)  # (B, H, T, D/H)
        y = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=attn_mask,
            dropout_p=self.dropout if self.training else 0.0,
            is_causal=is_causal and attn_mask is None,
        )  # (B, H, Tq, D/H)
        y = y.transpose(1, 2).reshape(B, -1, D)  # (B, Tq, D)
        return self.resid_dropout(self.proj(y))


class Block(nn.Module):
    """Pre-norm Transformer block (attention, then a 4x GELU MLP)."""

    def __init__(self, *, d_model: int, n_heads: int, dropout: float):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = SelfAttention(d_model=d_model, n_heads=n_heads, dropout=dropout)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, 4 * d_model),
            nn.GELU(),
            nn.Linear(4 * d_model, d_model),
            nn.Dropout(dropout),
        )

    def forward(self, x, attn_mask, *, is_causal: bool = False, n_query: int | None = None):
        x_q = x if n_query is None else x[:, -n_query:]  # (B, Tq, D)
        x = x_q + self.attn(self.ln_1(x), attn_mask, is_causal=is_causal, n_query=n_query)
        return x + self.mlp(self.ln_2(x))  # (B, Tq, D)


class AttentionPool(nn.Module):
    """A learned query attends over the valid tokens (target encoder summary)."""

    def __init__(self, *, d_model: int):
        super().__init__()
        self.query = nn.Parameter(torch.zeros(d_model))

    def forward(self, x, token_mask):
        scores = x @ self.query / math.sqrt(x.shape[-1])  # (B, T)
        # a window without a valid token (all of it missing) pools over every token
        # instead of giving NaN
        hide = ~token_mask & token_mask.any(dim=-1, keepdim=True)  # (B, T)
        scores = scores.masked_fill(hide, float("-inf"))
        weights = scores.softmax(dim=-1)  # (B, T)
        return (weights.unsqueeze(-1) * x).sum(dim=1)  # (B, D)


def sinusoidal(positions, d_model: int):
    """Sinusoidal encodings of (possibly negative) float positions."""
    half = d_model // 2
    freq = torch.exp(
        -math.log(10000.0) * torch.arange(half, device=positions.device) / max(half, 1)
    )  # (D/2,)
    angle = positions.unsqueeze(-1).float() * freq  # (..., D/2)
    enc = torch.cat([angle.sin(), angle.cos()], dim=-1)  # (..., 2*(D/2))
    return F.pad(enc, (0, d_model - enc.shape[-1]))  # (..., D)


def context_stats(x, step_mask):
    """Per-channel mean and std over the valid steps: x (B, W, C) -> 2 x (B, C)."""
    m = step_mask.unsqueeze(-1).to(x.dtype)  # (B, W, 1)
    n = m.sum(dim=1).clamp_min(1.0)  # (B, 1)
    mean = (x * m).sum(dim=1) / n  # (B, C)
    var = (((x - mean.unsqueeze(1)) * m) ** 2).sum(dim=1) / n  # (B, C)
    return mean, (var + 1e-5).sqrt()  # (B, C), (B, C)


class HEPAEncoder(nn.Module):
    """Patch Transformer encoder shared by the context and target branches.

    Parameters
    ----------
    n_channels : int
        Sensors per step.
    d_model, n_layers, n_heads, patch_size, dropout :
        Paper defaults 256, 2, 4, 16, 0.1.
    normalization : {"instance", "instance_stats", "none"}
        "instance" (paper): each context is standardised per channel by its own
        mean and std. "instance_stats": the same, plus one extra leading token
        carrying the context's mean and log-std, so absolute levels survive.
        "none": no per-context normalisation (inputs are already scaled).

    Masked steps (``step_mask`` False: the left padding and, under
    ``missing="mask"``, missing steps) are left out of the instance statistics
    and enter their patch as exact zeros, whatever value they hold. A patch
    without a real step is a padded token (no other token attends to it; the
    positions of the later patches keep counting from the oldest real one). A
    partly missing patch is kept: the patch embedding has no per-step mask, so
    its missing steps read 0, the context's mean after normalisation.
    """

    def __init__(
        self,
        *,
        n_channels: int,
        d_model: int = 256,
        n_layers: int = 2,
        n_heads: int = 4,
        patch_size: int = 16,
        dropout: float = 0.1,
        normalization: str = "instance",
    ):
        super().__init__()
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {NORMALIZATIONS}.")
        self.patch_size = patch_size
        self.d_model = d_model
        self.normalization = normalization
        self.patch_embed = nn.Linear(patch_size * n_channels, d_model)
        self.stats_embed = (
            nn.Linear(2 * n_channels, d_model) if normalization == "instance_stats" else None
        )
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            [Block(d_model=d_model, n_heads=n_heads, dropout=dropout) for _ in range(n_layers)]
        )
        self.ln_f = nn.LayerNorm(d_model)
        self.pool = AttentionPool(d_model=d_model)

    def context_stats(self, x, step_mask):
        """Per-channel mean and std over the valid steps of each context."""
        return context_stats(x, step_mask)

    def last_patch(self, x, step_mask, stats):
        """The context's last patch as the encoder sees it, and its step mask.

        (B, W, C) -> values (B, P, C), normalised like the tokens (masked steps
        exact zeros), and their step mask (B, P).
        """
        P = self.patch_size
        values = x[:, -P:]  # (B, P, C)
        if self.normalization != "none":
            mean, std = stats
            values = (values - mean.unsqueeze(1)) / std.unsqueeze(1)  # (B, P, C)
        mask = step_mask[:, -P:]  # (B, P)
        return values * mask.unsqueeze(-1), mask

    def _tokens(self, x, step_mask, stats):
        """Normalise, patch and embed.

        (B, W, C) -> tokens (B, T, D), token mask (B, T), normalised patches (B, T, P*C).
        """
        B, W, C = x.shape
        P = self.patch_size
        if self.normalization != "none":
            mean, std = stats
            x = (x - mean.unsqueeze(1)) / std.unsqueeze(1)  # (B, W, C)
        x = x * step_mask.unsqueeze(-1)  # padded steps are exact zeros
        patches = x.reshape(B, W // P, P * C)  # (B, T, P*C)
        token_mask = step_mask.reshape(B, W // P, P).any(dim=-1)  # (B, T)
        return self.patch_embed(patches), token_mask, patches

    def _run(self, tok, token_mask, *, causal: bool, summary_only: bool):
        B, T, _ = tok.shape
        if token_mask.all():
            attn_mask = None  # no padding: the fused is_causal kernels apply
        else:
            attn_mask = token_mask[:, None, None, :]  # (B, 1, 1, T)
            if causal:
                tri = torch.ones(T, T, dtype=torch.bool, device=tok.device).tril()
                attn_mask = attn_mask & tri  # (B, 1, T, T)
            # a padded query with no allowed key would give NaN: let it see itself
            eye = torch.eye(T, dtype=torch.bool, device=tok.device)
            attn_mask = attn_mask | eye  # (B, 1, T, T)
        x = self.drop(tok)
        for i, block in enumerate(self.blocks):
            last = summary_only and i == len(self.blocks) - 1
            x = block(x, attn_mask, is_causal=causal, n_query=1 if last else None)
        return self.ln_f(x)  # (B, T or 1, D)

    def _context_tokens(self, x, step_mask, stats, *, masked=None, mask_token=None):
        """Embedded, positioned context tokens (and the stats token, if any).

        ``masked`` (B, T) replaces those patch embeddings by ``mask_token`` (D,)
        before positions are added (masked pretraining of the MAE baseline).
        """
        tok, token_mask, patches = self._tokens(x, step_mask, stats)  # (B,T,D), (B,T), (B,T,PC)
        if masked is not None:
            tok = torch.where(masked.unsqueeze(-1), mask_token.to(tok.dtype), tok)  # (B, T, D)
        # positions count from the oldest real patch of the context; a patch whose
        # steps are all missing later in the context keeps its slot
        n_pad = (token_mask.cumsum(dim=1) == 0).sum(dim=1, keepdim=True)  # (B, 1)
        pos = torch.arange(tok.shape[1], device=tok.device) - n_pad  # (B, T)
        tok = tok + sinusoidal(pos, self.d_model)
        if self.stats_embed is not None:
            mean, std = stats
            extra = self.stats_embed(torch.cat([mean, std.log()], dim=-1))  # (B, D)
            # leading token: visible to every patch under the causal mask
            tok = torch.cat([extra.unsqueeze(1), tok], dim=1)  # (B, 1+T, D)
            token_mask = F.pad(token_mask, (1, 0), value=True)  # (B, 1+T)
        return tok, token_mask, patches

    def forward(self, x, step_mask, *, stats=None):
        """Summary embedding ``h_t`` of each context.

        Parameters
        ----------
        x : Tensor (B, W, C)
            Contexts ending at ``t``, left-padded to a multiple of the patch size.
        step_mask : BoolTensor (B, W)
            True on real steps.
        stats : tuple of Tensor, optional
            Precomputed ``context_stats``.

        Returns
        -------
        h : Tensor (B, D)
        """
        stats = self.context_stats(x, step_mask) if stats is None else stats
        tok, token_mask, _ = self._context_tokens(x, step_mask, stats)  # (B, T', D), (B, T')
        return self._run(tok, token_mask, causal=True, summary_only=True)[:, -1]  # (B, D)

    def forward_tokens(self, x, step_mask, *, masked, mask_token):
        """Causal outputs of every patch token, with some patches masked.

        Returns
        -------
        out : Tensor (B, T, D)
            One output per patch (the stats token, if any, is dropped).
        token_mask : BoolTensor (B, T)
            True on patches holding real steps.
        patches : Tensor (B, T, P*C)
            The normalised input patches (reconstruction targets).
        """
        stats = self.context_stats(x, step_mask)
        tok, token_mask, patches = self._context_tokens(
            x, step_mask, stats, masked=masked, mask_token=mask_token
        )
        out = self._run(tok, token_mask, causal=True, summary_only=False)  # (B, T', D)
        T = patches.shape[1]
        return out[:, -T:], token_mask[:, -T:], patches

    def encode_target(self, x, step_mask, *, stats):
        """Target representation ``h*`` of future intervals (bidirectional + pool).

        Parameters
        ----------
        x : Tensor (B, W, C)
            Steps ``t+1 .. t+dt``, right-padded to a multiple of the patch size.
        step_mask : BoolTensor (B, W)
        stats : tuple of Tensor
            The statistics of the matching contexts: the future is normalised by
            the past, so a level shift after ``t`` stays visible.

        Returns
        -------
        h_star : Tensor (B, D)
        """
        tok, token_mask, _ = self._tokens(x, step_mask, stats)  # (B, T, D), (B, T)
        pos = torch.arange(tok.shape[1], device=tok.device).expand(tok.shape[0], -1)  # (B, T)
        tok = tok + sinusoidal(pos, self.d_model)
        out = self._run(tok, token_mask, causal=False, summary_only=False)  # (B, T, D)
        return self.pool(out, token_mask)  # (B, D)
