"""Cutting per-row contexts and future windows out of series (numpy side).

A row ``(i, t)`` owns the context ``series[i][t - c + 1 : t + 1]`` with
``c = min(t + 1, context_length)`` (all of the history when
``context_length`` is None). Contexts are left-padded so their patches end
exactly at ``t``; future windows ``(t, t + dt]`` are right-padded.

Missing values (NaN, kept by ``as_panel`` under ``missing="mask"``) never
reach a network: a step whose channels are all NaN is a masked step (value 0,
mask False, exactly like padding), and a NaN cell of a partly observed step
reads 0, the channel's training mean in the scaled units. Without NaN the
output is exactly that of the plain copy.
"""

from __future__ import annotations

import numpy as np


def _ceil_to(n: int, p: int) -> int:
    return max(1, -(-n // p)) * p


def context_lengths(t: np.ndarray, context_length: int | None) -> np.ndarray:
    """Real steps in each row's context."""
    return t + 1 if context_length is None else np.minimum(t + 1, context_length)


def gather_contexts(series, sidx, t, *, context_length, patch_size):
    """Contexts of rows ``(sidx[b], t[b])``.

    Returns
    -------
    x : ndarray of float32, shape (B, W, C)
        W is the longest context rounded up to the patch size; rows are
        left-padded with zeros.
    mask : ndarray of bool, shape (B, W)
        True on real, observed steps; False on padding and on missing steps.
    """
    lengths = context_lengths(np.asarray(t), context_length)
    W = _ceil_to(int(lengths.max()), patch_size)
    C = series[0].shape[1]
    x = np.zeros((len(t), W, C), dtype=np.float32)
    mask = np.zeros((len(t), W), dtype=bool)
    for b, (s, tb, n) in enumerate(zip(sidx, t, lengths, strict=True)):
        x[b, W - n :] = series[s][tb - n + 1 : tb + 1]
        mask[b, W - n :] = True
    return _mask_missing(x, mask)


def gather_futures(series, sidx, t, dt, *, patch_size, length=None):
    """Future windows of rows ``(sidx[b], t[b])`` at horizons ``dt[b]``; layout as contexts.

    With ``length`` None the window is the interval ``(t, t + dt]``,
    right-padded to a multiple of the patch size. With ``length`` an int it
    is the ``length`` steps ending at ``t + dt`` (a fixed-length target: for
    ``dt < length`` it reaches back before ``t``; steps before the series
    start are masked padding on the left).
    """
    C = series[0].shape[1]
    if length is None:
        W = _ceil_to(int(np.max(dt)), patch_size)
        x = np.zeros((len(t), W, C), dtype=np.float32)
        mask = np.zeros((len(t), W), dtype=bool)
        for b, (s, tb, n) in enumerate(zip(sidx, t, dt, strict=True)):
            x[b, :n] = series[s][tb + 1 : tb + 1 + n]
            mask[b, :n] = True
        return _mask_missing(x, mask)
    W = _ceil_to(int(length), patch_size)
    x = np.zeros((len(t), W, C), dtype=np.float32)
    mask = np.zeros((len(t), W), dtype=bool)
    for b, (s, tb, n) in enumerate(zip(sidx, t, dt, strict=True)):
        end = tb + n + 1  # one past t + dt
        start = max(0, end - length)
        x[b, W - (end - start) :] = series[s][start:end]
        mask[b, W - (end - start) :] = True
    return _mask_missing(x, mask)


def _mask_missing(x, mask):
    """NaN cells -> 0; steps with every channel NaN -> masked (in place)."""
    nan = np.isnan(x)  # (B, W, C)
    if nan.any():
        mask &= ~nan.all(axis=-1)  # (B, W)
        x[nan] = 0.0
    return x, mask


def row_chunks(panel, rows: np.ndarray, chunk_size: int, context_length):
    """Split row numbers into chunks of similar context length.

    With a whole-history context the cost of a chunk follows its longest
    context, so rows are ordered by context length first; the caller writes
    results back by row number.
    """
    sidx, t = panel.rows()
    sidx, t = sidx[rows], t[rows]
    order = np.argsort(context_lengths(t, context_length), kind="stable")
    for start in range(0, len(rows), chunk_size):
        sel = order[start : start + chunk_size]
        yield sel, sidx[sel], t[sel]
