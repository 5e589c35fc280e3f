"""Collapse diagnostics: is an embedding spread out, or does every row map to one vector?

A JEPA objective has a trivial minimum: every context and every target maps to
the same vector, and the prediction error is zero. A collapsed encoder still
trains, still predicts, and its loss looks excellent, so these statistics are
recorded per pretraining epoch and checked once more on the fitted encoder.
Each is read against a reference value computed here as well:

* ``std``: mean per-dimension standard deviation. Scale dependent; an encoder
  ending in LayerNorm starts near 1.
* ``rank``: effective rank, the participation ratio ``(sum l)^2 / sum l^2`` of
  the covariance spectrum ``l``: 1 when all variance lies on one direction, D
  for an isotropic cloud, at most ``min(n - 1, D)`` for n rows.
* ``cos``: median cosine between a row and the mean row: near 0 for a centred
  cloud, near 1 when every row is nearly the mean vector (collapse).
* SIGReg of a batch beside its value for an N(0, I) batch and for a constant
  batch of the same size: the statistic grows with the batch size for a
  constant, so it means nothing without the two.
"""

from __future__ import annotations

import numpy as np
import torch

from .nn.sigreg import SIGReg

__all__ = [
    "CollapseWarning",
    "COLLAPSE_COSINE",
    "COLLAPSE_RANK",
    "embedding_stats",
    "is_collapsed",
    "sigreg_references",
]

#: Median cosine to the mean row above which embeddings count as collapsed
#: (the collapsed FD001 encoder of issue 7 measured 0.9989; a random-init one 0.6).
COLLAPSE_COSINE = 0.99
#: Effective rank below which embeddings count as collapsed onto a line.
COLLAPSE_RANK = 1.5


class CollapseWarning(UserWarning):
    """A fitted encoder maps (nearly) every row to the same embedding."""


def embedding_stats(Z) -> dict:
    """Spread statistics of a batch of embeddings.

    Parameters
    ----------
    Z : array-like or Tensor of shape (n_rows, d)

    Returns
    -------
    stats : dict
        ``std`` (mean per-dimension std), ``rank`` (participation ratio of the
        covariance spectrum) and ``cos`` (median cosine of a row to the mean
        row), all floats; NaN when fewer than 2 rows are given.
    """
    Z = torch.as_tensor(np.asarray(Z) if not isinstance(Z, torch.Tensor) else Z)
    Z = Z.detach().to("cpu", torch.float64)  # (n, d)
    if Z.ndim != 2:
        raise ValueError(f"embeddings must be 2-D (n_rows, d), got shape {tuple(Z.shape)}.")
    if len(Z) < 2:
        return {"std": float("nan"), "rank": float("nan"), "cos": float("nan")}
    centred = Z - Z.mean(0)  # (n, d)
    std = float(centred.std(0).mean())
    # the n x n Gram matrix has the covariance's non-zero spectrum; use the smaller one
    small = centred @ centred.T if len(Z) < Z.shape[1] else centred.T @ centred
    eig = torch.linalg.eigvalsh(small).clamp_min(0)  # (min(n, d),)
    rank = float(eig.sum() ** 2 / (eig**2).sum()) if eig.sum() > 0 else 1.0
    mean = Z.mean(0, keepdim=True)  # (1, d)
    cos = torch.nn.functional.cosine_similarity(Z, mean.expand_as(Z), dim=1)  # (n,)
    return {"std": std, "rank": rank, "cos": float(cos.median())}


def is_collapsed(stats: dict) -> bool:
    """Whether ``embedding_stats`` describe collapsed embeddings."""
    return bool(stats["cos"] > COLLAPSE_COSINE or stats["rank"] < COLLAPSE_RANK)


@torch.no_grad()
def sigreg_references(Z, *, batch_size: int, n_draws: int = 4, seed: int = 0) -> dict:
    """SIGReg of N(0, I) batches and of a constant batch, at ``Z``'s width.

    The constant is the mean row of ``Z``, so the reference is the value the
    regulariser would take if the batch collapsed onto its own mean. The
    caller's torch RNG is left untouched.

    Returns
    -------
    refs : dict
        ``sigreg_gauss_ref`` and ``sigreg_const_ref``.
    """
    Z = torch.as_tensor(Z).detach().to("cpu", torch.float32)  # (n, d)
    n = max(2, min(batch_size, len(Z)))
    sigreg = SIGReg()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        gauss = np.mean([float(sigreg(torch.randn(n, Z.shape[1]))) for _ in range(n_draws)])
        const = float(sigreg(Z.mean(0, keepdim=True).expand(n, -1)))
    return {"sigreg_gauss_ref": float(gauss), "sigreg_const_ref": const}
