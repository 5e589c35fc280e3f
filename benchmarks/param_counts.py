"""Parameter counts of the paper-size HEPA networks, next to the paper's.

Usage::

    python -m benchmarks.param_counts
"""

from __future__ import annotations

from sktime_hepa.nn.encoder import HEPAEncoder
from sktime_hepa.nn.event_head import EventHead
from sktime_hepa.nn.predictor import HorizonPredictor


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def main():
    predictor, head = count(HorizonPredictor()), count(EventHead())
    print(f"predictor (d=256, hidden=384): {predictor:,}   (paper: 197.6K)")
    print(f"event head (LayerNorm + Linear): {head:,}   (paper: 769)")
    print(f"finetuned in pred-FT: {predictor + head:,}   (paper: 198K)")
    print("sensors | encoder | of which patch embedding | total (encoder+predictor+head)")
    for n_channels in (2, 14, 25, 52):
        encoder = HEPAEncoder(n_channels=n_channels)
        total = count(encoder) + predictor + head
        print(f"{n_channels:7d} | {count(encoder):,} | {count(encoder.patch_embed):,} | {total:,}")
    print("paper: 2.16M total (sensor count not stated)")


if __name__ == "__main__":
    main()
