"""Training objectives; each returns (loss, named parts for the fit history)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .event_head import log_survival
from .sigreg import SIGREG_SCALES, SIGReg

L1_REDUCTIONS = ("sum", "mean")
SIGREG_ON = ("predictor", "all")


class JEPALoss(nn.Module):
    """(1 - alpha) * L1(normalize(h_hat), normalize(h_star)) + alpha * SIGReg.

    Parameters
    ----------
    alpha : float
        SIGReg weight (paper: 0.1).
    l1_reduction : {"mean", "sum"}
        How the L1 distance is reduced over the embedding dimensions (always
        averaged over the batch). "mean" divides ``||.||_1`` of eq. (2) by d:
        the scale of the paper's reported loss (epsilon ~ 0.015-0.06); "sum"
        is ~d times larger and drowns SIGReg (docs/design.md).
    sigreg_on : {"predictor", "all"}
        "predictor" regularises the predictor output ``h_hat`` only (the
        paper); "all" also the context embedding ``h_t`` and the target
        ``h*`` (as LeJEPA does on every embedding), averaging the three.
    sigreg_scale : {"batch", "none"}
        "batch": SIGReg is the Epps-Pulley test statistic, multiplied by the
        batch size (LeJEPA); "none": the distance itself (``SIGReg``).
    reconstruction_weight : float, default=0.0
        Weight ``beta`` of a term added to the loss: the mean squared error
        of the module's reconstruction of the context's last patch from
        ``h_t`` (outputs 4-6 of ``JEPAModule`` with a decoder). Its reference
        ``recon_mean_ref`` is the error of predicting the context's mean (0
        after normalisation) everywhere.
    """

    def __init__(
        self,
        *,
        alpha: float = 0.1,
        l1_reduction: str = "mean",
        sigreg_on: str = "predictor",
        sigreg_scale: str = "batch",
        reconstruction_weight: float = 0.0,
    ):
        super().__init__()
        if l1_reduction not in L1_REDUCTIONS:
            raise ValueError(f"l1_reduction must be one of {L1_REDUCTIONS}.")
        if sigreg_on not in SIGREG_ON:
            raise ValueError(f"sigreg_on must be one of {SIGREG_ON}.")
        if sigreg_scale not in SIGREG_SCALES:
            raise ValueError(f"sigreg_scale must be one of {SIGREG_SCALES}.")
        self.alpha = alpha
        self.l1_reduction = l1_reduction
        self.sigreg_on = sigreg_on
        self.sigreg = SIGReg(scale=sigreg_scale)
        self.reconstruction_weight = float(reconstruction_weight)

    def forward(self, y_pred, y_true=None):
        h_hat, h_star = y_pred[0], y_pred[1]  # (B, D), (B, D); y_pred[2] is h_t when given
        dist = (F.normalize(h_hat, dim=-1) - F.normalize(h_star, dim=-1)).abs()  # (B, D)
        l1 = dist.sum(-1).mean() if self.l1_reduction == "sum" else dist.mean()
        sig = self.sigreg(h_hat)
        if self.sigreg_on == "all":
            sig = (sig + self.sigreg(y_pred[2]) + self.sigreg(h_star)) / 3
        loss = (1 - self.alpha) * l1 + self.alpha * sig
        if len(y_pred) <= 3:  # no reconstruction outputs
            return loss, {"l1": l1, "sigreg": sig}
        recon, values, mask = y_pred[3:]  # (B, R) each
        w = mask.to(recon.dtype)  # (B, R)
        n = w.sum().clamp_min(1.0)
        mse = (((recon - values) ** 2) * w).sum() / n
        ref = ((values**2) * w).sum().detach() / n  # predicting the context's mean
        loss = loss + self.reconstruction_weight * mse
        return loss, {"l1": l1, "sigreg": sig, "recon": mse, "recon_mean_ref": ref}


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
