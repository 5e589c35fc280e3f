"""MTS-JEPA's networks (cocoml2626/mts-jepa-ap), read causally.

The original encodes one variable's 100-step window as 5 patches of 20 with a
per-patch MLP, a CLS token and a 2-layer bidirectional Transformer; a soft
cosine codebook turns each patch latent into a distribution over 128 codes;
a fine predictor maps the window's code distributions to the *next* window's
(per patch), a coarse predictor to one downsampled patch of the next window;
the targets come from EMA copies of the encoder and codebook. A decoder
reconstructs the window from its quantised latents.

What changes here (docs/design.md, "MTS-JEPA"):

* A row's context ends at ``t`` and holds ``2 * window`` steps: its first
  window is the input, its second (ending at ``t``) the "next window" target.
  Both lie in the past of ``t``, so training never reads beyond a row.
* Encoder attention is causal over patches (patch k reads the CLS token and
  patches <= k); the original's is bidirectional.
* Left padding and missing steps are masked everywhere: statistics, attention
  keys, losses, pooling. Padded values never reach a result.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from .encoder import SelfAttention

__all__ = [
    "CoarsePredictor",
    "CodePredictor",
    "MTSJEPAEncoder",
    "MTSJEPALoss",
    "MTSJEPAModule",
    "PatchDecoder",
    "PatchEncoder",
    "SoftCodebook",
    "TransformerLayer",
]


# ------------------------------------------------------------------ tensor helpers
def step_mask_3d(mask, n_channels: int):
    """A (B, W) step mask broadcast to (B, W, C); a (B, W, C) one is kept."""
    if mask.dim() == 2:
        return mask.unsqueeze(-1).expand(-1, -1, n_channels)  # (B, W, C)
    return mask


def last_steps(x, mask, n: int):
    """The last ``n`` steps of left-padded contexts, cropped or left-padded (mask False)."""
    B, W, C = x.shape
    if W >= n:
        return x[:, W - n :], mask[:, W - n :]  # (B, n, C), (B, n, C)
    pad = n - W
    x = torch.cat([x.new_zeros(B, pad, C), x], dim=1)  # (B, n, C)
    mask = torch.cat([mask.new_zeros(B, pad, C), mask], dim=1)  # (B, n, C)
    return x, mask


def masked_mean(values, mask):
    """Mean of ``values`` where ``mask`` is True (0 when none is): the losses' reduction."""
    m = mask.to(values.dtype)
    return (values * m).sum() / m.sum().clamp_min(1.0)


def instance_normalize(x, mask, eps: float = 1e-5):
    """Per-series z-score over the real steps; x, mask (N, S) -> normed (N, S), mean, std (N, 1).

    Masked steps become exact zeros whatever they held (padding, NaN).
    """
    m = mask.to(x.dtype)  # (N, S)
    x = torch.where(mask, x, torch.zeros_like(x))  # (N, S)
    n = m.sum(dim=1, keepdim=True).clamp_min(1.0)  # (N, 1)
    mean = x.sum(dim=1, keepdim=True) / n  # (N, 1)
    var = (((x - mean) * m) ** 2).sum(dim=1, keepdim=True) / n  # (N, 1)
    std = (var + eps).sqrt()  # (N, 1)
    return (x - mean) / std * m, mean, std


def channel_series(x, mask):
    """Channel independence: (B, S, C) -> (B*C, S), row b*C + c is variable c of sample b."""
    B, S, C = x.shape
    return x.transpose(1, 2).reshape(B * C, S), mask.transpose(1, 2).reshape(B * C, S)


def downsample(x, mask, n_steps: int):
    """The original's coarse patch: (N, S) -> (N, n_steps), masked means of S/n_steps steps."""
    N, S = x.shape
    g = S // n_steps
    x = torch.where(mask, x, torch.zeros_like(x)).reshape(N, n_steps, g)  # (N, n_steps, g)
    m = mask.reshape(N, n_steps, g)  # (N, n_steps, g)
    count = m.sum(dim=-1)  # (N, n_steps)
    mean = x.sum(dim=-1) / count.clamp_min(1).to(x.dtype)  # (N, n_steps)
    return mean, count > 0


