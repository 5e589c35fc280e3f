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

Spread is necessary, not sufficient: a JEPA predictor can keep its outputs
spread and still ignore the context. ``prediction_reference`` reads the
prediction error (the paper's epsilon) against the error of the same
predictions scored on *another* row's target of (nearly) the same horizon. The
ratio is about 1 for a predictor that does not use the context, whatever the
scale of the embeddings, and well below 1 for one that predicts.
"""

from __future__ import annotations

import numpy as np
import torch

from .nn.sigreg import SIGReg

__all__ = [
    "CollapseWarning",
    "COLLAPSE_COSINE",
    "COLLAPSE_RANK",
    "DT_BANDS",
    "PREDICTION_RATIO_BOUND",
    "PredictionWarning",
    "band_name",
    "embedding_stats",
    "is_collapsed",
    "matched_partners",
    "prediction_reference",
    "sigreg_references",
]

#: Median cosine to the mean row above which embeddings count as collapsed
#: (the collapsed FD001 encoder of issue 7 measured 0.9989; a random-init one 0.6).
COLLAPSE_COSINE = 0.99
#: Effective rank below which embeddings count as collapsed onto a line.
COLLAPSE_RANK = 1.5


#: Held-out prediction ratio (real / shuffled target) above which a pretrained
#: JEPA predictor counts as not predicting. An untrained predictor scores ~1.0
#: (tests/test_prediction_reference.py); a predictive FD001 encoder ~0.5
#: (docs/design.md, "The pretraining objective").
PREDICTION_RATIO_BOUND = 0.8
#: Horizon bands ``[lo, hi]`` of the per-band ratios (None: no upper end).
DT_BANDS = ((1, 3), (4, 15), (16, 63), (64, None))


class CollapseWarning(UserWarning):
    """A fitted encoder maps (nearly) every row to the same embedding."""


class PredictionWarning(UserWarning):
    """A pretrained predictor is no closer to its own target than to another row's."""


class UntrainedWarning(UserWarning):
    """``fit`` ran with ``max_epochs=0``: the fitted network keeps its random initial weights.

    That is a legitimate control (a random-init encoder, the floor that training
    must beat), so it is a warning and not an error; silence it with
    ``warnings.filterwarnings("ignore", category=UntrainedWarning)`` where the
    control is meant.
    """


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
def sigreg_references(
    Z, *, batch_size: int, n_draws: int = 4, seed: int = 0, scale: str = "batch"
) -> dict:
    """SIGReg of N(0, I) batches and of a constant batch, at ``Z``'s width.

    The constant is the mean row of ``Z``, so the reference is the value the
    regulariser would take if the batch collapsed onto its own mean. The
    caller's torch RNG is left untouched. ``scale`` is the regulariser's
    (``SIGReg``): the references are on the scale of the loss they sit beside.

    Returns
    -------
    refs : dict
        ``sigreg_gauss_ref`` and ``sigreg_const_ref``.
    """
    Z = torch.as_tensor(Z).detach().to("cpu", torch.float32)  # (n, d)
    n = max(2, min(batch_size, len(Z)))
    sigreg = SIGReg(scale=scale)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        gauss = np.mean([float(sigreg(torch.randn(n, Z.shape[1]))) for _ in range(n_draws)])
        const = float(sigreg(Z.mean(0, keepdim=True).expand(n, -1)))
    return {"sigreg_gauss_ref": float(gauss), "sigreg_const_ref": const}


def band_name(lo: int, hi: int | None) -> str:
    """History key suffix of a dt band: ``dt1_3``, ``dt64_``."""
    return f"dt{lo}_{'' if hi is None else hi}"


def matched_partners(dt, *, seed: int = 0) -> np.ndarray:
    """For each row, another row whose horizon is (nearly) the same.

    Rows are sorted by ``dt`` with random tie-breaking and each is paired
    with the next one in that order (the last with the first), so the partner
    is a random row of equal or adjacent ``dt``, not a neighbour in time of
    the same series. Matching on ``dt`` keeps a predictor that only reads the
    horizon from looking predictive.
    """
    dt = np.asarray(dt)
    if len(dt) < 2:
        raise ValueError("a shuffled reference needs at least 2 rows.")
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(dt)), dt))  # by dt, random among ties
    partner = np.empty(len(dt), dtype=np.int64)
    partner[order] = np.roll(order, -1)
    return partner


@torch.no_grad()
def prediction_reference(h_hat, h_star, dt, *, seed: int = 0) -> dict:
    """The JEPA prediction error beside its shuffled-target reference.

    Parameters
    ----------
    h_hat, h_star : array-like or Tensor of shape (n, d)
        Predicted and actual target embeddings of n held-out windows.
    dt : array-like of shape (n,)
        The horizon of each window.
    seed : int, default=0
        Tie-breaking of the partner draw (``matched_partners``).

    Returns
    -------
    ref : dict
        ``l1``: mean per-dimension ``|normalize(h_hat) - normalize(h_star)|``
        (the paper's epsilon); ``l1_shuffled``: the same against the target
        of a partner row of (nearly) equal ``dt``; ``ratio``: their quotient
        (about 1 when the predictor ignores the context); ``ratio_<band>``
        per ``DT_BANDS`` band that holds at least 2 rows (NaN otherwise).
    """
    h_hat = torch.nn.functional.normalize(torch.as_tensor(h_hat).detach().cpu().double(), dim=-1)
    h_star = torch.nn.functional.normalize(torch.as_tensor(h_star).detach().cpu().double(), dim=-1)
    dt = np.asarray(torch.as_tensor(dt).cpu()).astype(np.int64)
    partner = torch.from_numpy(matched_partners(dt, seed=seed))
    real = (h_hat - h_star).abs().mean(-1).numpy()  # (n,)
    shuffled = (h_hat - h_star[partner]).abs().mean(-1).numpy()  # (n,)
    out = {
        "l1": float(real.mean()),
        "l1_shuffled": float(shuffled.mean()),
        "ratio": _ratio(real, shuffled),
    }
    for lo, hi in DT_BANDS:
        sel = (dt >= lo) & (dt <= (np.inf if hi is None else hi))
        out[f"ratio_{band_name(lo, hi)}"] = _ratio(real[sel], shuffled[sel])
    return out


def _ratio(real, shuffled) -> float:
    if len(real) < 2 or shuffled.mean() <= 0:
        return float("nan")
    return float(real.mean() / shuffled.mean())
