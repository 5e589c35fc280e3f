"""The two assembled networks: JEPA pretraining and event finetuning."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from .encoder import HEPAEncoder
from .predictor import HorizonPredictor

#: What ``HEPAPretrainer(target_window=...)`` pairs with each context.
TARGET_WINDOWS = ("interval", "patch", "context")


class JEPAModule(nn.Module):
    """Stage 1: predict the target embedding of ``x_(t, t+dt]`` from ``h_t``.

    Parameters
    ----------
    encoder : HEPAEncoder
    predictor : HorizonPredictor
    target_encoder : HEPAEncoder or None
        None: the target branch is ``encoder`` itself (weight-shared, trained
        jointly, no stop-gradient: the paper's section 3.1). Otherwise a
        frozen copy that ``update_target`` moves towards ``encoder`` by an
        exponential moving average (the paper's appendix I.3 ablation).
    target : {"window", "context"}
        "window": ``target`` holds future steps, normalised by the context's
        statistics and encoded bidirectionally (``encode_target``). "context":
        ``target`` is the causal context of row ``t + dt``, encoded like any
        context (``h*`` = ``h_(t+dt)``).
    decoder : nn.Module or None
        Maps ``h_t`` (B, D) to the context's last patch (B, P*C), and under
        ``normalization="instance_stats"`` also to the context's per-channel
        mean and log-std (B, 2C): the reconstruction term of
        ``HEPAPretrainer(reconstruction_weight=...)``. Dropped after pretraining.
    """

    def __init__(
        self,
        *,
        encoder: HEPAEncoder,
        predictor: HorizonPredictor,
        target_encoder: HEPAEncoder | None = None,
        target: str = "window",
        decoder: nn.Module | None = None,
    ):
        super().__init__()
        if target not in ("window", "context"):
            raise ValueError(f"target must be 'window' or 'context', got {target!r}.")
        self.encoder = encoder
        self.predictor = predictor
        self.target_encoder = target_encoder
        self.target = target
        self.decoder = decoder
        if target_encoder is not None:
            target_encoder.load_state_dict(encoder.state_dict())
            target_encoder.requires_grad_(False)

    @classmethod
    def with_ema_target(
        cls,
        *,
        encoder: HEPAEncoder,
        predictor: HorizonPredictor,
        target: str = "window",
        decoder: nn.Module | None = None,
    ):
        """A module whose target branch is an EMA copy of ``encoder``."""
        return cls(
            encoder=encoder,
            predictor=predictor,
            target_encoder=copy.deepcopy(encoder),
            target=target,
            decoder=decoder,
        )

    @staticmethod
    def decoder_width(encoder: HEPAEncoder, n_channels: int) -> int:
        """Outputs of the reconstruction decoder: the last patch, and the statistics if embedded."""
        stats = 2 * n_channels if encoder.stats_embed is not None else 0
        return encoder.patch_size * n_channels + stats

    def forward(self, context, context_mask, target, target_mask, dt):
        """Returns (h_hat, h_star, h_t), each (B, D).

        With a decoder, three more: the reconstruction (B, R), its target
        (B, R) and a mask (B, R) of the values to count.
        """
        stats = self.encoder.context_stats(context, context_mask)  # 2 x (B, C)
        h = self.encoder(context, context_mask, stats=stats)  # (B, D)
        h_hat = self.predictor(h, dt)  # (B, D)
        if self.target_encoder is None:
            h_star = self._encode_target(self.encoder, target, target_mask, stats)  # (B, D)
        else:
            with torch.no_grad():
                h_star = self._encode_target(self.target_encoder, target, target_mask, stats)
        if self.decoder is None:
            return h_hat, h_star, h
        return (
            h_hat,
            h_star,
            h,
            self.decoder(h),
            *self._reconstruction_target(context, context_mask, stats),
        )

    def _reconstruction_target(self, context, context_mask, stats):
        values, mask = self.encoder.last_patch(context, context_mask, stats)  # (B,P,C), (B,P)
        B, P, C = values.shape
        values = values.reshape(B, P * C)  # (B, P*C)
        mask = mask.unsqueeze(-1).expand(B, P, C).reshape(B, P * C)  # (B, P*C)
        if self.encoder.stats_embed is not None:
            mean, std = stats
            values = torch.cat([values, mean, std.log()], dim=-1)  # (B, P*C + 2C)
            mask = F.pad(mask, (0, 2 * C), value=True)  # (B, P*C + 2C)
        return values.detach(), mask

    def _encode_target(self, encoder, target, target_mask, stats):
        if self.target == "context":
            return encoder(target, target_mask)  # (B, D): h_(t+dt), its own statistics
        return encoder.encode_target(target, target_mask, stats=stats)  # (B, D)

    @torch.no_grad()
    def update_target(self, momentum: float) -> None:
        """target <- momentum * target + (1 - momentum) * encoder (EMA target only)."""
        if self.target_encoder is None:
            return
        for t, s in zip(self.target_encoder.parameters(), self.encoder.parameters(), strict=True):
            t.lerp_(s, 1.0 - momentum)


class EmbeddingScaler(nn.Module):
    """Fixed per-dimension z-score of ``h_t`` (fitted on training embeddings, not trained)."""

    def __init__(self, *, mean, scale):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))

    def forward(self, h):
        return (h - self.mean) / self.scale  # (B, D)


class EmbeddingWhitener(nn.Module):
    """Fixed whitening of ``h_t``: ``(h - mean) @ matrix`` (fitted on training embeddings)."""

    def __init__(self, *, mean, matrix):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("matrix", torch.as_tensor(matrix, dtype=torch.float32))

    def forward(self, h):
        return (h - self.mean) @ self.matrix  # (B, D)


class EventModule(nn.Module):
    """Stage 2: hazard logits at horizons 1..K for each row.

    Three heads exist: HEPA's (``predictor`` + the shared ``EventHead`` on each
    predicted embedding), and two that read ``h_t`` directly with ``predictor``
    None and ``head`` taking ``(h, dts)``: the baselines' ``DtMLPHead`` and the
    ``LinearProbeHead``. ``encoder`` maps ``(context, context_mask)`` to
    ``(B, D)``; it may be None when rows only ever arrive as embeddings.
    ``scaler`` (optional) standardises or whitens ``h_t`` before the head.
    """

    def __init__(
        self,
        *,
        encoder: nn.Module | None,
        predictor: HorizonPredictor | None,
        head: nn.Module,
        n_horizons: int,
        scaler: nn.Module | None = None,
    ):
        super().__init__()
        self.encoder = encoder
        self.predictor = predictor
        self.head = head
        self.scaler = scaler
        self.register_buffer("dts", torch.arange(1, n_horizons + 1, dtype=torch.float32))

    @classmethod
    def from_pretrained(
        cls,
        *,
        encoder: nn.Module | None,
        predictor: HorizonPredictor | None,
        head: nn.Module,
        n_horizons: int,
        trained: set,
        scaler: nn.Module | None = None,
    ) -> EventModule:
        """Assemble from pretrained parts: copies them, and freezes what is not trained.

        Parameters
        ----------
        encoder, predictor : nn.Module or None
            Pretrained (or freshly built) parts; deep-copied, so the fitted
            pretrainer they come from is never modified.
        head : nn.Module
            The new head (always trained).
        n_horizons : int
        trained : set of {"encoder", "predictor", "head"}
            The parts whose parameters the optimiser may change; the others
            get ``requires_grad=False``.
        scaler : EmbeddingScaler, optional
        """
        module = cls(
            encoder=copy.deepcopy(encoder),
            predictor=copy.deepcopy(predictor),
            head=head,
            n_horizons=n_horizons,
            scaler=scaler,
        )
        for name in ("encoder", "predictor", "head"):
            part = getattr(module, name)
            if part is not None:
                part.requires_grad_(name in trained)
        return module

    def forward(self, h=None, context=None, context_mask=None):
        """Hazard logits (B, K) from embeddings h (B, D) or raw contexts."""
        if h is None:
            h = self.encoder(context, context_mask)  # (B, D)
        if self.scaler is not None:
            h = self.scaler(h)  # (B, D)
        if self.predictor is None:
            return self.head(h, self.dts)  # (B, K)
        h_hat = self.predictor.forward_horizons(h, self.dts)  # (B, K, D)
        return self.head(h_hat)  # (B, K)