def pool_channels(values, valid, batch: int):
    """Max over the variables of each sample: (B*C, ...) -> (B, ...); invalid ones ignored.

    A sample with no valid variable gets zeros (no NaN, no -inf).
    """
    v = values.reshape(batch, -1, *values.shape[1:])  # (B, C, ...)
    ok = valid.reshape(batch, -1)  # (B, C)
    ok_b = ok.reshape(*ok.shape, *([1] * (v.dim() - 2)))  # (B, C, 1...)
    pooled = v.masked_fill(~ok_b, float("-inf")).max(dim=1).values  # (B, ...)
    any_ok = ok.any(dim=1).reshape(batch, *([1] * (pooled.dim() - 1)))  # (B, 1...)
    return torch.where(any_ok, pooled, torch.zeros_like(pooled))


# ------------------------------------------------------------------------ layers
class TransformerLayer(nn.Module):
    """torch's ``TransformerEncoderLayer`` (GELU) on the package's attention.

    ``norm_first=False`` is the post-norm layer of the original encoder,
    ``True`` the pre-norm layer of its predictors.
    """

    def __init__(self, *, d_model: int, n_heads: int, d_ff: int, dropout: float, norm_first: bool):
        super().__init__()
        self.norm_first = norm_first
        self.attn = SelfAttention(d_model=d_model, n_heads=n_heads, dropout=dropout)
        self.ln_1 = nn.LayerNorm(d_model)
        self.ln_2 = nn.LayerNorm(d_model)
        self.ff = nn.Sequential(
            nn.Linear(d_model, d_ff),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(d_ff, d_model),
            nn.Dropout(dropout),
        )

    def forward(self, x, attn_mask):
        """x (N, T, D); attn_mask bool, broadcastable to (N, 1, T, T), True = may attend."""
        if self.norm_first:
            x = x + self.attn(self.ln_1(x), attn_mask)  # (N, T, D)
            return x + self.ff(self.ln_2(x))  # (N, T, D)
        x = self.ln_1(x + self.attn(x, attn_mask))  # (N, T, D)
        return self.ln_2(x + self.ff(x))  # (N, T, D)


def transformer_stack(n_layers: int, **layer) -> nn.ModuleList:
    """``n_layers`` ``TransformerLayer`` s of the same settings."""
    return nn.ModuleList([TransformerLayer(**layer) for _ in range(n_layers)])


