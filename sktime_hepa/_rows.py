"""Where training and inference rows come from: windows, labelled rows, row sources.

A *row source* is the one object that carries the rows of an X downstream of
its validation: either embeddings ``h_t`` computed upstream
(:class:`EmbeddingRows`) or the rows of a scaled panel whose contexts are cut
per batch (:class:`PanelRows`). The event network's training set, its collate
function and chunked inference all ask the source, so "embeddings or raw rows"
is decided once, where X is read.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from ._windows import gather_contexts, gather_futures, row_chunks
from .panel import Panel

__all__ = [
    "HEPAEmbeddings",
    "MAX_HISTORY",
    "ContextLengthWarning",
    "EmbeddingRows",
    "EventRows",
    "PanelRows",
    "PretrainWindows",
    "pretrain_collate",
]

#: Longest context, in steps, that ``context_length=None`` ("the whole history")
#: reads. Without a bound the cost of scoring a series grows with the square of
#: its length (2k steps 0.4 s, 20k steps 52 s, 200k never finished); with it,
#: linearly. Every C-MAPSS history (at most 543 cycles) is far below it.
MAX_HISTORY = 4096


class ContextLengthWarning(UserWarning):
    """A whole-history context was cut to ``MAX_HISTORY`` steps."""


class HEPAEmbeddings(np.ndarray):
    """A plain float array of embeddings ``h_t`` that remembers its origin.

    Every encoder's ``transform`` returns this ndarray subclass so that a
    downstream ``HEPAEventPredictor`` in a Pipeline knows its rows are
    embeddings, not a sensor series. It behaves as a numpy array everywhere.

    Attributes
    ----------
    groups : ndarray of shape (n_rows,) or None
        Series index of every row, set on the array that ``transform`` returns
        (so that per-step event labels are not carried across series); None on
        slices, views and unpickled copies, whose rows may no longer line up.
    """

    def __array_finalize__(self, obj):
        self.groups = None


_EMBEDDING_COLUMN = re.compile(r"^([a-z_]+?)(\d+)$")
#: Column prefixes of the encoders' ``get_feature_names_out`` (each encoder
#: class adds its own when it is defined).
EMBEDDING_PREFIXES: set = set()


def is_embedding_frame(X) -> bool:
    """A DataFrame whose columns are an encoder's ``get_feature_names_out`` (hepa0, hepa1, ...).

    That is what embeddings become under ``set_output(transform="pandas")``.
    """
    if not isinstance(X, pd.DataFrame) or X.shape[1] == 0:
        return False
    parts = [_EMBEDDING_COLUMN.match(c) if isinstance(c, str) else None for c in X.columns]
    if not all(parts):
        return False
    prefixes = {m.group(1) for m in parts}
    numbers = [int(m.group(2)) for m in parts]
    return (
        prefixes <= EMBEDDING_PREFIXES
        and len(prefixes) == 1
        and numbers == list(range(len(numbers)))
    )


def is_embeddings(X) -> bool:
    """Whether X holds embeddings from an encoder rather than sensor series."""
    return isinstance(X, HEPAEmbeddings) or is_embedding_frame(X)


def read_embeddings(X):
    """(array (n, d), series index per row or None) of embeddings in any accepted form."""
    groups = getattr(X, "groups", None)
    if isinstance(X, pd.DataFrame):
        index = X.index
        groups = pd.factorize(index.get_level_values(0))[0] if index.nlevels == 2 else None
    H = np.asarray(X)
    if groups is not None and len(groups) != len(H):
        groups = None
    return H, groups


def effective_context_length(context_length, lengths) -> int | None:
    """``context_length``, or the bound on a whole history where a series exceeds it."""
    if context_length is not None or int(np.max(lengths, initial=0)) <= MAX_HISTORY:
        return context_length
    longest = int(np.max(lengths))
    warnings.warn(
        f"context_length=None reads whole histories, but a series of X has {longest} steps: "
        f"contexts are cut to the last {MAX_HISTORY} steps. Uncut, every row would read its "
        f"whole past, so scoring this series would cost about {longest / (2 * MAX_HISTORY):.1f} "
        "times more than at the cap, a cost growing with the square of its length (a "
        "200k-step series never finished); cut, it grows linearly. "
        "Set context_length (e.g. 512, the default) to choose the window yourself.",
        ContextLengthWarning,
        stacklevel=4,
    )
    return MAX_HISTORY


class PretrainWindows(Dataset):
    """(series, t, dt) samples for JEPA pretraining.

    Anchors are rows with at least one future step in their series. With
    ``stride > 1`` an epoch visits one anchor per stride cell; when ``random``
    the anchor is redrawn inside its cell and ``dt`` is redrawn from
    LogUniform[1, max_horizon] at every visit, so epochs together cover all
    rows. Validation sets use ``random=False``: fixed anchors and horizons, so
    the validation loss is comparable across epochs.

    ``observed`` (per series, True where a step holds an observed value; given
    when X has missing steps, ``missing="mask"``) extends a future window
    ``(t, t + dt]`` that holds no observed step to the next observed step,
    still inside the segment, so that a JEPA target has something to encode.
    Without it (or with every step observed) the draws are unchanged.
    """

    def __init__(self, segments, *, stride, max_horizon, random, seed, observed=None):
        self.next_observed = None
        if observed is not None:
            # next_observed[base[i] + t]: the first observed step after t in series i
            nxt = []
            for o in observed:
                n = len(o)
                idx = np.where(o, np.arange(n), n)  # (n,)
                first_from = np.minimum.accumulate(idx[::-1])[::-1]  # first observed >= t
                nxt.append(np.r_[first_from[1:], n])  # first observed > t
            self.base = np.r_[0, np.cumsum([len(o) for o in observed])[:-1]].astype(np.int64)
            self.next_observed = np.concatenate(nxt).astype(np.int64)
        sidx, cell, last, end = [], [], [], []
        for i, lo, hi in segments:
            # rows lo..hi-1; an anchor needs a next step inside the segment
            starts = np.arange(lo, hi - 1, stride)
            sidx.append(np.full(len(starts), i))
            cell.append(starts)
            last.append(np.full(len(starts), hi - 2))
            end.append(np.full(len(starts), hi - 1))
        cat = lambda v: np.concatenate(v).astype(np.int64) if v else np.zeros(0, np.int64)  # noqa: E731
        self.sidx, self.cell, self.last, self.end = cat(sidx), cat(cell), cat(last), cat(end)
        self.segments = list(segments)
        self.stride = stride
        self.log_max = np.log(max_horizon + 1.0)
        self.random = random
        self.rng = np.random.default_rng(seed)
        if not random:
            self.fixed = self._draw(np.arange(len(self.sidx)))

    def _draw(self, idx):
        if self.random:
            offset = self.rng.integers(0, self.stride, len(idx))
        else:
            offset = np.full(len(idx), (self.stride - 1) // 2)
        t = np.minimum(self.cell[idx] + offset, self.last[idx])
        dt = np.floor(np.exp(self.rng.uniform(0.0, self.log_max, len(idx)))).astype(np.int64)
        # the future window stays inside the segment (a time split never leaks)
        dt = np.clip(dt, 1, self.end[idx] - t)
        if self.next_observed is not None:
            first = self.next_observed[self.base[self.sidx[idx]] + t] - t  # (n,)
            dt = np.minimum(np.maximum(dt, first), self.end[idx] - t)
        return t, dt

    def __len__(self):
        return len(self.sidx)

    def __getitem__(self, i):
        if self.random:
            t, dt = self._draw(np.array([i]))
            return int(self.sidx[i]), int(t[0]), int(dt[0])
        return int(self.sidx[i]), int(self.fixed[0][i]), int(self.fixed[1][i])


def pretrain_collate(series, *, context_length, patch_size, futures=True, target="interval"):
    """Batch (series, t, dt) triples into padded tensors (contexts only without futures).

    ``target`` is the future each context is paired with: "interval" the
    steps ``(t, t + dt]``; "patch" the ``patch_size`` steps ending at
    ``t + dt`` (``gather_futures(length=patch_size)``); "context" the causal
    context of row ``t + dt`` itself, cut like the row's own.
    """

    def collate(batch):
        sidx, t, dt = (np.array(v) for v in zip(*batch, strict=True))
        ctx, ctx_mask = gather_contexts(
            series, sidx, t, context_length=context_length, patch_size=patch_size
        )
        X = {"context": torch.from_numpy(ctx), "context_mask": torch.from_numpy(ctx_mask)}
        if futures:
            if target == "context":
                fut, fut_mask = gather_contexts(
                    series, sidx, t + dt, context_length=context_length, patch_size=patch_size
                )
            else:
                length = patch_size if target == "patch" else None
                fut, fut_mask = gather_futures(
                    series, sidx, t, dt, patch_size=patch_size, length=length
                )
            X["target"] = torch.from_numpy(fut)
            X["target_mask"] = torch.from_numpy(fut_mask)
            X["dt"] = torch.from_numpy(dt.astype(np.float32))
        return X, torch.zeros(len(t))

    return collate


class EventRows(Dataset):
    """Labelled rows for the event network: items with their (labels, known) cells.

    ``items`` are embeddings (one vector per row) or row numbers into a panel,
    as the row source that made the dataset decides. With ``stride > 1`` an
    epoch visits one random row per ``stride`` consecutive rows of each
    segment (``segment_lengths`` give the segments in the order the rows are
    stored), like ``PretrainWindows``.
    """

    def __init__(self, items, labels, known, *, segment_lengths, stride=1, seed=0):
        self.items = items
        self.labels = labels
        self.known = known
        self.stride = stride
        if stride > 1:
            seg_start = np.cumsum(np.r_[0, segment_lengths[:-1]])
            self.cell = np.concatenate(
                [
                    a + np.arange(0, n, stride)
                    for a, n in zip(seg_start, segment_lengths, strict=True)
                ]
            )
            self.cell_len = np.concatenate(
                [np.minimum(stride, n - np.arange(0, n, stride)) for n in segment_lengths]
            )
            self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.labels) if self.stride == 1 else len(self.cell)

    def __getitem__(self, i):
        if self.stride > 1:
            i = int(self.cell[i] + self.rng.integers(self.cell_len[i]))
        return self.items[i], (self.labels[i], self.known[i])


def _stack_targets(ys):
    labels = torch.from_numpy(np.stack([y[0] for y in ys]))  # (B, K)
    known = torch.from_numpy(np.stack([y[1] for y in ys]))  # (B, K)
    return labels, known


class EmbeddingRows:
    """Rows given as embeddings ``h_t`` (n_rows, d), e.g. from an upstream encoder.

    Parameters
    ----------
    H : ndarray of float32, shape (n_rows, d)
    groups : ndarray of shape (n_rows,) or None
        Series of every row (contiguous); None reads the rows as one series.
    """

    def __init__(self, H, groups=None):
        self.H = np.ascontiguousarray(H, dtype=np.float32)
        n = len(self.H)
        self.groups = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups)
        starts = np.flatnonzero(np.r_[True, self.groups[1:] != self.groups[:-1]]) if n else []
        self.offsets = np.r_[starts, n].astype(np.int64)

    @property
    def n_rows(self) -> int:
        return len(self.H)

    @property
    def width(self) -> int:
        return self.H.shape[1]

    def dataset(self, rows, labels, known, *, segment_lengths, stride, seed) -> EventRows:
        return EventRows(
            self.H[rows], labels, known, segment_lengths=segment_lengths, stride=stride, seed=seed
        )

    def collate(self):
        def collate(batch):
            xs, ys = zip(*batch, strict=True)
            return {"h": torch.from_numpy(np.stack(xs))}, _stack_targets(ys)  # h (B, D)

        return collate

    def iter_h(self, encoder, rows, batch_size: int, device):
        """Yield (positions in ``rows``, h (b, d) on ``device``); ``encoder`` is unused."""
        for a in range(0, len(rows), batch_size):
            sel = slice(a, a + batch_size)
            yield sel, torch.from_numpy(self.H[rows[sel]]).to(device)


class PanelRows:
    """Rows of a scaled panel; each row's context is cut per batch.

    Parameters
    ----------
    panel : Panel
        Scaled series (the encoder's fitted scaling already applied).
    context_length : int or None
        Steps of history per context; None reads the whole history up to
        ``MAX_HISTORY`` steps (a ``ContextLengthWarning`` says when it cuts).
    patch_size : int
        Contexts are left-padded to a multiple of it.
    """

    def __init__(self, panel: Panel, *, context_length, patch_size: int):
        self.panel = panel
        self.context_length = effective_context_length(context_length, panel.lengths)
        self.patch_size = patch_size

    @property
    def n_rows(self) -> int:
        return self.panel.n_rows

    @property
    def offsets(self) -> np.ndarray:
        return self.panel.offsets

    @property
    def groups(self) -> np.ndarray:
        return self.panel.groups

    def contexts(self, sidx, t):
        """(context (b, W, C), mask (b, W)) as tensors for rows ``(sidx, t)``."""
        ctx, mask = gather_contexts(
            self.panel.series,
            sidx,
            t,
            context_length=self.context_length,
            patch_size=self.patch_size,
        )
        return torch.from_numpy(ctx), torch.from_numpy(mask)

    def dataset(self, rows, labels, known, *, segment_lengths, stride, seed) -> EventRows:
        return EventRows(
            rows, labels, known, segment_lengths=segment_lengths, stride=stride, seed=seed
        )

    def collate(self):
        sidx_all, t_all = self.panel.rows()

        def collate(batch):
            xs, ys = zip(*batch, strict=True)
            rows = np.array(xs)
            ctx, mask = self.contexts(sidx_all[rows], t_all[rows])  # (B, W, C), (B, W)
            return {"context": ctx, "context_mask": mask}, _stack_targets(ys)

        return collate

    def iter_contexts(self, rows, batch_size: int, device):
        """Yield (positions in ``rows``, context (b, W, C), mask (b, W)) on ``device``."""
        for sel, sidx, t in row_chunks(self.panel, rows, batch_size, self.context_length):
            ctx, mask = self.contexts(sidx, t)
            yield sel, ctx.to(device), mask.to(device)

    def iter_h(self, encoder, rows, batch_size: int, device):
        """Yield (positions in ``rows``, h_t (b, D)) chunk by chunk through ``encoder``."""
        for sel, ctx, mask in self.iter_contexts(rows, batch_size, device):
            yield sel, encoder(ctx, mask)
