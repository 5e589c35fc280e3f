"""The baselines' downstream head: a dt-conditioned MLP (paper appendix C)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn


class DtMLPHead(nn.Module):
    """Hazard logits at horizons 1..K from a frozen representation ``h_t``.

    ``z = Linear(d_input, width)(h) + E[dt]`` with a learned horizon embedding
    ``E`` (``n_embeddings x width``), then LayerNorm and a 3-layer MLP
    ``width -> width -> width -> 1``. With ``d_input = width = 256`` and 256
    embeddings it has 263,681 parameters, the paper's "264K".

    The paper reads the MLP output as the event logit of each horizon; here it
    is a per-interval hazard logit composed into the CDF exactly like HEPA's
    event head, so every method's surface is monotone in dt and trained with
    the same loss (docs/design.md).

    Parameters
    ----------
    d_input : int
        Width of the representation.
    width : int, default=256
    n_embeddings : int, default=256
        Rows of the horizon embedding; horizons 1..K use rows 0..K-1.
    """

    def __init__(self, *, d_input: int, width: int = 256, n_embeddings: int = 256):
        super().__init__()
        self.proj = nn.Linear(d_input, width)
        self.horizon_embed = nn.Embedding(n_embeddings, width)
        self.ln = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)
        self.fc_out = nn.Linear(width, 1)

    def forward(self, h, dts):
        """h (B, D_in), dts (K,) float horizons -> hazard logits (B, K)."""
        n = self.horizon_embed.num_embeddings
        if dts.numel() > n:
            raise ValueError(f"DtMLPHead has {n} horizon embeddings, {dts.numel()} requested.")
        e = self.horizon_embed((dts - 1).long())  # (K, W)
        z = self.ln(self.proj(h).unsqueeze(1) + e.unsqueeze(0))  # (B, K, W)
        z = F.gelu(self.fc1(z))  # (B, K, W)
        z = F.gelu(self.fc2(z))  # (B, K, W)
        return self.fc_out(z).squeeze(-1)  # (B, K)
