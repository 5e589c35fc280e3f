"""The two assembled networks: JEPA pretraining and event finetuning."""

from __future__ import annotations

import torch
from torch import nn

from .encoder import HEPAEncoder
from .predictor import HorizonPredictor


class JEPAModule(nn.Module):
    """Stage 1: predict the target embedding of ``x_(t, t+dt]`` from ``h_t``."""

    def __init__(self, *, encoder: HEPAEncoder, predictor: HorizonPredictor):
        super().__init__()
        self.encoder = encoder
        self.predictor = predictor

    def forward(self, context, context_mask, target, target_mask, dt):
        """Returns (h_hat, h_star), each (B, D)."""
        stats = self.encoder.context_stats(context, context_mask)  # 2 x (B, C)
        h = self.encoder(context, context_mask, stats=stats)  # (B, D)
        h_hat = self.predictor(h, dt)  # (B, D)
        # weight-shared target branch; no stop-gradient (paper section 3.1)
        h_star = self.encoder.encode_target(target, target_mask, stats=stats)  # (B, D)
        return h_hat, h_star


class EventModule(nn.Module):
    """Stage 2: hazard logits at horizons 1..K for each row.

    Two heads exist: HEPA's (``predictor`` + the shared linear ``head`` on each
    predicted embedding) and the baselines' dt-conditioned MLP (``predictor``
    None, ``head`` a ``DtMLPHead`` taking ``(h, dts)``). ``encoder`` may be
    None when the rows arrive as precomputed embeddings; it may be any module
    mapping ``(context, context_mask)`` to ``(B, D)``.
    """

    def __init__(
        self,
        *,
        encoder: nn.Module | None,
        predictor: HorizonPredictor | None,
        head: nn.Module,
        n_horizons: int,
    ):
        super().__init__()
        self.encoder = encoder
        self.predictor = predictor
        self.head = head
        self.register_buffer("dts", torch.arange(1, n_horizons + 1, dtype=torch.float32))

    def forward(self, h=None, context=None, context_mask=None):
        """Hazard logits (B, K) from embeddings h (B, D) or raw contexts."""
        if h is None:
            h = self.encoder(context, context_mask)  # (B, D)
        if self.predictor is None:
            return self.head(h, self.dts)  # (B, K)
        h_hat = self.predictor.forward_horizons(h, self.dts)  # (B, K, D)
        return self.head(h_hat)  # (B, K)
