"""Chunked inference: embeddings and event surfaces of any number of rows.

Only one chunk of contexts and embeddings is alive at a time, so memory beyond
the output stays flat however long the stream is. Results go to the device's
host memory chunk by chunk; the weights stay wherever they live (a model
unpickled on another device is used where it was loaded). With
``progress=True`` (an estimator's ``verbose >= 2``) a tqdm bar counts chunks.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from tqdm.auto import tqdm

from .nn.event_head import cdf_from_hazard_logits


def module_device(module: torch.nn.Module) -> torch.device:
    """Where a module's weights live (after unpickling this may differ from fit)."""
    return next(module.parameters()).device


def progress_bar(chunks, *, n_rows: int, batch_size: int, enabled: bool, desc: str):
    """``chunks`` wrapped in a tqdm bar over its ceil(n_rows / batch_size) chunks when enabled."""
    if not enabled:
        return chunks
    return tqdm(chunks, total=math.ceil(n_rows / batch_size), desc=desc, unit="chunk")


@torch.inference_mode()
def embed_rows(
    encoder, source, rows, *, batch_size: int = 512, progress: bool = False
) -> np.ndarray:
    """``h_t`` of the given rows of a ``PanelRows`` source as float32 (n, D)."""
    encoder.eval()
    out = np.empty((len(rows), encoder.d_model), dtype=np.float32)
    chunks = source.iter_h(encoder, rows, batch_size, module_device(encoder))
    bar = dict(n_rows=len(rows), batch_size=batch_size, enabled=progress, desc="embedding")
    for sel, h in progress_bar(chunks, **bar):
        out[sel] = h.float().cpu().numpy()
    return out


@torch.inference_mode()
def surface_rows(module, source, rows, *, batch_size: int, progress: bool = False) -> np.ndarray:
    """Event CDF (n, K) float32 of the given rows of a row source."""
    module.eval()
    out = np.empty((len(rows), module.dts.numel()), dtype=np.float32)
    chunks = source.iter_h(module.encoder, rows, batch_size, module_device(module))
    bar = dict(n_rows=len(rows), batch_size=batch_size, enabled=progress, desc="surface")
    for sel, h in progress_bar(chunks, **bar):
        # (rows, K, hidden) activations: small row blocks stay in cache
        parts = [cdf_from_hazard_logits(module(h=part)) for part in h.split(16)]
        out[sel] = torch.cat(parts).float().cpu().numpy()
    return out


@torch.inference_mode()
def score_rows(module, source, rows, *, batch_size: int, progress: bool = False) -> np.ndarray:
    """Anomaly score (n,) float64 of the given rows: ``module.anomaly_score`` of each context."""
    module.eval()
    out = np.empty(len(rows), dtype=np.float64)
    chunks = source.iter_contexts(rows, batch_size, module_device(module))
    bar = dict(n_rows=len(rows), batch_size=batch_size, enabled=progress, desc="scoring")
    for sel, ctx, mask in progress_bar(chunks, **bar):
        out[sel] = module.anomaly_score(ctx, mask).double().cpu().numpy()  # (b,)
    return out
