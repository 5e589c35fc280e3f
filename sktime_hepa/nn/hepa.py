"""The two assembled networks: JEPA pretraining and event finetuning."""

from __future__ import annotations

import copy

import torch
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
    """

    def __init__(
        self,
        *,
        encoder: HEPAEncoder,
        predictor: HorizonPredictor,
        target_encoder: HEPAEncoder | None = None,
        target: str = "window",
    ):
        super().__init__()
        if target not in ("window", "context"):
            raise ValueError(f"target must be 'window' or 'context', got {target!r}.")
        self.encoder = encoder
        self.predictor = predictor
        self.target_encoder = target_encoder
        self.target = target
        if target_encoder is not None:
            target_encoder.load_state_dict(encoder.state_dict())
            target_encoder.requires_grad_(False)

    @classmethod
    def with_ema_target(
        cls, *, encoder: HEPAEncoder, predictor: HorizonPredictor, target: str = "window"
    ):
        """A module whose target branch is an EMA copy of ``encoder``."""
        return cls(
            encoder=encoder,
            predictor=predictor,
            target_encoder=copy.deepcopy(encoder),
            target=target,
        )

    def forward(self, context, context_mask, target, target_mask, dt):
        """Returns (h_hat, h_star, h_t), each (B, D)."""
        stats = self.encoder.context_stats(context, context_mask)  # 2 x (B, C)
        h = self.encoder(context, context_mask, stats=stats)  # (B, D)
        h_hat = self.predictor(h, dt)  # (B, D)
        if self.target_encoder is None:
            h_star = self._encode_target(self.encoder, target, target_mask, stats)  # (B, D)
        else:
            with torch.no_grad():
                h_star = self._encode_target(self.target_encoder, target, target_mask, stats)
        return h_hat, h_star, h

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


class EventModule(nn.Module):
    """Stage 2: hazard logits at horizons 1..K for each row.

    Three heads exist: HEPA's (``predictor`` + the shared ``EventHead`` on each
    predicted embedding), and two that read ``h_t`` directly with ``predictor``
    None and ``head`` taking ``(h, dts)``: the baselines' ``DtMLPHead`` and the
    ``LinearProbeHead``. ``encoder`` maps ``(context, context_mask)`` to
    ``(B, D)``; it may be None when rows only ever arrive as embeddings.
    ``scaler`` (optional) standardises ``h_t`` before the head.
    """

    def __init__(
        self,
        *,
        encoder: nn.Module | None,
        predictor: HorizonPredictor | None,
        head: nn.Module,
        n_horizons: int,
        scaler: EmbeddingScaler | None = None,
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
        scaler: EmbeddingScaler | None = None,
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