class CrossAttention(nn.Module):
    """One query attends over key tokens (the coarse predictor's aggregation)."""

    def __init__(self, *, d_model: int, n_heads: int, dropout: float):
        super().__init__()
        self.n_heads = n_heads
        self.q = nn.Linear(d_model, d_model)
        self.kv = nn.Linear(d_model, 2 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.dropout = dropout

    def forward(self, query, x, key_mask):
        """query (N, 1, D), x (N, T, D), key_mask (N, T) -> (N, 1, D)."""
        N, T, D = x.shape
        H = self.n_heads
        q = self.q(query).view(N, 1, H, D // H).transpose(1, 2)  # (N, H, 1, D/H)
        k, v = self.kv(x).split(D, dim=-1)  # 2 x (N, T, D)
        k = k.view(N, T, H, D // H).transpose(1, 2)  # (N, H, T, D/H)
        v = v.view(N, T, H, D // H).transpose(1, 2)  # (N, H, T, D/H)
        y = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=key_mask[:, None, None, :],  # (N, 1, 1, T)
            dropout_p=self.dropout if self.training else 0.0,
        )  # (N, H, 1, D/H)
        return self.proj(y.transpose(1, 2).reshape(N, 1, D))  # (N, 1, D)


def _xavier(module: nn.Module) -> None:
    """The original predictors' initialisation: Xavier-uniform linears, unit LayerNorms."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def _key_mask(patch_mask):
    """Real patches as attention keys; a window without any lets every key in (its prior)."""
    return patch_mask | ~patch_mask.any(dim=1, keepdim=True)  # (N, P)


# ---------------------------------------------------------------------- encoder
class PatchEncoder(nn.Module):
    """One variable's patches -> per-patch latents (the original ``Encoder``), causal.

    Per-patch MLP (``patch_size -> d_model -> d_model -> d_model``, ReLU,
    dropout), a CLS token in front, learned positions, ``n_layers`` post-norm
    Transformer layers (4x GELU MLP) and a final linear projection. Attention
    is causal: patch k reads the CLS token and the real patches <= k. The
    CLS output is dropped, as in the original.

    Parameters
    ----------
    patch_size, n_patches, d_model, n_layers, n_heads : int
        Original: 20, 5, 256, 2, 4.
    dropout : float
        Original: 0.1.
    """

    def __init__(
        self,
        *,
        patch_size: int = 20,
        n_patches: int = 5,
        d_model: int = 256,
        n_layers: int = 2,
        n_heads: int = 4,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.embed = nn.Sequential(
            nn.Linear(patch_size, d_model),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(d_model, d_model),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(d_model, d_model),
        )
        # N(0, 0.02^2), not the original's N(0, 1): unit-scale positions swamp the
        # patch embeddings, and every h_t starts as nearly the same vector (docs/design.md)
        self.cls = nn.Parameter(0.02 * torch.randn(d_model))
        self.pos = nn.Parameter(0.02 * torch.randn(n_patches + 1, d_model))
        self.layers = transformer_stack(
            n_layers,
            d_model=d_model,
            n_heads=n_heads,
            d_ff=4 * d_model,
            dropout=dropout,
            norm_first=False,
        )
        self.proj = nn.Sequential(nn.Linear(d_model, d_model), nn.Dropout(dropout))

    def forward(self, patches, patch_mask):
        """patches (N, P, L) normalised values, patch_mask (N, P) -> latents (N, P, D)."""
        N, P, _ = patches.shape
        tok = self.embed(patches)  # (N, P, D)
        cls = self.cls.expand(N, 1, -1)  # (N, 1, D)
        tok = torch.cat([cls, tok], dim=1) + self.pos[: P + 1]  # (N, P+1, D)
        real = torch.cat([patch_mask.new_ones(N, 1), patch_mask], dim=1)  # (N, P+1)
        causal = torch.ones(P + 1, P + 1, dtype=torch.bool, device=tok.device).tril()
        # every query sees the CLS key, so no row of the mask is empty (no NaN)
        attn_mask = (causal & real[:, None, :])[:, None]  # (N, 1, P+1, P+1)
        for layer in self.layers:
            tok = layer(tok, attn_mask)  # (N, P+1, D)
        return self.proj(tok[:, 1:])  # (N, P, D)


class SoftCodebook(nn.Module):
    """Soft cosine codebook (the original ``Quantizer``).

    ``probs = softmax(cos(z, codes) / temperature)`` over ``n_codes`` unit
    code vectors and ``z_q = probs @ codes``.

    Parameters
    ----------
    n_codes, d_model : int
        Original: 128, 256.
    temperature : float, default=1.0
        The original's training value (its downstream code uses 0.1; we keep
        one temperature for training, features and scores).
    """

    def __init__(self, *, n_codes: int = 128, d_model: int = 256, temperature: float = 1.0):
        super().__init__()
        self.temperature = float(temperature)
        self.codes = nn.Parameter(torch.empty(n_codes, d_model).uniform_(-1 / n_codes, 1 / n_codes))

    def forward(self, z):
        """z (..., D) -> probs (..., K), z_q (..., D)."""
        codes = F.normalize(self.codes, dim=-1)  # (K, D)
        sim = F.normalize(z, dim=-1) @ codes.T  # (..., K)
        probs = ((sim - 1.0) / self.temperature).softmax(dim=-1)  # (..., K)
        return probs, probs @ codes  # (..., K), (..., D)


class PatchDecoder(nn.Module):
    """Quantised latent -> normalised patch values: MLP plus a linear residual path.

    Parameters
    ----------
    d_model, patch_size : int
    hidden : tuple of 3 int
        Original: (512, 256, 128).
    dropout : float
    """

    def __init__(
        self,
        *,
        d_model: int = 256,
        patch_size: int = 20,
        hidden: tuple = (512, 256, 128),
        dropout: float = 0.1,
    ):
        super().__init__()
        layers, width = [], d_model
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LayerNorm(h), nn.ReLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, patch_size))
        self.net = nn.Sequential(*layers)
        self.residual = nn.Linear(d_model, patch_size)

    def forward(self, z_q):
        """z_q (N, P, D) -> (N, P, L)."""
        return self.net(z_q) + self.residual(z_q)  # (N, P, L)


class _CodeInput(nn.Module):
    """Code distributions -> predictor tokens (shared start of both predictors)."""

    def __init__(self, *, n_codes: int, n_patches: int, hidden: int, dropout: float):
        super().__init__()
        self.proj = nn.Sequential(
            nn.Linear(n_codes, hidden), nn.LayerNorm(hidden), nn.ReLU(), nn.Dropout(dropout)
        )
        self.pos = nn.Parameter(torch.randn(n_patches, hidden))

    def forward(self, p):
        """p (N, P, K) -> (N, P, H)."""
        return self.proj(p) + self.pos[: p.shape[1]]  # (N, P, H)


def _code_head(hidden: int, n_codes: int, dropout: float):
    return nn.Sequential(
        nn.Linear(hidden, hidden),
        nn.LayerNorm(hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, n_codes),
    )


class CodePredictor(nn.Module):
    """Fine predictor: a window's code distributions -> the next window's, per patch.

    Pre-norm Transformer over the input window's patches (all of them in the
    past, so attention among them is bidirectional as in the original), a
    code-logit head and a latent head (for the latent MSE term).

    Parameters
    ----------
    n_codes, n_patches, d_model : int
        d_model is the latent width the latent head predicts.
    hidden, n_layers, n_heads : int
        Original: 128, 2, 4.
    dropout : float
    """

    def __init__(
        self,
        *,
        n_codes: int = 128,
        n_patches: int = 5,
        d_model: int = 256,
        hidden: int = 128,
        n_layers: int = 2,
        n_heads: int = 4,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.inp = _CodeInput(n_codes=n_codes, n_patches=n_patches, hidden=hidden, dropout=dropout)
        self.layers = transformer_stack(
            n_layers,
            d_model=hidden,
            n_heads=n_heads,
            d_ff=2 * hidden,
            dropout=dropout,
            norm_first=True,
        )
        self.head = _code_head(hidden, n_codes, dropout)
        self.latent = nn.Linear(hidden, d_model)
        _xavier(self)

    def forward(self, p, patch_mask):
        """p (N, P, K), patch_mask (N, P) -> logits (N, P, K), latents (N, P, D)."""
        x = self.inp(p)  # (N, P, H)
        attn_mask = _key_mask(patch_mask)[:, None, None, :]  # (N, 1, 1, P)
        for layer in self.layers:
            x = layer(x, attn_mask)  # (N, P, H)
        return self.head(x), self.latent(x)  # (N, P, K), (N, P, D)


class CoarsePredictor(nn.Module):
    """Coarse predictor: a window's code distributions -> one downsampled future patch's.

    Pre-norm Transformer over the patches, then a learned query attends over
    them (cross-attention, LayerNorm) and a head gives the code logits. The
    original's latent head of this predictor feeds no loss and is left out.
    """

    def __init__(
        self,
        *,
        n_codes: int = 128,
        n_patches: int = 5,
        hidden: int = 128,
        n_layers: int = 2,
        n_heads: int = 4,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.inp = _CodeInput(n_codes=n_codes, n_patches=n_patches, hidden=hidden, dropout=dropout)
        self.layers = transformer_stack(
            n_layers,
            d_model=hidden,
            n_heads=n_heads,
            d_ff=2 * hidden,
            dropout=dropout,
            norm_first=True,
        )
        self.query = nn.Parameter(torch.randn(hidden))
        self.cross = CrossAttention(d_model=hidden, n_heads=n_heads, dropout=dropout)
        self.cross_norm = nn.LayerNorm(hidden)
        self.head = _code_head(hidden, n_codes, dropout)
        _xavier(self)

    def forward(self, p, patch_mask):
        """p (N, P, K), patch_mask (N, P) -> logits (N, K)."""
        N = p.shape[0]
        keys = _key_mask(patch_mask)  # (N, P)
        x = self.inp(p)  # (N, P, H)
        for layer in self.layers:
            x = layer(x, keys[:, None, None, :])  # (N, P, H)
        q = self.query.expand(N, 1, -1)  # (N, 1, H)
        x = self.cross_norm(self.cross(q, x, keys))  # (N, 1, H)
        return self.head(x[:, 0])  # (N, K)


class MTSJEPAEncoder(nn.Module):
    """The encoder slot: ``(context, context_mask) -> h_t (B, d_model)``.

    Reads only the last ``window`` steps of each context (the window ending at
    ``t``), z-scores each variable over its real steps, encodes it as
    ``window / patch_size`` patches with :class:`PatchEncoder`, and returns
    the latent of the last patch (the one ending at ``t``; under causal
    attention it reads the whole window), max-pooled over the variables.

    Parameters
    ----------
    window, patch_size : int
        Original: 100, 20 (``window`` must be a multiple of ``patch_size``).
    d_model, n_layers, n_heads : int
    dropout : float
    """

    def __init__(
        self,
        *,
        window: int = 100,
        patch_size: int = 20,
        d_model: int = 256,
        n_layers: int = 2,
        n_heads: int = 4,
        dropout: float = 0.1,
    ):
        super().__init__()
        if window % patch_size:
            raise ValueError(f"window={window} is not a multiple of patch_size={patch_size}.")
        self.window = window
        self.patch_size = patch_size
        self.n_patches = window // patch_size
        self.d_model = d_model
        self.patches = PatchEncoder(
            patch_size=patch_size,
            n_patches=self.n_patches,
            d_model=d_model,
            n_layers=n_layers,
            n_heads=n_heads,
            dropout=dropout,
        )

    def split(self, x, mask):
        """Windows (B, window, C) -> normalised patches and the raw values behind them.

        Returns a dict: ``patches`` (N, P, L) normalised, ``patch_mask`` (N, P)
        (a patch with a real step), ``raw`` / ``raw_mask`` (N, window) and
        ``mean`` / ``std`` (N, 1), with N = B * C.
        """
        raw, raw_mask = channel_series(x, mask)  # (N, W), (N, W)
        normed, mean, std = instance_normalize(raw, raw_mask)  # (N, W), (N, 1), (N, 1)
        N = raw.shape[0]
        P, L = self.n_patches, self.patch_size
        return {
            "patches": normed.reshape(N, P, L),
            "patch_mask": raw_mask.reshape(N, P, L).any(dim=-1),  # (N, P)
            "raw": raw,
            "raw_mask": raw_mask,
            "mean": mean,
            "std": std,
        }

    def forward(self, context, context_mask):
        """context (B, W, C), context_mask (B, W) or (B, W, C) -> h_t (B, D)."""
        B, _, C = context.shape
        mask = step_mask_3d(context_mask, C)  # (B, W, C)
        x, mask = last_steps(context, mask, self.window)  # (B, window, C) x 2
        win = self.split(x, mask)
        z = self.patches(win["patches"], win["patch_mask"])  # (N, P, D)
        return pool_channels(z[:, -1], win["patch_mask"][:, -1], B)  # (B, D)


# ---------------------------------------------------------------- whole network
class MTSJEPAModule(nn.Module):
    """MTS-JEPA's pretraining network on contexts of two windows ending at t.

    ``forward`` returns the outputs :class:`MTSJEPALoss` reads: the online
    branch on the first window (latents, code distributions, reconstruction,
    fine and coarse predictions of the second window) and the EMA target
    branch on the second window (per-patch code distributions and quantised
    latents, and the code distribution of its downsampled patch).

    Parameters
    ----------
    encoder : MTSJEPAEncoder
        Online encoder; also the encoder slot's ``h_t``.
    codebook : SoftCodebook
    predictor : CodePredictor
    coarse_predictor : CoarsePredictor
    decoder : PatchDecoder
    temperature : float, default=0.8
        Temperature of the predicted code distributions (the original's
        ``PRED_TEMP``), in the loss and in ``anomaly_score``.

    The EMA targets (``target_patches``, ``target_codebook``) start as
    copies of the online encoder and codebook, take no gradient, never use
    dropout, and move by :meth:`update_target`.
    """

    def __init__(
        self,
        *,
        encoder: MTSJEPAEncoder,
        codebook: SoftCodebook,
        predictor: CodePredictor,
        coarse_predictor: CoarsePredictor,
        decoder: PatchDecoder,
        temperature: float = 0.8,
    ):
        super().__init__()
        self.encoder = encoder
        self.codebook = codebook
        self.predictor = predictor
        self.coarse_predictor = coarse_predictor
        self.decoder = decoder
        self.temperature = float(temperature)
        self.target_patches = copy.deepcopy(encoder.patches).requires_grad_(False)
        self.target_codebook = copy.deepcopy(codebook).requires_grad_(False)

    @property
    def window(self) -> int:
        return self.encoder.window

    def train(self, mode: bool = True):
        super().train(mode)
        # the original's targets are built in eval mode and stay there (no dropout)
        self.target_patches.eval()
        self.target_codebook.eval()
        return self

    @torch.no_grad()
    def update_target(self, momentum: float) -> None:
        """target <- momentum * target + (1 - momentum) * online (encoder and codebook)."""
        pairs = [(self.target_patches, self.encoder.patches), (self.target_codebook, self.codebook)]
        for target, online in pairs:
            for t, s in zip(target.parameters(), online.parameters(), strict=True):
                t.lerp_(s, 1.0 - momentum)

    def _two_windows(self, context, context_mask):
        """The last 2 * window steps split into (first, second) window dicts and B."""
        B, _, C = context.shape
        W = self.window
        mask = step_mask_3d(context_mask, C)  # (B, S, C)
        x, mask = last_steps(context, mask, 2 * W)  # (B, 2W, C) x 2
        first = self.encoder.split(x[:, :W], mask[:, :W])
        second = self.encoder.split(x[:, W:], mask[:, W:])
        return first, second, B

    def _predict(self, first):
        """Online branch on the first window: latents, codes, log-predictions of the next."""
        z = self.encoder.patches(first["patches"], first["patch_mask"])  # (N, P, D)
        probs, z_q = self.codebook(z)  # (N, P, K), (N, P, D)
        logits, z_pred = self.predictor(probs, first["patch_mask"])  # (N, P, K), (N, P, D)
        log_q = F.log_softmax(logits / self.temperature, dim=-1)  # (N, P, K)
        return z, probs, z_q, log_q, z_pred

    def _target_codes(self, second):
        """EMA target branch on the second window: per-patch code distributions, z_q."""
        z = self.target_patches(second["patches"], second["patch_mask"])  # (N, P, D)
        return self.target_codebook(z)  # (N, P, K), (N, P, D)

    def forward(self, context, context_mask, **_):
        """context (B, S, C), context_mask (B, S) -> dict of the loss inputs (N = B * C)."""
        first, second, _ = self._two_windows(context, context_mask)
        z, probs, z_q, log_q, z_pred = self._predict(first)
        N, P, L = first["patches"].shape
        # reconstruction in the scaled units of the input, as the original's
        recon = self.decoder(z_q) * first["std"][:, :, None] + first["mean"][:, :, None]  # (N,P,L)
        log_q_coarse = F.log_softmax(
            self.coarse_predictor(probs, first["patch_mask"]) / self.temperature, dim=-1
        )  # (N, K)
        with torch.no_grad():
            p_next, z_q_next = self._target_codes(second)  # (N, P, K), (N, P, D)
            coarse, coarse_mask = downsample(second["raw"], second["raw_mask"], L)  # (N, L) x 2
            coarse, _, _ = instance_normalize(coarse, coarse_mask)  # (N, L)
            coarse_real = coarse_mask.any(dim=1, keepdim=True)  # (N, 1)
            z_c = self.target_patches(coarse[:, None], coarse_real)  # (N, 1, D)
            p_coarse, _ = self.target_codebook(z_c[:, 0])  # (N, K)
        return {
            "z": z,
            "z_q": z_q,
            "probs": probs,
            "patch_mask": first["patch_mask"],
            "recon": recon,
            "target_steps": first["raw"].reshape(N, P, L),
            "step_mask": first["raw_mask"].reshape(N, P, L),
            "log_q": log_q,
            "z_pred": z_pred,
            "p_next": p_next,
            "z_q_next": z_q_next,
            "next_mask": second["patch_mask"],
            "log_q_coarse": log_q_coarse,
            "p_coarse": p_coarse,
            "coarse_mask": coarse_real[:, 0],
        }

    def anomaly_score(self, context, context_mask):
        """Prediction surprise of the window ending at t: (B, S, C), (B, S) -> (B,).

        KL(target code distribution of each patch of the window ending at t ||
        the distribution the fine predictor gave it from the window before),
        averaged over the window's real patches, max over the variables. A
        row whose previous window is empty (the first ``window`` rows of a
        series) is scored against the predictor's learned prior.
        """
        first, second, B = self._two_windows(context, context_mask)
        _, _, _, log_q, _ = self._predict(first)  # (N, P, K)
        p_next, _ = self._target_codes(second)  # (N, P, K)
        kl = F.kl_div(log_q, p_next, reduction="none").sum(dim=-1)  # (N, P)
        m = second["patch_mask"].to(kl.dtype)  # (N, P)
        per_var = (kl * m).sum(dim=1) / m.sum(dim=1).clamp_min(1.0)  # (N,)
        return pool_channels(per_var, second["patch_mask"].any(dim=1), B)  # (B,)

    def code_probabilities(self, context, context_mask):
        """Online code distributions of the window ending at t: (B, S, C) -> (B, C, P, K).

        The original's downstream features (before its max over variables).
        """
        B, _, C = context.shape
        mask = step_mask_3d(context_mask, C)  # (B, S, C)
        x, mask = last_steps(context, mask, self.window)  # (B, window, C) x 2
        win = self.encoder.split(x, mask)
        probs, _ = self.codebook(self.encoder.patches(win["patches"], win["patch_mask"]))
        return probs.reshape(B, C, *probs.shape[1:])  # (B, C, P, K)


# ------------------------------------------------------------------------- loss
class MTSJEPALoss(nn.Module):
    """The original's total loss over the real patches (``engine/losses.py``, ``train.py``).

    ``kl_fine + coarse_weight * kl_coarse + mse_weight * mse + codebook_weight
    * codebook + commitment_weight * commitment + entropy_sample_weight *
    entropy_sample + entropy_batch_weight * entropy_batch + recon_weight *
    recon``. ``kl_fine`` is summed over the window's patches and averaged over
    series (``batchmean``); the others are means. ``entropy_batch`` is minus
    the entropy of the batch's mean code distribution (maximised). A skorch
    callback sets ``recon_weight`` per epoch (its annealing) and
    ``validating`` on validation batches, whose loss is then the original's
    model-selection loss ``kl_fine + validation_recon_weight * recon``
    (``engine/validate.py``): comparable across epochs, whatever the
    annealed weight. ``code_perplexity`` (exp of the batch code entropy,
    1..n_codes) is recorded, not trained.
    """

    def __init__(
        self,
        *,
        coarse_weight: float = 0.5,
        mse_weight: float = 0.1,
        codebook_weight: float = 1.0,
        commitment_weight: float = 0.25,
        entropy_sample_weight: float = 0.005,
        entropy_batch_weight: float = 0.01,
        recon_weight: float = 0.5,
        validation_recon_weight: float = 0.01,
    ):
        super().__init__()
        self.coarse_weight = coarse_weight
        self.mse_weight = mse_weight
        self.codebook_weight = codebook_weight
        self.commitment_weight = commitment_weight
        self.entropy_sample_weight = entropy_sample_weight
        self.entropy_batch_weight = entropy_batch_weight
        self.recon_weight = recon_weight
        self.validation_recon_weight = validation_recon_weight
        self.validating = False

    def forward(self, y_pred, y_true=None):
        o = y_pred
        P = o["log_q"].shape[1]
        nxt, past = o["next_mask"], o["patch_mask"]  # (N, P), (N, P)
        kl = F.kl_div(o["log_q"], o["p_next"], reduction="none").sum(dim=-1)  # (N, P)
        kl_fine = masked_mean(kl, nxt) * P
        kl_c = F.kl_div(o["log_q_coarse"], o["p_coarse"], reduction="none").sum(dim=-1)  # (N,)
        kl_coarse = masked_mean(kl_c, o["coarse_mask"])
        mse = masked_mean(((o["z_pred"] - o["z_q_next"]) ** 2).mean(dim=-1), nxt)
        z, z_q = o["z"], o["z_q"]  # (N, P, D) x 2
        codebook = masked_mean(((z_q - z.detach()) ** 2).mean(dim=-1), past)
        commitment = masked_mean(((z - z_q.detach()) ** 2).mean(dim=-1), past)
        probs = o["probs"].clamp(1e-6, 1 - 1e-6)  # (N, P, K)
        entropy_sample = masked_mean(-(probs * probs.log()).sum(dim=-1), past)
        m = past.unsqueeze(-1).to(probs.dtype)  # (N, P, 1)
        mean_probs = (probs * m).sum(dim=(0, 1)) / m.sum().clamp_min(1.0)  # (K,)
        batch_entropy = -(mean_probs * mean_probs.clamp_min(1e-12).log()).sum()
        recon = masked_mean((o["recon"] - o["target_steps"]) ** 2, o["step_mask"])
        if self.validating:
            # the original's model-selection loss (engine/validate.py)
            loss = kl_fine + self.validation_recon_weight * recon
        else:
            loss = (
                kl_fine
                + self.coarse_weight * kl_coarse
                + self.mse_weight * mse
                + self.codebook_weight * codebook
                + self.commitment_weight * commitment
                + self.entropy_sample_weight * entropy_sample
                - self.entropy_batch_weight * batch_entropy
                + self.recon_weight * recon
            )
        parts = {
            "kl_fine": kl_fine,
            "kl_coarse": kl_coarse,
            "mse": mse,
            "codebook": codebook,
            "commitment": commitment,
            "entropy_sample": entropy_sample,
            "entropy_batch": -batch_entropy,
            "recon": recon,
            "code_perplexity": batch_entropy.exp(),
        }
        return loss, parts
