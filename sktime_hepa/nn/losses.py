"""Training objectives; each returns (loss, named parts for the fit history)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .event_head import log_survival
from .sigreg import SIGReg

L1_REDUCTIONS = ("sum", "mean")


class JEPALoss(nn.Module):
    """(1 - alpha) * L1(normalize(h_hat), normalize(h_star)) + alpha * SIGReg(h_hat).

    Parameters
    ----------
    alpha : float
        SIGReg weight (paper: 0.1).
    l1_reduction : {"sum", "mean"}
        How the L1 distance is reduced over the embedding dimensions (always
        averaged over the batch). "sum" is the norm ||.||_1 of eq. (2); "mean"
        divides it by d. See docs/design.md for the measured difference.
    """

    def __init__(self, *, alpha: float = 0.1, l1_reduction: str = "sum"):
        super().__init__()
        if l1_reduction not in L1_REDUCTIONS:
            raise ValueError(f"l1_reduction must be one of {L1_REDUCTIONS}.")
        self.alpha = alpha
        self.l1_reduction = l1_reduction
        self.sigreg = SIGReg()

    def forward(self, y_pred, y_true=None):
        h_hat, h_star = y_pred  # (B, D), (B, D)
        dist = (F.normalize(h_hat, dim=-1) - F.normalize(h_star, dim=-1)).abs()  # (B, D)
        l1 = dist.sum(-1).mean() if self.l1_reduction == "sum" else dist.mean()
        sig = self.sigreg(h_hat)
        loss = (1 - self.alpha) * l1 + self.alpha * sig
        return loss, {"l1": l1, "sigreg": sig}


def _log1mexp(x):
    """log(1 - exp(x)) for x <= 0, stable near 0 and near -inf."""
    x = x.clamp_max(-1e-7)
    return torch.where(x > -0.6931, torch.log(-torch.expm1(x)), torch.log1p(-torch.exp(x)))


class SurvivalBCELoss(nn.Module):
    """Positive-weighted BCE on the survival CDF over known cells (eq. 5).

    Summed over horizons, averaged over rows; unknown (censored) cells are
    excluded. Works in log space: log(1 - p) = log S and log p = log(1 - S).
    """

    def __init__(self, *, pos_weight: float = 1.0):
        super().__init__()
        self.pos_weight = float(pos_weight)

    def forward(self, y_pred, y_true):
        labels, known = y_true  # (B, K) float, (B, K) bool
        log_s = log_survival(y_pred)  # (B, K) log(1 - p)
        log_p = _log1mexp(log_s)  # (B, K) log p
        nll = -(self.pos_weight * labels * log_p + (1 - labels) * log_s)  # (B, K)
        nll = torch.where(known, nll, torch.zeros_like(nll))
        return nll.sum(-1).mean(), {}
