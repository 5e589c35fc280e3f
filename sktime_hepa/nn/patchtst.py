"""PatchTST-style backbone: channel-independent patches, bidirectional attention."""

from __future__ import annotations

import torch
from torch import nn

from .encoder import Block, context_stats, sinusoidal


class PatchTSTBackbone(nn.Module):
    """Each channel's context is patched and encoded on its own (Nie et al., 2023).

    Channels share the patch embedding and the Transformer; attention runs
    over the patches of one channel in both directions. Each channel's
    outputs are mean-pooled over its real patches and the per-channel vectors
    are flattened and projected to ``d_out`` (PatchTST's flatten head, here
    producing the representation that a downstream head reads). Contexts are
    instance-normalised per channel first (RevIN without the affine part).

    Parameters
    ----------
    n_channels : int
    d_model, n_layers, n_heads, patch_size, dropout :
        PatchTST's defaults: 128, 3, 16, 16, 0.1.
    d_out : int, default=256
        Width of the representation ``h_t``.
    """

    def __init__(
        self,
        *,
        n_channels: int,
        d_model: int = 128,
        n_layers: int = 3,
        n_heads: int = 16,
        patch_size: int = 16,
        dropout: float = 0.1,
        d_out: int = 256,
    ):
        super().__init__()
        self.patch_size = patch_size
        self.d_hidden = d_model
        self.d_model = d_out  # the representation width, as for HEPAEncoder
        self.patch_embed = nn.Linear(patch_size, d_model)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            [Block(d_model=d_model, n_heads=n_heads, dropout=dropout) for _ in range(n_layers)]
        )
        self.ln_f = nn.LayerNorm(d_model)
        self.out = nn.Linear(n_channels * d_model, d_out)

    def forward(self, x, step_mask):
        """x (B, W, C) left-padded contexts, step_mask (B, W) -> h (B, d_out)."""
        B, W, C = x.shape
        P, T = self.patch_size, W // self.patch_size
        mean, std = context_stats(x, step_mask)  # (B, C), (B, C)
        x = (x - mean.unsqueeze(1)) / std.unsqueeze(1) * step_mask.unsqueeze(-1)  # (B, W, C)
        patches = x.transpose(1, 2).reshape(B * C, T, P)  # (B*C, T, P)
        token_mask = step_mask.reshape(B, T, P).any(dim=-1)  # (B, T)
        token_mask = token_mask.repeat_interleave(C, dim=0)  # (B*C, T)
        n_pad = (token_mask.cumsum(dim=1) == 0).sum(dim=1, keepdim=True)  # (B*C, 1) leading
        pos = torch.arange(T, device=x.device) - n_pad  # (B*C, T)
        tok = self.patch_embed(patches) + sinusoidal(pos, self.d_hidden)  # (B*C, T, d)
        if token_mask.all():
            attn_mask = None
        else:
            eye = torch.eye(T, dtype=torch.bool, device=x.device)
            attn_mask = token_mask[:, None, None, :] | eye  # (B*C, 1, T, T)
        z = self.drop(tok)
        for block in self.blocks:
            z = block(z, attn_mask)  # (B*C, T, d)
        z = self.ln_f(z)  # (B*C, T, d)
        m = token_mask.unsqueeze(-1).to(z.dtype)  # (B*C, T, 1)
        pooled = (z * m).sum(dim=1) / m.sum(dim=1).clamp_min(1.0)  # (B*C, d)
        return self.out(pooled.reshape(B, C * self.d_hidden))  # (B, d_out)
