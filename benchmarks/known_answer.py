"""The known-answer panel at several widths and objective settings (issue 16).

``make_sine_panel`` series are exactly predictable from their past, so a
JEPA predictor that uses its context must reach a held-out prediction ratio
far below 1 (``HEPAPretrainer.prediction_error``; the test suite asserts
< 0.3 for the default objective at d_model=256). This
script fits the same panel (30 training series, seed 0; 20 held-out series,
seed 1; ``context_length=64``, ``max_horizon=50``, 16 epochs, one layer,
patches of 8 steps: the test suite's fit)
under each configuration and appends one record per fit: the held-out ratio
and epsilon, and the spread of the targets ``h*`` (median cosine to their
mean: near 1 when every target maps to one direction).

Usage::

    python -m benchmarks.known_answer --skip-existing
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from sktime_hepa import HEPAPretrainer
from sktime_hepa._rows import PretrainWindows, pretrain_collate
from sktime_hepa.datasets import make_sine_panel
from sktime_hepa.diagnostics import embedding_stats

from .run import append_record, done_runs, git_commit

RESULTS = Path(__file__).parent / "results" / "known_answer.jsonl"
BASE = dict(
    n_layers=1, patch_size=8, context_length=64, max_horizon=50, max_epochs=16, device="cpu"
)
#: name -> settings over BASE (d_model sets n_heads=4 and predictor_hidden=1.5 d)
CONFIGS = {
    f"d{d}_{scale}_{target}": dict(d_model=d, sigreg_scale=scale, target_window=target)
    for d in (64, 128, 256)
    for scale in ("none", "batch")
    for target in ("interval", "context")
}
# the reconstruction term of the pretraining study, on the default objective
CONFIGS.update(
    {
        f"d256_none_interval_recon{w:g}": dict(
            d_model=256, sigreg_scale="none", target_window="interval", reconstruction_weight=w
        )
        for w in (0.1, 1.0)
    }
)


def target_spread(pre, X, n: int = 1024) -> dict:
    """Median cosine of held-out targets ``h*`` to their mean, and their effective rank."""
    source = pre.to_rows(X)
    segments = [(i, 0, int(k)) for i, k in enumerate(source.panel.lengths)]
    windows = PretrainWindows(segments, stride=4, max_horizon=pre.max_horizon, random=False, seed=0)
    collate = pretrain_collate(
        source.panel.series,
        context_length=source.context_length,
        patch_size=pre.patch_size,
        target=pre._target,
    )
    idx = np.linspace(0, len(windows) - 1, min(n, len(windows))).astype(int)
    batch, _ = collate([windows[i] for i in idx])
    module = pre.net_.module_.eval()
    with torch.inference_mode():
        h_star = module(**batch)[1]
    stats = embedding_stats(h_star)
    return {"target_cos": stats["cos"], "target_rank": stats["rank"]}


def run(name: str, seed: int) -> dict:
    settings = {**BASE, **CONFIGS[name]}
    d = settings["d_model"]
    pre = HEPAPretrainer(**settings, n_heads=4, predictor_hidden=d * 3 // 2, random_state=seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pre.fit(make_sine_panel(30, random_state=seed))
    seconds = time.perf_counter() - t0
    X_test = make_sine_panel(20, random_state=seed + 1)
    ref = pre.prediction_error(X_test)
    return {
        "config": name,
        "seed": seed,
        "settings": CONFIGS[name],
        "ratio": ref["ratio"],
        "l1": ref["l1"],
        **target_spread(pre, X_test),
        "pred_ratio_per_epoch": [round(r["pred_ratio"], 4) for r in pre.history_],
        "seconds": round(seconds, 1),
        "commit": git_commit(),
    }


#: the table's cells: record key and digits
CELLS = (("ratio", 3), ("l1", 4), ("target_cos", 3))


def table(path: Path = RESULTS) -> list[str]:
    if not path.is_file():
        return []
    records = {}
    for line in path.read_text().splitlines():
        r = json.loads(line)
        records[(r["config"], r["seed"])] = r
    lines = [
        "| d_model | SIGReg scale | target | reconstruction weight | held-out ratio | ε "
        "| target cos to mean |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, cfg in CONFIGS.items():
        rs = [r for (c, _), r in sorted(records.items()) if c == name]
        if not rs:
            continue
        ratio, l1, cos = (" / ".join(f"{r[k]:.{g}f}" for r in rs) for k, g in CELLS)
        lines.append(
            f"| {cfg['d_model']} | {cfg['sigreg_scale']} | {cfg['target_window']} | "
            f"{cfg.get('reconstruction_weight', 0):g} | {ratio} | {l1} | {cos} |"
        )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--skip-existing", action="store_true")
    parser.add_argument("--table", action="store_true", help="print the table and exit")
    args = parser.parse_args(argv)
    if args.table:
        print("\n".join(table(args.out)))
        return
    done = (
        done_runs(args.out, key=lambda r: (r["config"], r["seed"])) if args.skip_existing else set()
    )
    for seed in args.seeds:
        for name in args.config:
            if (name, seed) in done:
                continue
            rec = run(name, seed)
            append_record(args.out, rec)
            print(
                f"{name} seed={seed}: ratio {rec['ratio']:.3f} eps {rec['l1']:.4f} "
                f"target cos {rec['target_cos']:.3f} ({rec['seconds']}s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
