"""The MAE baseline's pretraining network: masked patch reconstruction."""

from __future__ import annotations

import torch
from torch import nn

from .encoder import HEPAEncoder


class MAEModule(nn.Module):
    """HEPA's causal encoder pretrained to reconstruct masked input patches.

    A random ``mask_ratio`` of each context's real patches is replaced by a
    learned mask token; a linear decoder maps each masked position's output to
    the patch's (instance-normalised) values. Under the causal mask a masked
    patch is reconstructed from the patches before it and its position. After
    pretraining the decoder is dropped and the encoder is used like HEPA's.
    """

    def __init__(self, *, encoder: HEPAEncoder, n_channels: int, mask_ratio: float = 0.4):
        super().__init__()
        self.encoder = encoder
        self.mask_ratio = float(mask_ratio)
        self.mask_token = nn.Parameter(0.02 * torch.randn(encoder.d_model))
        self.decoder = nn.Linear(encoder.d_model, encoder.patch_size * n_channels)

    def forward(self, context, context_mask, **_):
        """Returns (reconstruction (B, T, P*C), target patches (B, T, P*C), masked (B, T))."""
        B, W, _ = context.shape
        T = W // self.encoder.patch_size
        real = context_mask.reshape(B, T, -1).any(dim=-1)  # (B, T)
        masked = (torch.rand(B, T, device=context.device) < self.mask_ratio) & real  # (B, T)
        # at least one masked patch per context: the last real one when none was drawn
        none = ~masked.any(dim=1)  # (B,)
        masked[:, -1] |= none
        out, _, patches = self.encoder.forward_tokens(
            context, context_mask, masked=masked, mask_token=self.mask_token
        )  # (B, T, D), _, (B, T, P*C)
        return self.decoder(out), patches, masked


class MaskedReconstructionLoss(nn.Module):
    """Mean squared error over the masked patches (per patch value).

    The part ``mse_mean_ref`` is the reference: the error of reconstructing
    every masked patch as the context's mean (0 after normalisation), i.e.
    the masked patches' mean square. A decoder that learned nothing scores
    about that value, so ``mse / mse_mean_ref`` reads like HEPA's prediction
    ratio.
    """

    def forward(self, y_pred, y_true=None):
        recon, patches, masked = y_pred  # (B, T, PC), (B, T, PC), (B, T)
        err = ((recon - patches) ** 2).mean(-1)  # (B, T)
        mse = err[masked].mean()
        ref = (patches**2).mean(-1)[masked].mean().detach()  # predicting the mean
        return mse, {"mse": mse, "mse_mean_ref": ref}
