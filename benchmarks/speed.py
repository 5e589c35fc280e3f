"""Speed and memory figures of the default (paper-size) HEPA model.

Prints, and appends as one JSON record to ``benchmarks/results/speed.jsonl``:

* ``matmul_gflops``: fp32 matmul throughput measured here (2048^3, best of runs);
* pretraining: one optimisation step (forward, backward, AdamW) of the JEPA
  network at batch 64 with 32-token contexts, its model GFLOP/s (FLOPs counted
  by ``torch.utils.flop_counter``) as a fraction of the matmul figure, and the
  end-to-end samples/s of ``HEPAPretrainer.fit`` (data cutting included);
* ``predict_surface`` rows/s with 32-token contexts and K=200;
* peak memory beyond the output while scoring one long stream (default
  1,000,000 steps) in a fresh process;
* ``predict_surface`` seconds with whole-history contexts (``context_length=None``)
  on 2,000- and 20,000-step series (``--only history``);
* rows/s of ``SurfaceStream.update`` fed 1 and 64 new steps at a time
  (``--only streaming``);
* optionally (``--fd001``) C-MAPSS FD001 pretraining at the paper's budget.

Targets on the 2-core reference machine (docs/design.md): pretraining step
>= 60 % of the matmul figure, predict_surface >= 600 rows/s, stream peak
< 2 GB beyond its output, FD001 pretraining <= 20 minutes.

Usage::

    python -m benchmarks.speed                 # all but FD001
    python -m benchmarks.speed --stream-steps 100000 --fd001
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

RESULTS = Path(__file__).parent / "results" / "speed.jsonl"
N_CHANNELS = 14  # C-MAPSS after the paper's sensor selection


def matmul_gflops(n=2048, repeats=10):
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(repeats):
            a @ b
        best = min(best, (time.perf_counter() - t0) / repeats)
    return 2 * n**3 / best / 1e9


def pretrain_step(batch_size=64, context=512, max_horizon=200, repeats=5):
    """Seconds and FLOPs of one JEPA optimisation step on the paper-size network."""
    from torch.utils.flop_counter import FlopCounterMode

    from sktime_hepa._training import make_optimizer
    from sktime_hepa.nn.encoder import HEPAEncoder
    from sktime_hepa.nn.hepa import JEPAModule
    from sktime_hepa.nn.losses import JEPALoss
    from sktime_hepa.nn.predictor import HorizonPredictor

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    module = JEPAModule(
        encoder=HEPAEncoder(n_channels=N_CHANNELS),
        predictor=HorizonPredictor(horizon_scale=max_horizon),
    )
    loss_fn = JEPALoss()
    opt = make_optimizer(module, lr=3e-4, weight_decay=1e-2)
    dt = np.floor(np.exp(rng.uniform(0, np.log(max_horizon + 1), batch_size)))
    width = int(np.ceil(dt.max() / 16) * 16)
    batch = {
        "context": torch.randn(batch_size, context, N_CHANNELS),
        "context_mask": torch.ones(batch_size, context, dtype=torch.bool),
        "target": torch.randn(batch_size, width, N_CHANNELS),
        "target_mask": torch.arange(width)[None, :] < torch.from_numpy(dt)[:, None],
        "dt": torch.from_numpy(dt.astype(np.float32)),
    }

    def step():
        opt.zero_grad()
        loss, _ = loss_fn(module(**batch))
        loss.backward()
        opt.step()

    with FlopCounterMode(display=False) as counter:
        step()
    flops = counter.get_total_flops()
    for _ in range(2):
        step()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - t0)
    return best, flops


def synthetic_stream(n_steps, seed=0):
    """A smooth multichannel stream with rare events (for timing, not accuracy)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)[:, None]
    freq = rng.uniform(0.001, 0.05, N_CHANNELS)
    x = np.sin(t * freq) + 0.1 * rng.standard_normal((n_steps, N_CHANNELS))
    labels = np.zeros(n_steps, dtype=int)
    labels[rng.choice(n_steps, max(2, n_steps // 500), replace=False)] = 1
    return x.astype(np.float32), labels


def fitted_predictor(device):
    from sktime_hepa import HEPAEventPredictor, HEPAPretrainer

    X, labels = synthetic_stream(4000)
    pre = HEPAPretrainer(max_epochs=1, stride=16, device=device, random_state=0)
    est = HEPAEventPredictor(pre, horizons=200, max_epochs=1, device=device, random_state=0)
    t0 = time.perf_counter()
    est.fit(X, labels)
    return est, time.perf_counter() - t0


def pretrain_fit_throughput(device, n_steps=8000):
    """Samples/s of HEPAPretrainer.fit's second epoch (window cutting included).

    The first epoch carries one-off costs (optimizer set-up, allocator warm-up),
    so the figure is read from the second epoch's duration in the history.
    """
    from sktime_hepa import HEPAPretrainer

    X, _ = synthetic_stream(n_steps)
    pre = HEPAPretrainer(max_epochs=2, validation_fraction=0, device=device, random_state=0)
    pre.fit(X)
    n_samples = -(-(n_steps - 1) // pre.stride)
    return n_samples / pre.history_[-1]["dur"]


STREAM_CHILD = """
import gc, os, sys, threading, time, joblib, numpy as np
sys.path.insert(0, {root!r})
from benchmarks.speed import synthetic_stream

page = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page

est = joblib.load({model!r})
X, _ = synthetic_stream({n_steps})
gc.collect()
before = rss()
peak = [before]
done = threading.Event()
def sample():  # the process's resident memory, every 20 ms, during the call
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.02)
sampler = threading.Thread(target=sample)
sampler.start()
t0 = time.perf_counter()
S = est.predict_surface(X)
seconds = time.perf_counter() - t0
done.set()
sampler.join()
peak[0] = max(peak[0], rss())
print(seconds, before, peak[0], S.nbytes)
"""


def stream_memory(est, n_steps):
    """Peak resident-memory growth while scoring one stream, in a fresh process.

    A thread samples the process's current RSS (``/proc/self/statm``) during
    ``predict_surface``; the figure is that peak less the RSS just before the
    call and less the output array.
    """
    import joblib

    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "model.joblib")
        joblib.dump(est, model)
        code = STREAM_CHILD.format(
            root=str(Path(__file__).resolve().parents[1]), model=model, n_steps=n_steps
        )
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout.split()
    seconds, before, peak, nbytes = (float(v) for v in out[-4:])
    return {
        "stream_steps": n_steps,
        "stream_seconds": round(seconds, 1),
        "stream_rows_per_s": round(n_steps / seconds, 1),
        "stream_output_gb": round(nbytes / 1e9, 3),
        "stream_rss_before_gb": round(before / 1e9, 3),
        "stream_rss_peak_gb": round(peak / 1e9, 3),
        # growth of resident memory during predict_surface, less the output array
        "stream_peak_beyond_output_gb": round((peak - before - nbytes) / 1e9, 3),
    }


def fd001_pretrain(device):
    from sktime_hepa import HEPAPretrainer
    from sktime_hepa.datasets import load_cmapss

    data = load_cmapss("FD001")
    pre = HEPAPretrainer(context_length=None, max_horizon=150, device=device, random_state=0)
    t0 = time.perf_counter()
    pre.fit(data.X_train)
    return {
        "fd001_pretrain_seconds": round(time.perf_counter() - t0, 1),
        "fd001_pretrain_epochs_run": len(pre.history_),
        "fd001_pretrain_max_epochs": pre.max_epochs,
    }


def whole_history(device, lengths=(2_000, 20_000)):
    """predict_surface seconds with ``context_length=None`` (the whole history).

    Issue 8: without a bound the cost grew with the square of the series
    length (2k / 20k steps: 0.4 / 52 s). Whole histories are now cut at
    ``sktime_hepa._rows.MAX_HISTORY`` steps, so the cost per row is bounded.
    """
    import warnings

    from sktime_hepa import HEPAEventPredictor, HEPAPretrainer
    from sktime_hepa._rows import MAX_HISTORY

    X, labels = synthetic_stream(2000)
    pre = HEPAPretrainer(context_length=None, max_epochs=1, stride=16, device=device)
    est = HEPAEventPredictor(pre, horizons=200, max_epochs=1, device=device, random_state=0)
    est.set_params(pretrainer__random_state=0).fit(X, labels)
    out = {"whole_history_max_steps": MAX_HISTORY}
    for n in lengths:
        stream, _ = synthetic_stream(n, seed=1)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the ContextLengthWarning past MAX_HISTORY
            est.predict_surface(stream)
        seconds = time.perf_counter() - t0
        out[f"whole_history_{n}_seconds"] = round(seconds, 2)
        out[f"whole_history_{n}_rows_per_s"] = round(n / seconds, 1)
        print(f"context_length=None, {n:,} steps: {seconds:.2f} s ({n / seconds:.0f} rows/s)")
    return out


def streaming(est, n_steps=2_000, chunk=1):
    """Rows/s of ``SurfaceStream.update`` fed ``chunk`` new steps at a time."""
    from sktime_hepa.streaming import SurfaceStream

    stream_x, _ = synthetic_stream(n_steps, seed=2)
    stream = SurfaceStream(est)
    t0 = time.perf_counter()
    for a in range(0, n_steps, chunk):
        stream.update(stream_x[a : a + chunk])
    seconds = time.perf_counter() - t0
    print(f"SurfaceStream, {n_steps:,} steps {chunk} at a time: {n_steps / seconds:.0f} rows/s")
    return {f"stream_update_chunk{chunk}_rows_per_s": round(n_steps / seconds, 1)}


def throughput(record, device):
    """Matmul peak, pretraining step and fit throughput, predict_surface rows/s."""
    peak = matmul_gflops()
    record["matmul_gflops"] = round(peak, 1)
    print(f"fp32 matmul: {peak:.1f} GFLOP/s on {torch.get_num_threads()} threads", flush=True)

    seconds, flops = pretrain_step()
    achieved = flops / seconds / 1e9
    record.update(
        pretrain_step_seconds=round(seconds, 4),
        pretrain_step_gflop=round(flops / 1e9, 2),
        pretrain_step_gflops=round(achieved, 1),
        pretrain_step_fraction_of_matmul=round(achieved / peak, 3),
        pretrain_step_samples_per_s=round(64 / seconds, 1),
    )
    print(
        f"pretraining step (batch 64, 32 tokens): {seconds * 1e3:.0f} ms, "
        f"{64 / seconds:.0f} samples/s, {achieved:.1f} GFLOP/s = "
        f"{100 * achieved / peak:.0f}% of matmul",
        flush=True,
    )
    fit_rate = pretrain_fit_throughput(device)
    record["pretrain_fit_samples_per_s"] = round(fit_rate, 1)
    print(f"HEPAPretrainer.fit end to end: {fit_rate:.0f} samples/s", flush=True)

    est, _ = fitted_predictor(device)
    X, _ = synthetic_stream(512 + 8192, seed=1)
    est.predict_surface(X[:1024])  # warm-up
    t0 = time.perf_counter()
    surface = est.predict_surface(X)
    seconds = time.perf_counter() - t0
    record["predict_surface_rows_per_s"] = round(len(X) / seconds, 1)
    print(
        f"predict_surface (32-token contexts, K={surface.shape[1]}): {len(X) / seconds:.0f} rows/s",
        flush=True,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stream-steps", type=int, default=1_000_000)
    parser.add_argument("--fd001", action="store_true", help="also time FD001 pretraining")
    parser.add_argument(
        "--only",
        choices=["stream", "fd001", "history", "streaming"],
        default=None,
        help="run just this measurement",
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    from sktime_hepa import __version__
    from sktime_hepa._training import resolve_device

    device = resolve_device(args.device)
    record = {
        "version": __version__,
        "machine": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "device": device,
    }
    if args.only is None:
        throughput(record, device)
    if args.only in (None, "stream") and args.stream_steps:
        est, _ = fitted_predictor(device)
        mem = stream_memory(est, args.stream_steps)
        record.update(mem)
        print(
            f"stream of {mem['stream_steps']:,} steps: {mem['stream_seconds']} s, "
            f"output {mem['stream_output_gb']} GB, RSS {mem['stream_rss_before_gb']} GB before, "
            f"peak {mem['stream_rss_peak_gb']} GB; peak beyond output "
            f"{mem['stream_peak_beyond_output_gb']} GB",
            flush=True,
        )
    if args.only in (None, "history"):
        record.update(whole_history(device))
    if args.only in (None, "streaming"):
        est, _ = fitted_predictor(device)
        for chunk in (1, 64):
            record.update(streaming(est, chunk=chunk))
    if args.fd001 or args.only == "fd001":
        fd = fd001_pretrain(device)
        record.update(fd)
        print(
            f"FD001 pretraining: {fd['fd001_pretrain_seconds']} s, "
            f"{fd['fd001_pretrain_epochs_run']} of {fd['fd001_pretrain_max_epochs']} epochs",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a") as f:
        f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
