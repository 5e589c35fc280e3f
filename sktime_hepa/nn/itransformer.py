"""iTransformer-style backbone: one token per sensor, attention across sensors."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from .encoder import Block, context_stats


class ITransformerBackbone(nn.Module):
    """The inverted Transformer of Liu et al. (2024) as an encoder.

    Each channel's whole (instance-normalised) context window of
    ``context_length`` steps is embedded linearly into one token; attention
    runs across the channel tokens. The outputs are flattened and projected
    to the representation ``h_t`` of width ``d_out``. Shorter contexts are
    left-padded with zeros up to ``context_length``.

    Parameters
    ----------
    n_channels : int
    context_length : int
        Steps per window (the embedding's input width).
    d_model, n_layers, n_heads, dropout :
        Defaults 256, 2, 4, 0.1 (HEPA's encoder size).
    d_out : int, default=256
    """

    def __init__(
        self,
        *,
        n_channels: int,
        context_length: int,
        d_model: int = 256,
        n_layers: int = 2,
        n_heads: int = 4,
        dropout: float = 0.1,
        d_out: int = 256,
    ):
        super().__init__()
        self.patch_size = 1
        self.context_length = context_length
        self.d_hidden = d_model
        self.d_model = d_out
        self.embed = nn.Linear(context_length, d_model)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            [Block(d_model=d_model, n_heads=n_heads, dropout=dropout) for _ in range(n_layers)]
        )
        self.ln_f = nn.LayerNorm(d_model)
        self.out = nn.Linear(n_channels * d_model, d_out)

    def forward(self, x, step_mask):
        """x (B, W, C) left-padded contexts, W <= context_length -> h (B, d_out)."""
        B, W, C = x.shape
        L = self.context_length
        if W > L:
            raise ValueError(f"context of {W} steps is longer than context_length={L}.")
        mean, std = context_stats(x, step_mask)  # (B, C), (B, C)
        x = (x - mean.unsqueeze(1)) / std.unsqueeze(1) * step_mask.unsqueeze(-1)  # (B, W, C)
        x = F.pad(x, (0, 0, L - W, 0))  # (B, L, C)
        tok = self.embed(x.transpose(1, 2))  # (B, C, d)
        z = self.drop(tok)
        for block in self.blocks:
            z = block(z, None)  # (B, C, d)
        z = self.ln_f(z)  # (B, C, d)
        return self.out(z.reshape(B, C * self.d_hidden))  # (B, d_out)
