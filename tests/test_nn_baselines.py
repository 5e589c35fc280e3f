"""The baselines' torch modules: dt-MLP head, MAE pretraining, PatchTST and iTransformer."""

from __future__ import annotations

import pytest
import torch

from sktime_hepa.nn.dt_mlp_head import DtMLPHead
from sktime_hepa.nn.encoder import HEPAEncoder
from sktime_hepa.nn.itransformer import ITransformerBackbone
from sktime_hepa.nn.mae import MAEModule, MaskedReconstructionLoss
from sktime_hepa.nn.patchtst import PatchTSTBackbone

torch.set_num_threads(1)

C, P = 3, 4


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def _contexts(n_real, W, *, seed=0):
    """Left-padded contexts (B, W, C) with ``n_real[b]`` real steps; garbage in the padding."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(len(n_real), W, C, generator=g)
    mask = torch.zeros(len(n_real), W, dtype=torch.bool)
    for b, n in enumerate(n_real):
        mask[b, W - n :] = True
    return x, mask


def _left_pad(x, mask, n_pad, *, seed=1):
    g = torch.Generator().manual_seed(seed)
    garbage = 5.0 * torch.randn(x.shape[0], n_pad, x.shape[2], generator=g)
    pad_mask = torch.zeros(x.shape[0], n_pad, dtype=torch.bool)
    return torch.cat([garbage, x], dim=1), torch.cat([pad_mask, mask], dim=1)


# ------------------------------------------------------------------ dt-MLP head


def test_dt_mlp_head_parameter_count_and_shape():
    head = DtMLPHead(d_input=256)
    assert _count(head) == 263_681  # the paper's "264K" (appendix C)
    assert _count(DtMLPHead(d_input=24)) == 263_681 - (256 - 24) * 256
    logits = head(torch.randn(5, 256), torch.arange(1, 151, dtype=torch.float32))
    assert logits.shape == (5, 150) and torch.isfinite(logits).all()


def test_dt_mlp_head_has_one_embedding_per_horizon():
    head = DtMLPHead(d_input=8, width=16, n_embeddings=10)
    h = torch.randn(2, 8)
    # horizon k uses embedding row k-1: the first columns do not depend on K
    full = head(h, torch.arange(1, 11, dtype=torch.float32))
    assert torch.allclose(head(h, torch.arange(1, 4, dtype=torch.float32)), full[:, :3])
    with pytest.raises(ValueError, match="10 horizon embeddings, 11 requested"):
        head(h, torch.arange(1, 12, dtype=torch.float32))


# ------------------------------------------------------------------ MAE


def _mae(mask_ratio=0.4, **kw):
    torch.manual_seed(0)
    enc = HEPAEncoder(n_channels=C, d_model=16, n_heads=2, patch_size=P, dropout=0.0, **kw)
    return MAEModule(encoder=enc, n_channels=C, mask_ratio=mask_ratio)


@pytest.mark.parametrize("mask_ratio", [1e-6, 0.4, 1 - 1e-6])
@pytest.mark.parametrize("normalization", ["instance", "instance_stats"])
def test_mae_masks_only_real_patches_and_at_least_one(mask_ratio, normalization):
    mae = _mae(mask_ratio, normalization=normalization)
    # 6 patches: all real, two padded patches and a partial one, a single partial patch
    x, mask = _contexts([24, 10, 3, 1], 24)
    real = mask.reshape(4, 6, P).any(-1)  # (B, T)
    torch.manual_seed(0)
    for _ in range(20):
        recon, patches, masked = mae(x, mask)
        assert recon.shape == patches.shape == (4, 6, P * C)
        assert masked.shape == (4, 6) and masked.dtype == torch.bool
        assert not (masked & ~real).any()  # padding is never a target
        assert masked.any(dim=1).all()  # every context has a target
        if mask_ratio < 0.01:  # none drawn: the last (real) patch is the target
            assert masked.sum().item() == 4 and masked[:, -1].all()
        if mask_ratio > 0.99:
            assert torch.equal(masked, real)


def test_mae_targets_are_the_normalised_patches_of_padding_zero():
    mae = _mae()
    x, mask = _contexts([10], 12)
    _, patches, _ = mae(x, mask)
    flat = patches.reshape(1, 12, C)  # patch (P steps x C channels) back to steps
    assert torch.equal(flat[0, :2], torch.zeros(2, C))  # padded steps are exact zeros
    real = flat[0, 2:]
    assert torch.allclose(real.mean(0), torch.zeros(C), atol=1e-5)  # instance-normalised
    assert torch.allclose(real.std(0, unbiased=False), torch.ones(C), atol=1e-3)


def test_masked_reconstruction_loss_only_counts_masked_patches():
    recon, patches = torch.zeros(2, 3, 4), torch.ones(2, 3, 4)
    masked = torch.tensor([[False, True, False], [True, False, False]])
    loss, parts = MaskedReconstructionLoss()((recon, patches, masked))
    assert loss.item() == pytest.approx(1.0) and parts["mse"] is loss
    recon[~masked] = 100.0  # errors on unmasked patches do not count
    assert MaskedReconstructionLoss()((recon, patches, masked))[0].item() == pytest.approx(1.0)


def test_mae_loss_finite_and_decreasing_on_a_fixed_batch():
    mae = _mae()
    x, mask = _contexts([24, 20, 13, 9, 24, 5, 17, 24], 24)
    loss_fn = MaskedReconstructionLoss()
    opt = torch.optim.AdamW(mae.parameters(), lr=1e-2)
    losses = []
    for _ in range(25):
        torch.manual_seed(0)  # the same masks every step: only the weights change
        loss, _ = loss_fn(mae(x, mask))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < 0.5 * losses[0]
    assert mae.mask_token.grad is not None and mae.mask_token.grad.abs().sum() > 0


# ------------------------------------------------------------------ forward_tokens vs forward


@pytest.mark.parametrize("normalization", ["instance", "instance_stats", "none"])
@pytest.mark.parametrize("n_real", [[16, 16], [16, 9, 2]], ids=["no_padding", "padding"])
def test_forward_tokens_last_position_is_h(normalization, n_real):
    torch.manual_seed(0)
    kw = dict(d_model=16, n_heads=2, patch_size=P, normalization=normalization)
    enc = HEPAEncoder(n_channels=C, **kw).eval()
    x, mask = _contexts(n_real, 16)
    out, token_mask, patches = enc.forward_tokens(x, mask, masked=None, mask_token=None)
    assert out.shape == (len(n_real), 4, 16) and patches.shape == (len(n_real), 4, P * C)
    assert torch.equal(token_mask, mask.reshape(len(n_real), 4, P).any(-1))
    h = enc(x, mask)
    assert torch.allclose(out[:, -1], h, atol=1e-5)
    # nothing masked is the same as no masking at all
    none = torch.zeros(len(n_real), 4, dtype=torch.bool)
    out_none, _, _ = enc.forward_tokens(x, mask, masked=none, mask_token=torch.ones(16))
    assert torch.allclose(out_none, out, atol=1e-6)
    # a masked earlier patch reaches h_t through causal attention
    some = none.clone()
    some[:, -2] = True
    out_some, _, _ = enc.forward_tokens(x, mask, masked=some, mask_token=torch.ones(16))
    assert not torch.allclose(out_some[:, -1], h, atol=1e-4)


# ------------------------------------------------------------------ PatchTST / iTransformer


def _patchtst(**kw):
    torch.manual_seed(0)
    net = PatchTSTBackbone(n_channels=C, d_model=16, n_layers=2, n_heads=2, patch_size=P, **kw)
    return net.eval()


def _itransformer(**kw):
    torch.manual_seed(0)
    net = ITransformerBackbone(n_channels=C, context_length=24, d_model=16, n_heads=2, **kw)
    return net.eval()


BACKBONES = {"patchtst": _patchtst, "itransformer": _itransformer}


@pytest.mark.parametrize("name", list(BACKBONES))
def test_backbone_output_shape(name):
    net = BACKBONES[name](d_out=12)
    assert net.d_model == 12  # the width the event head and the estimators read
    x, mask = _contexts([16, 7, 1], 16)
    h = net(x, mask)
    assert h.shape == (3, 12) and torch.isfinite(h).all()


@pytest.mark.parametrize("name", list(BACKBONES))
@pytest.mark.parametrize("n_real", [[12, 12], [12, 10, 3]], ids=["whole_patches", "partial"])
def test_backbone_left_padding_invariance(name, n_real):
    """Extra left padding (masked, garbage-filled) does not change h."""
    net = BACKBONES[name]()
    x, mask = _contexts(n_real, 12)
    h = net(x, mask)
    padded, padded_mask = _left_pad(x, mask, 2 * P)
    assert torch.allclose(net(padded, padded_mask), h, atol=1e-5)


@pytest.mark.parametrize("name", list(BACKBONES))
def test_backbone_sees_the_whole_context(name):
    net = BACKBONES[name]()
    x, mask = _contexts([12], 12)
    h = net(x, mask)
    x_old = x.clone()
    x_old[:, 0] += 3.0  # the oldest step (bidirectional / whole-window models)
    assert not torch.allclose(net(x_old, mask), h, atol=1e-4)


def test_backbones_train_mode_uses_dropout():
    net = _patchtst(dropout=0.5).train()
    x, mask = _contexts([12, 8], 12)
    assert not torch.allclose(net(x, mask), net(x, mask))
    net.eval()
    assert torch.equal(net(x, mask), net(x, mask))
