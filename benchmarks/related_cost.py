"""What a related system's optimiser step costs here, at its reference size and at the CPU size.

Issue 17 asks for each related system at its reference size under HEPA's
step budget, "where CPU time forbids the reference size, say so and show the
size used". This prints and records the figure behind that sentence: for each
system and size (``reference``: the class defaults, which are the reference
code's sizes, docs/design.md; ``cpu``: ``protocol.RELATED``), one epoch of a few
training batches on a synthetic panel of ``--channels`` sensors, its seconds per
training batch (the epoch's duration over its training batches, validation
included), and what HEPA's matched budget (``protocol.BUDGETS["matched"]``:
8 epochs of 19 training batches, 152 steps) would take at that rate.

Run it alone (a speed figure taken beside another job is not one)::

    OMP_NUM_THREADS=1 python -m benchmarks.related_cost --channels 25
"""

from __future__ import annotations

import argparse
import math
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from sktime_hepa import __version__

from .protocol import BUDGETS, RELATED, batch_size_of, related_size
from .run import append_record, git_commit

RESULTS = Path(__file__).parent / "results" / "related_cost.jsonl"
#: training batches of one epoch at HEPA's matched budget (80 % of 24 batches)
MATCHED = BUDGETS["matched"]
MATCHED_STEPS = MATCHED.related_epochs * round(0.8 * MATCHED.related_batches)


def panel(n_rows: int, n_channels: int, seed: int = 0) -> pd.DataFrame:
    """One series of Gaussian noise: the cost of a step does not depend on the values."""
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product([[0], range(n_rows)], names=["unit", "t"])
    return pd.DataFrame(rng.normal(size=(n_rows, n_channels)), index=index)


def time_epoch(cls, size: dict, X: pd.DataFrame, batches: int) -> dict:
    """Fit one epoch of about ``batches`` training batches; seconds per training batch."""
    batch_size = batch_size_of(cls, size)
    windows = math.ceil(batches / 0.8) * batch_size  # 80 % train, 20 % validation
    stride = max(1, len(X) // windows)
    model = cls(max_epochs=1, stride=stride, random_state=0, **size)
    t0 = time.perf_counter()
    model.fit(X)
    seconds = time.perf_counter() - t0
    epoch = model.history_[-1]
    per_step = epoch["dur"] / max(1, epoch["train_batch_count"])
    return {
        "batch_size": batch_size,
        "train_batches": int(epoch["train_batch_count"]),
        "epoch_seconds": round(float(epoch["dur"]), 2),
        "fit_seconds": round(seconds, 2),
        "seconds_per_step": round(float(per_step), 3),
        "matched_budget_minutes": round(per_step * MATCHED_STEPS / 60, 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", nargs="+", default=list(RELATED), choices=list(RELATED))
    parser.add_argument("--size", nargs="+", default=["cpu", "reference"])
    parser.add_argument("--channels", type=int, default=25, help="SMAP's 25 by default")
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--batches", type=int, default=3, help="training batches timed")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    X = panel(args.rows, args.channels)
    for method in args.method:
        cls, _ = RELATED[method]
        for size_name in args.size:
            # the reference size is the class default (docs/design.md); the CPU one shrinks it
            size = related_size(method, reference=size_name == "reference")
            rec = {
                "method": method,
                "size": size_name,
                "size_params": size,
                "channels": args.channels,
                "rows": args.rows,
                "threads": torch.get_num_threads(),
                "matched_steps": MATCHED_STEPS,
                **time_epoch(cls, size, X, args.batches),
                "version": __version__,
                "commit": git_commit(),
                "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
            append_record(args.out, rec)
            print(
                f"{method:20s} {size_name:9s} {rec['seconds_per_step']:8.3f} s/step  "
                f"matched budget ({MATCHED_STEPS} steps) ~{rec['matched_budget_minutes']} min",
                flush=True,
            )


if __name__ == "__main__":
    main()
