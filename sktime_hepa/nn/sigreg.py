"""SIGReg: sketched isotropic Gaussian regularisation (LeJEPA).

The embeddings are projected on random unit directions; each 1-D projection is
compared with N(0, 1) by the Epps-Pulley statistic, the weighted squared
distance between its empirical characteristic function and exp(-s^2 / 2)::

    EP = n * integral |phi_n(s) - exp(-s^2/2)|^2 w(s) ds,  w(s) = exp(-s^2/2),

integrated by the trapezoid rule on [0, s_max] (the integrand is even). The
loss is the mean statistic over the directions, which are redrawn at every call.

The factor n makes EP a test statistic (LeJEPA's implementation keeps it): a
batch of n rows off N(0, 1) scores ~n times its distance, so the weight that
balances it against a prediction loss depends on the batch size. ``scale="none"``
drops the factor: the regulariser is then the distance itself, whatever the
batch size (docs/design.md, "The pretraining objective").
"""

from __future__ import annotations

import torch
from torch import nn

SIGREG_SCALES = ("batch", "none")


class SIGReg(nn.Module):
    """Epps-Pulley statistic averaged over random 1-D projections.

    Parameters
    ----------
    n_slices : int
        Random directions per call.
    n_knots : int
        Trapezoid knots on [0, s_max].
    s_max : float
        Upper integration limit; exp(-s^2/2) weighting makes the tail negligible.
    scale : {"batch", "none"}
        "batch" multiplies the distance by the number of rows (the EP test
        statistic, LeJEPA's); "none" returns the distance itself.
    """

    def __init__(
        self, *, n_slices: int = 256, n_knots: int = 17, s_max: float = 3.0, scale: str = "batch"
    ):
        super().__init__()
        if scale not in SIGREG_SCALES:
            raise ValueError(f"scale must be one of {SIGREG_SCALES}, got {scale!r}.")
        self.n_slices = n_slices
        self.scale = scale
        s = torch.linspace(0.0, s_max, n_knots)
        step = s_max / (n_knots - 1)
        trap = torch.full((n_knots,), step)
        trap[[0, -1]] = step / 2
        gauss_cf = torch.exp(-0.5 * s**2)
        self.register_buffer("s", s, persistent=False)
        self.register_buffer("gauss_cf", gauss_cf, persistent=False)
        # x2 for the even integrand folded onto [0, s_max], times the weight w(s)
        self.register_buffer("weights", 2 * trap * gauss_cf, persistent=False)

    def forward(self, z):
        """z (N, D) -> scalar statistic (mean over slices)."""
        N, D = z.shape
        dirs = torch.randn(D, self.n_slices, device=z.device, dtype=z.dtype)
        dirs = dirs / dirs.norm(dim=0, keepdim=True)  # (D, M) unit columns
        proj = z @ dirs  # (N, M)
        arg = proj.unsqueeze(-1) * self.s  # (N, M, S)
        real = torch.cos(arg).mean(dim=0) - self.gauss_cf  # (M, S)
        imag = torch.sin(arg).mean(dim=0)  # (M, S)
        stat = (real**2 + imag**2) @ self.weights  # (M,)
        if self.scale == "batch":
            stat = stat * N
        return stat.mean()
