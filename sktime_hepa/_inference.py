"""Chunked inference: embeddings and event surfaces of any number of rows.

Only one chunk of contexts and embeddings is alive at a time, so memory beyond
the output stays flat however long the stream is. Results go to the device's
host memory chunk by chunk; the weights stay wherever they live (a model
unpickled on another device is used where it was loaded).
"""

from __future__ import annotations

import numpy as np
import torch

from .nn.event_head import cdf_from_hazard_logits


def module_device(module: torch.nn.Module) -> torch.device:
    """Where a module's weights live (after unpickling this may differ from fit)."""
    return next(module.parameters()).device


@torch.inference_mode()
def embed_rows(encoder, source, rows, *, batch_size: int = 512) -> np.ndarray:
    """``h_t`` of the given rows of a ``PanelRows`` source as float32 (n, D)."""
    encoder.eval()
    out = np.empty((len(rows), encoder.d_model), dtype=np.float32)
    for sel, h in source.iter_h(encoder, rows, batch_size, module_device(encoder)):
        out[sel] = h.float().cpu().numpy()
    return out


@torch.inference_mode()
def surface_rows(module, source, rows, *, batch_size: int) -> np.ndarray:
    """Event CDF (n, K) float32 of the given rows of a row source."""
    module.eval()
    out = np.empty((len(rows), module.dts.numel()), dtype=np.float32)
    for sel, h in source.iter_h(module.encoder, rows, batch_size, module_device(module)):
        # (rows, K, hidden) activations: small row blocks stay in cache
        parts = [cdf_from_hazard_logits(module(h=part)) for part in h.split(16)]
        out[sel] = torch.cat(parts).float().cpu().numpy()
    return out


@torch.inference_mode()
def score_rows(module, source, rows, *, batch_size: int) -> np.ndarray:
    """Anomaly score (n,) float64 of the given rows: ``module.anomaly_score`` of each context."""
    module.eval()
    out = np.empty(len(rows), dtype=np.float64)
    for sel, ctx, mask in source.iter_contexts(rows, batch_size, module_device(module)):
        out[sel] = module.anomaly_score(ctx, mask).double().cpu().numpy()  # (b,)
    return out
