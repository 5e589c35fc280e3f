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


def log_survival(hazard_logits):
    """log S_k = sum_{j<=k} log(1 - sigmoid(l_j)) along the last axis (..., K)."""
    # log(1 - sigmoid(l)) = -softplus(l), exact and stable for any l
    return -torch.cumsum(F.softplus(hazard_logits), dim=-1)


def cdf_from_hazard_logits(hazard_logits):
    """p(t, k) = 1 - prod_{j<=k} (1 - lambda_j), non-decreasing in k, in [0, 1]."""
    return -torch.expm1(log_survival(hazard_logits))
