"""The torch modules on their own: shapes, causality, monotone CDF, SIGReg, losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sktime_hepa._windows import gather_contexts, gather_futures
from sktime_hepa.nn.encoder import HEPAEncoder
from sktime_hepa.nn.event_head import EventHead, cdf_from_hazard_logits, log_survival
from sktime_hepa.nn.hepa import EventModule, JEPAModule
from sktime_hepa.nn.losses import JEPALoss, SurvivalBCELoss
from sktime_hepa.nn.predictor import HorizonPredictor
from sktime_hepa.nn.sigreg import SIGReg

torch.set_num_threads(1)


def small_encoder(**kw):
    torch.manual_seed(0)
    return HEPAEncoder(n_channels=3, d_model=16, n_heads=2, patch_size=4, **kw).eval()


@pytest.mark.parametrize("normalization", ["instance", "instance_stats", "none"])
def test_encoder_is_causal(normalization):
    """Changing steps after t changes nothing of h_t; changing steps before t does."""
    enc = small_encoder(normalization=normalization)
    x = torch.randn(2, 24, 3)
    mask = torch.ones(2, 24, dtype=torch.bool)
    h = enc(x[:, :16], mask[:, :16])  # contexts ending at step 15
    x_future = x.clone()
    x_future[:, 16:] += 5.0
    assert torch.allclose(enc(x_future[:, :16], mask[:, :16]), h)
    x_past = x.clone()
    x_past[:, 2] += 5.0
    assert not torch.allclose(enc(x_past[:, :16], mask[:, :16]), h)


def test_padding_does_not_change_h():
    """A context left-padded with a masked patch gives the same h_t."""
    enc = small_encoder()
    x = torch.randn(3, 12, 3)
    mask = torch.ones(3, 12, dtype=torch.bool)
    padded = torch.cat([torch.randn(3, 4, 3), x], dim=1)  # garbage in the padding
    padded_mask = torch.cat([torch.zeros(3, 4, dtype=torch.bool), mask], dim=1)
    assert torch.allclose(enc(x, mask), enc(padded, padded_mask), atol=1e-5)


def test_summary_only_matches_full_last_layer():
    enc = small_encoder()
    x = torch.randn(2, 20, 3)
    mask = torch.ones(2, 20, dtype=torch.bool)
    mask[0, :7] = False  # a partial first patch and a padded one
    stats = enc.context_stats(x, mask)
    tok, tok_mask, _ = enc._tokens(x, mask, stats)
    fast = enc._run(tok, tok_mask, causal=True, summary_only=True)[:, -1]
    full = enc._run(tok, tok_mask, causal=True, summary_only=False)[:, -1]
    assert torch.allclose(fast, full, atol=1e-5)


def test_instance_stats_sees_levels_instance_does_not():
    x = torch.randn(2, 16, 3)
    mask = torch.ones(2, 16, dtype=torch.bool)
    plain, stats = small_encoder(), small_encoder(normalization="instance_stats")
    assert torch.allclose(plain(x + 3.0, mask), plain(x, mask), atol=1e-4)
    assert not torch.allclose(stats(x + 3.0, mask), stats(x, mask), atol=1e-4)


def test_target_encoder_shape_and_mask():
    enc = small_encoder()
    ctx, fut = torch.randn(2, 8, 3), torch.randn(2, 8, 3)
    ctx_mask = torch.ones(2, 8, dtype=torch.bool)
    fut_mask = torch.zeros(2, 8, dtype=torch.bool)
    fut_mask[:, :3] = True
    stats = enc.context_stats(ctx, ctx_mask)
    h_star = enc.encode_target(fut, fut_mask, stats=stats)
    assert h_star.shape == (2, 16)
    fut2 = fut.clone()
    fut2[:, 3:] = 100.0  # masked steps do not matter
    assert torch.allclose(enc.encode_target(fut2, fut_mask, stats=stats), h_star, atol=1e-5)


def test_predictor_forward_horizons_matches_forward():
    torch.manual_seed(0)
    pred = HorizonPredictor(d_model=8, hidden=12, horizon_scale=10)
    h = torch.randn(5, 8)
    dts = torch.arange(1, 11, dtype=torch.float32)
    batched = pred.forward_horizons(h, dts)  # (5, 10, 8)
    for k, dt in enumerate(dts):
        assert torch.allclose(batched[:, k], pred(h, dt.expand(5)), atol=1e-6)


def test_paper_sizes():
    assert sum(p.numel() for p in HorizonPredictor().parameters()) == 197_632
    assert sum(p.numel() for p in EventHead().parameters()) == 769


def test_cdf_is_monotone_and_in_unit_interval():
    logits = torch.randn(50, 30) * 10
    p = cdf_from_hazard_logits(logits)
    assert ((p >= 0) & (p <= 1)).all()
    assert (p.diff(dim=-1) >= 0).all()
    lam = torch.sigmoid(logits)
    assert torch.allclose(p, 1 - torch.cumprod(1 - lam, dim=-1), atol=1e-6)


def test_sigreg_is_small_for_gaussian_large_for_collapse():
    torch.manual_seed(0)
    sig = SIGReg()
    gaussian = sig(torch.randn(512, 32))
    collapsed = sig(torch.ones(512, 32))
    shifted = sig(torch.randn(512, 32) + 2.0)
    assert gaussian < 3.0  # O(1) for a true Gaussian: n * E|phi_n - phi|^2
    assert collapsed > 50 * gaussian
    assert shifted > 10 * gaussian


def test_jepa_loss_parts_and_reductions():
    torch.manual_seed(0)
    h_hat, h_star = torch.randn(64, 32), torch.randn(64, 32)
    loss_sum, parts_sum = JEPALoss(l1_reduction="sum")((h_hat, h_star))
    torch.manual_seed(0)
    loss_mean, parts_mean = JEPALoss(l1_reduction="mean")((h_hat, h_star))
    assert torch.isclose(parts_sum["l1"], parts_mean["l1"] * 32)
    assert torch.isclose(loss_sum, 0.9 * parts_sum["l1"] + 0.1 * parts_sum["sigreg"])
    with pytest.raises(ValueError, match="l1_reduction"):
        JEPALoss(l1_reduction="max")


def test_jepa_loss_adds_the_masked_reconstruction_error():
    h_hat, h_star, h = torch.randn(8, 16), torch.randn(8, 16), torch.randn(8, 16)
    recon, values = torch.zeros(8, 6), torch.ones(8, 6)
    mask = torch.ones(8, 6, dtype=torch.bool)
    mask[:, :2] = False
    values[:, :2] = 100.0  # uncounted values leave the error alone
    torch.manual_seed(0)
    base, _ = JEPALoss(reconstruction_weight=0.5)((h_hat, h_star, h))
    torch.manual_seed(0)
    loss, parts = JEPALoss(reconstruction_weight=0.5)((h_hat, h_star, h, recon, values, mask))
    assert parts["recon"] == 1.0 and parts["recon_mean_ref"] == 1.0
    assert torch.isclose(loss, base + 0.5)


def test_survival_bce_ignores_unknown_cells_and_weights_positives():
    logits = torch.randn(4, 6)
    labels = torch.zeros(4, 6)
    labels[0, 3:] = 1
    known = torch.ones(4, 6, dtype=torch.bool)
    known[1, 2:] = False
    base, _ = SurvivalBCELoss(pos_weight=1.0)(logits, (labels, known))
    p = cdf_from_hazard_logits(logits)
    expected = -(labels * p.log() + (1 - labels) * (1 - p).log())
    expected = torch.where(known, expected, torch.zeros_like(expected)).sum(-1).mean()
    assert torch.isclose(base, expected, atol=1e-5)
    weighted, _ = SurvivalBCELoss(pos_weight=3.0)(logits, (labels, known))
    pos_part = -(labels * p.log()).sum(-1).mean()
    assert torch.isclose(weighted - base, 2.0 * pos_part, atol=1e-5)
    # extreme logits stay finite
    extreme, _ = SurvivalBCELoss(pos_weight=5.0)(torch.full((2, 6), 50.0), (labels[:2], known[:2]))
    assert torch.isfinite(extreme)
    assert torch.isfinite(log_survival(torch.full((1, 3), -80.0))).all()


def test_modules_compose():
    enc = small_encoder()
    pred = HorizonPredictor(d_model=16, hidden=8, horizon_scale=10)
    jepa = JEPAModule(encoder=enc, predictor=pred)
    series = [np.random.default_rng(0).standard_normal((30, 3)).astype(np.float32)]
    sidx, t, dt = np.array([0, 0]), np.array([3, 20]), np.array([2, 9])
    ctx, ctx_mask = gather_contexts(series, sidx, t, context_length=None, patch_size=4)
    fut, fut_mask = gather_futures(series, sidx, t, dt, patch_size=4)
    assert ctx.shape == (2, 24, 3) and ctx_mask.sum(1).tolist() == [4, 21]
    assert fut.shape == (2, 12, 3) and fut_mask.sum(1).tolist() == [2, 9]
    np.testing.assert_array_equal(ctx[1, -1], series[0][20])
    np.testing.assert_array_equal(fut[1, 0], series[0][21])
    tensors = [torch.from_numpy(a) for a in (ctx, ctx_mask, fut, fut_mask)]
    h_hat, h_star, _ = jepa(*tensors, torch.from_numpy(dt.astype(np.float32)))
    assert h_hat.shape == h_star.shape == (2, 16)
    events = EventModule(encoder=enc, predictor=pred, head=EventHead(d_model=16), n_horizons=7)
    logits = events(context=tensors[0], context_mask=tensors[1])
    assert logits.shape == (2, 7)
    assert torch.allclose(events(h=enc(tensors[0], tensors[1])), logits)
