"""Horizon-conditioned predictor g(h_t, dt) -> predicted future embedding."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class HorizonPredictor(nn.Module):
    """MLP on ``[h_t; dt]``: Linear(d+1, hidden) -> GELU -> Linear(hidden, d).

    With d=256 and hidden=384 it has 197,632 parameters: the paper's "197.6K"
    (appendix C calls it 3-layer counting input/hidden/output, section 3.1
    2-layer counting weight matrices; see docs/design.md).

    Parameters
    ----------
    d_model : int
    hidden : int
    horizon_scale : float
        ``dt`` enters as ``dt / horizon_scale`` (the largest pretraining horizon),
        so it lies in (0, 1] for the trained range.
    """

    def __init__(self, *, d_model: int = 256, hidden: int = 384, horizon_scale: float = 200.0):
        super().__init__()
        self.horizon_scale = float(horizon_scale)
        self.fc_in = nn.Linear(d_model + 1, hidden)
        self.fc_out = nn.Linear(hidden, d_model)

    def forward(self, h, dt):
        """h (B, D), dt (B,) -> (B, D)."""
        z = torch.cat([h, (dt / self.horizon_scale).unsqueeze(-1).to(h.dtype)], dim=-1)
        return self.fc_out(F.gelu(self.fc_in(z)))  # (B, D)

    def forward_horizons(self, h, dts):
        """Every row at every horizon at once: h (B, D), dts (K,) -> (B, K, D).

        The first layer is linear in ``[h; dt]``, so its ``h`` part is computed
        once per row and the ``dt`` column is broadcast over the K horizons.
        """
        D = h.shape[-1]
        w_h, w_dt = self.fc_in.weight[:, :D], self.fc_in.weight[:, D]  # (H, D), (H,)
        a = F.linear(h, w_h, self.fc_in.bias)  # (B, H)
        b = (dts.to(h.dtype) / self.horizon_scale).unsqueeze(-1) * w_dt  # (K, H)
        z = F.gelu(a.unsqueeze(1) + b.unsqueeze(0))  # (B, K, H)
        return self.fc_out(z)  # (B, K, D)
