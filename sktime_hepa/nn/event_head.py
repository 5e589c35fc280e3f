"""Event head: per-horizon hazards composed into a monotone survival CDF."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class EventHead(nn.Module):
    """LayerNorm + Linear -> hazard logit (769 parameters at d=256)."""

    def __init__(self, *, d_model: int = 256):
        super().__init__()
        self.norm = nn.LayerNorm(d_model)
        self.linear = nn.Linear(d_model, 1)

    def forward(self, h_hat):
        """h_hat (..., D) -> hazard logits (...)."""
        return self.linear(self.norm(h_hat)).squeeze(-1)


class LinearProbeHead(nn.Module):
    """The paper's linear probe on ``h_t`` (appendix F: 257 parameters at d=256).

    One ``Linear(d, 1)`` reads the frozen encoder's ``h_t`` itself (no
    predictor) and gives the row a single hazard logit, shared by every
    horizon: ``p(t, k) = 1 - (1 - sigmoid(w . h_t + b))^k``, monotone in k by
    construction. The surface of a row is then fixed by one number, so each
    horizon ranks rows the same way; what the probe measures is how linearly
    ``h_t`` encodes the risk.
    """

    def __init__(self, *, d_model: int = 256):
        super().__init__()
        self.linear = nn.Linear(d_model, 1)

    def forward(self, h, dts):
        """h (B, D), dts (K,) -> hazard logits (B, K), constant along K."""
        return self.linear(h).expand(-1, dts.numel())  # (B, K)


def log_survival(hazard_logits):
    """log S_k = sum_{j<=k} log(1 - sigmoid(l_j)) along the last axis (..., K)."""
    # log(1 - sigmoid(l)) = -softplus(l), exact and stable for any l
    return -torch.cumsum(F.softplus(hazard_logits), dim=-1)


def cdf_from_hazard_logits(hazard_logits):
    """p(t, k) = 1 - prod_{j<=k} (1 - lambda_j), non-decreasing in k, in [0, 1]."""
    return -torch.expm1(log_survival(hazard_logits))
