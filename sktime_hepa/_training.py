"""The one training path shared by both estimators (a skorch net) and inference."""

from __future__ import annotations

import contextlib
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, PassthroughScoring
from skorch.helper import predefined_split
from skorch.utils import to_tensor
from torch.utils.data import Dataset

from ._windows import gather_contexts, gather_futures, row_chunks
from .nn.event_head import cdf_from_hazard_logits

# Parameter constraints of the training settings both estimators share.
TRAINING_CONSTRAINTS: dict = {
    "lr": [Interval(Real, 0, None, closed="neither")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "max_epochs": [Interval(Integral, 0, None, closed="left")],
    "patience": [Interval(Integral, 0, None, closed="left")],
    "validation_fraction": [Interval(Real, 0, 1, closed="left")],
    "stride": [Interval(Integral, 1, None, closed="left")],
    "device": [str],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


def resolve_device(device: str) -> str:
    """Map "auto" to "cuda" when available, else "cpu"; check explicit CUDA requests."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available.")
    return device


def module_device(module: torch.nn.Module) -> torch.device:
    """Where a module's weights live (after unpickling this may differ from fit)."""
    return next(module.parameters()).device


@contextlib.contextmanager
def seeded(seed: int, device: str):
    """Seed torch inside, restoring the caller's global RNG state afterwards."""
    devices = []
    if device.startswith("cuda"):
        index = torch.device(device).index
        devices = [torch.cuda.current_device() if index is None else index]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


#: Fewest series for which whole series are held out for validation; with fewer,
#: holding one out would cost a large share of the training data (with two
#: series, e.g. a nominal one and a labelled one, it can leave training without
#: a single event), so each series is split in time instead.
MIN_SERIES_FOR_HOLDOUT = 5


def split_segments(lengths, validation_fraction: float, seed: int):
    """Train/validation segments ``(series, first_row, stop_row)``.

    Whole series are held out when there are at least
    ``MIN_SERIES_FOR_HOLDOUT``; fewer series are each split in time instead
    (their last ``validation_fraction`` of steps). Never random rows:
    neighbouring rows share most of their context.
    """
    n = len(lengths)
    whole = [(i, 0, int(lengths[i])) for i in range(n)]
    if validation_fraction <= 0:
        return whole, []
    n_valid = max(1, round(validation_fraction * n))
    if n >= MIN_SERIES_FOR_HOLDOUT and n_valid < n:
        perm = np.random.default_rng(seed).permutation(n)
        valid = set(perm[:n_valid].tolist())
        return [s for s in whole if s[0] not in valid], [s for s in whole if s[0] in valid]
    return _time_split(lengths, validation_fraction)


def _time_split(lengths, validation_fraction: float):
    cuts = [(i, int(np.floor((1 - validation_fraction) * m))) for i, m in enumerate(lengths)]
    return [(i, 0, c) for i, c in cuts], [(i, c, int(lengths[i])) for i, c in cuts]


def segment_rows(panel, segments) -> np.ndarray:
    """Row numbers (into X) of the given segments."""
    if not segments:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([panel.offsets[i] + np.arange(a, b) for i, a, b in segments])


class PretrainWindows(Dataset):
    """(series, t, dt) samples for JEPA pretraining.

    Anchors are rows with at least one future step in their series. With
    ``stride > 1`` an epoch visits one anchor per stride cell; when ``random``
    the anchor is redrawn inside its cell and ``dt`` is redrawn from
    LogUniform[1, max_horizon] at every visit, so epochs together cover all
    rows. Validation sets use ``random=False``: fixed anchors and horizons, so
    the validation loss is comparable across epochs.
    """

    def __init__(self, segments, *, stride, max_horizon, random, seed):
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
        return t, dt

    def __len__(self):
        return len(self.sidx)

    def __getitem__(self, i):
        if self.random:
            t, dt = self._draw(np.array([i]))
            return int(self.sidx[i]), int(t[0]), int(dt[0])
        return int(self.sidx[i]), int(self.fixed[0][i]), int(self.fixed[1][i])


def pretrain_collate(series, *, context_length, patch_size, futures=True):
    """Batch (series, t, dt) triples into padded tensors (contexts only without futures)."""

    def collate(batch):
        sidx, t, dt = (np.array(v) for v in zip(*batch, strict=True))
        ctx, ctx_mask = gather_contexts(
            series, sidx, t, context_length=context_length, patch_size=patch_size
        )
        X = {"context": torch.from_numpy(ctx), "context_mask": torch.from_numpy(ctx_mask)}
        if futures:
            fut, fut_mask = gather_futures(series, sidx, t, dt, patch_size=patch_size)
            X["target"] = torch.from_numpy(fut)
            X["target_mask"] = torch.from_numpy(fut_mask)
            X["dt"] = torch.from_numpy(dt.astype(np.float32))
        return X, torch.zeros(len(t))

    return collate


class EventRows(Dataset):
    """Labelled rows: either precomputed embeddings or row ids for raw contexts.

    With ``stride > 1`` an epoch visits one random row per ``stride``
    consecutive rows of each segment (``segment_lengths`` give the segments in
    the order the rows are stored), like ``PretrainWindows``.
    """

    def __init__(
        self, labels, known, *, embeddings=None, rows=None, segment_lengths=None, stride=1, seed=0
    ):
        self.labels = labels
        self.known = known
        self.embeddings = embeddings
        self.rows = rows
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
        x = self.embeddings[i] if self.embeddings is not None else int(self.rows[i])
        return x, (self.labels[i], self.known[i])


def event_collate(panel=None, *, context_length=None, patch_size=16):
    """Batch labelled rows; raw rows are cut into contexts here."""
    if panel is not None:
        sidx_all, t_all = panel.rows()

    def collate(batch):
        xs, ys = zip(*batch, strict=True)
        labels = torch.from_numpy(np.stack([y[0] for y in ys]))
        known = torch.from_numpy(np.stack([y[1] for y in ys]))
        if panel is None:
            X = {"h": torch.from_numpy(np.stack(xs))}
        else:
            rows = np.array(xs)
            ctx, mask = gather_contexts(
                panel.series,
                sidx_all[rows],
                t_all[rows],
                context_length=context_length,
                patch_size=patch_size,
            )
            X = {"context": torch.from_numpy(ctx), "context_mask": torch.from_numpy(mask)}
        return X, (labels, known)

    return collate


def optimizer_kwargs(*, weight_decay: float) -> dict:
    """AdamW settings shared by the nets and the speed benchmark."""
    # fused AdamW: one kernel for all parameters instead of ~10 per tensor
    return {"weight_decay": weight_decay, "fused": True}


def make_optimizer(params, *, lr: float, weight_decay: float):
    """The AdamW optimizer the nets use, for code that steps a module directly."""
    return torch.optim.AdamW(params, lr=lr, **optimizer_kwargs(weight_decay=weight_decay))


class HEPANet(NeuralNet):
    """skorch net whose criterion returns (loss, parts); parts go to the history.

    Only parameters with ``requires_grad`` reach the optimizer, which is how
    frozen encoders stay frozen.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_tensor(y_true, device=self.device)
        loss, parts = self.criterion_(y_pred, y_true)
        prefix = "train_" if training else "valid_"
        for name, value in parts.items():
            self.history.record_batch(prefix + name, float(value.detach()))
        return loss

    def get_all_learnable_params(self):
        for name, param in super().get_all_learnable_params():
            if param.requires_grad:
                yield name, param


def fit_net(
    build_module,
    criterion,
    train_ds,
    valid_ds,
    *,
    collate,
    lr,
    weight_decay,
    batch_size,
    max_epochs,
    patience,
    device,
    verbose,
    seed,
    part_names=(),
):
    """Train ``module`` with AdamW; early stopping on whole-series validation.

    ``build_module`` is called under the seed, so initial weights, dropout
    and SIGReg's random directions are reproducible. Returns the fitted skorch
    net; its module holds the best validation weights when a validation set
    is given.
    """
    callbacks = []
    for name in part_names:
        callbacks.append((f"train_{name}", PassthroughScoring(f"train_{name}", on_train=True)))
        if valid_ds is not None:
            callbacks.append((f"valid_{name}", PassthroughScoring(f"valid_{name}")))
    if valid_ds is not None and patience:
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(monitor="valid_loss", patience=patience, load_best=True),
            )
        )
    generator = torch.Generator().manual_seed(seed)
    with seeded(seed, device):
        module = build_module()
    net = HEPANet(
        module,
        criterion=criterion,
        optimizer=torch.optim.AdamW,
        lr=lr,
        **{f"optimizer__{k}": v for k, v in optimizer_kwargs(weight_decay=weight_decay).items()},
        batch_size=batch_size,
        max_epochs=max_epochs,
        train_split=predefined_split(valid_ds) if valid_ds is not None else None,
        iterator_train__shuffle=True,
        iterator_train__generator=generator,
        iterator_train__collate_fn=collate,
        iterator_valid__collate_fn=collate,
        callbacks=callbacks,
        device=device,
        verbose=verbose,
    )
    with seeded(seed, device):
        if max_epochs == 0:
            net.initialize()  # "scratch" reuses the pretraining path with no epochs
        else:
            if train_ds is None or not len(train_ds):
                raise ValueError(
                    "no training samples are left after holding out the validation split; "
                    "pass more or longer series, or a smaller validation_fraction."
                )
            net.fit(train_ds, y=None)
    # The collate functions close over the training series and the train split
    # holds the validation set: dropping them lets the fitted net pickle
    # without a copy of its training data. Plain attributes, because skorch's
    # set_params would re-initialise a fitted net.
    net.iterator_train__collate_fn = None
    net.iterator_valid__collate_fn = None
    net.train_split = None
    return net


def labelled_segments(offsets, labelled, validation_fraction: float, seed: int, positive=None):
    """Train/validation segments over the labelled span of each series.

    Rows without any known horizon (unlabelled rows, e.g. outside a label
    budget, or censored at once) carry no loss; series without labelled rows
    are left out, and within a series only the span from its first to its
    last labelled row is split, so a validation set is never empty by bad luck.
    When ``positive`` (rows with a positive known cell) is given and the
    series held out would leave the training part without one, every span is
    split in time instead.
    """
    spans = []
    for i, (a, b) in enumerate(zip(offsets[:-1], offsets[1:], strict=True)):
        idx = np.flatnonzero(labelled[a:b])
        if len(idx):
            spans.append((i, int(idx[0]), int(idx[-1]) + 1))
    lengths = np.array([hi - lo for _, lo, hi in spans], dtype=np.int64)

    def back(segments):
        return [(spans[j][0], spans[j][1] + a, spans[j][1] + b) for j, a, b in segments if b > a]

    train, valid = (back(part) for part in split_segments(lengths, validation_fraction, seed))
    if positive is not None and valid:
        has_event = any(positive[offsets[i] + a : offsets[i] + b].any() for i, a, b in train)
        if not has_event:
            train, valid = (back(part) for part in _time_split(lengths, validation_fraction))
    return train, valid


def fit_event_net(
    build_module,
    *,
    offsets,
    labels,
    known,
    embeddings=None,
    panel=None,
    context_length=None,
    patch_size=1,
    pos_weight,
    validation_fraction,
    stride,
    seed,
    **train,
):
    """Train an ``EventModule`` on labelled rows with the survival BCE.

    Rows arrive either as precomputed ``embeddings`` (frozen encoder) or as
    row numbers into ``panel``, cut into contexts per batch (trained encoder).
    ``train`` holds ``fit_net``'s optimisation settings.
    """
    from .nn.losses import SurvivalBCELoss

    labelled = known.any(axis=1)
    positive = (labels.astype(bool) & known).any(axis=1)
    train_segs, valid_segs = labelled_segments(
        offsets, labelled, validation_fraction, seed, positive=positive
    )

    def dataset(segments, stride):
        rows = [offsets[i] + np.arange(a, b) for i, a, b in segments]
        rows = [r[labelled[r]] for r in rows]
        lengths = np.array([len(r) for r in rows if len(r)], dtype=np.int64)
        if not lengths.sum():
            return None
        rows = np.concatenate(rows)
        data = {"rows": rows} if embeddings is None else {"embeddings": embeddings[rows]}
        return EventRows(
            labels[rows], known[rows], segment_lengths=lengths, stride=stride, seed=seed, **data
        )

    return fit_net(
        build_module,
        SurvivalBCELoss(pos_weight=pos_weight),
        dataset(train_segs, stride),
        dataset(valid_segs, 1),
        collate=event_collate(panel, context_length=context_length, patch_size=patch_size),
        seed=seed,
        **train,
    )


def iter_embeddings(encoder, panel, rows, *, context_length, patch_size, batch_size):
    """Yield (positions in ``rows``, h_t tensor (b, D)) chunk by chunk."""
    device = module_device(encoder)
    for sel, sidx, t in row_chunks(panel, rows, batch_size, context_length):
        ctx, mask = gather_contexts(
            panel.series, sidx, t, context_length=context_length, patch_size=patch_size
        )
        yield sel, encoder(torch.from_numpy(ctx).to(device), torch.from_numpy(mask).to(device))


@torch.inference_mode()
def embed_rows(encoder, panel, rows, *, context_length, patch_size, batch_size=512):
    """``h_t`` of the given rows as float32 (n, D), computed in chunks."""
    encoder.eval()
    out = np.empty((len(rows), encoder.d_model), dtype=np.float32)
    chunks = iter_embeddings(
        encoder,
        panel,
        rows,
        context_length=context_length,
        patch_size=patch_size,
        batch_size=batch_size,
    )
    for sel, h in chunks:
        out[sel] = h.float().cpu().numpy()
    return out


@torch.inference_mode()
def surface_rows(
    module, *, panel=None, embeddings=None, rows=None, context_length, patch_size, batch_size
):
    """Event CDF (n, K) float32 from raw ``rows`` of a panel or from embeddings, in chunks.

    Only one chunk of contexts and embeddings is alive at a time, so memory
    beyond the output stays flat however long the stream is.
    """
    module.eval()
    K = module.dts.numel()
    if embeddings is not None:
        device = module_device(module)
        out = np.empty((len(embeddings), K), dtype=np.float32)
        chunks = (
            (slice(a, a + batch_size), torch.from_numpy(embeddings[a : a + batch_size]).to(device))
            for a in range(0, len(embeddings), batch_size)
        )
    else:
        rows = np.arange(panel.n_rows) if rows is None else rows
        out = np.empty((len(rows), K), dtype=np.float32)
        chunks = iter_embeddings(
            module.encoder,
            panel,
            rows,
            context_length=context_length,
            patch_size=patch_size,
            batch_size=batch_size,
        )
    for sel, h in chunks:
        # (rows, K, hidden) activations: small row blocks stay in cache
        parts = [cdf_from_hazard_logits(module(h=part)) for part in h.split(16)]
        out[sel] = torch.cat(parts).float().cpu().numpy()
    return out
