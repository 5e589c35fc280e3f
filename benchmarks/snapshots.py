"""Does a lower prediction error epsilon mean a better encoder? (the paper's Fig. 3a)

For each dataset and seed, HEPA is pretrained as in the matched protocol
(``protocol.pretrainer("hepa", ...)`` at ``--budget``) but for ``--epochs``
epochs (default 30) with a patience that lets it run them all (default: as
many as the epochs), while a skorch callback keeps the encoder's weights and
that epoch's validation L1 (``valid_l1``, the paper's epsilon) at epochs 1, 3,
8 and 25. Each snapshot, and the final encoder (the best validation epoch,
restored by early stopping), is then frozen under the protocol's "hepa" pred-FT
head, fitted at 100 % labels and scored by h-AUROC on the test split.

One JSON record per (dataset, seed, epoch): ``epoch`` (an int, or "best"),
``valid_l1``, ``h_auroc``, plus the benchmark record's other metrics, the
pretraining budget and the commit. ``benchmarks.report`` computes Spearman's
rho(epsilon, h-AUROC) per dataset over these records.

Usage::

    python -m benchmarks.snapshots --dataset fd001 mba --seeds 0 1 2 --skip-existing
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

from skorch.callbacks import Callback

from .protocol import BUDGETS, DATASETS, HIDDEN_DATASETS, best_epoch, per_epoch, pretrainer
from .run import append_record, done_runs, git_commit, prepare, run_one

RESULTS = Path(__file__).parent / "results" / "snapshots.jsonl"
SNAPSHOT_EPOCHS = (1, 3, 8, 25)
CALLBACK_NAME = "snapshots"


class StateSnapshots(Callback):
    """Keep ``net.module_``'s weights (on the CPU) and ``valid_l1`` at chosen epochs.

    ``snapshots_`` maps epoch (1-based, as in ``net.history``) to
    ``{"state": state_dict, "valid_l1": float or None}``.
    """

    def __init__(self, epochs=SNAPSHOT_EPOCHS):
        self.epochs = epochs

    def initialize(self):
        self.snapshots_ = {}
        return self

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        epoch = int(row["epoch"])
        if epoch not in set(self.epochs):
            return
        state = copy.deepcopy(net.module_.state_dict())
        state = {k: v.detach().cpu() for k, v in state.items()}
        eps = row.get("valid_l1")
        self.snapshots_[epoch] = {"state": state, "valid_l1": None if eps is None else float(eps)}


def _round(v):
    return None if v is None else round(float(v), 6)  # as protocol.per_epoch's


def snapshot_pretrainer(data, budget, seed, *, epochs, patience, at):
    """The protocol's HEPA pretrainer, longer, carrying a ``StateSnapshots`` callback."""
    return pretrainer(
        "hepa",
        data,
        budget,
        seed,
        len(data.X_train),
        max_epochs=epochs,
        patience=patience,
        callbacks=[(CALLBACK_NAME, StateSnapshots(tuple(at)))],
    )


def take_snapshots(fitted) -> dict:
    """Move the snapshots out of a fitted pretrainer's callback (so copies stay small)."""
    cb = dict(fitted.net_.callbacks_)[CALLBACK_NAME]
    snaps, cb.snapshots_ = cb.snapshots_, {}
    return snaps


def with_state(fitted, state):
    """A copy of a fitted pretrainer whose JEPA module holds ``state``."""
    pre2 = copy.deepcopy(fitted)
    pre2.net_.module_.load_state_dict(state)
    return pre2


def run_seed(data, seed, budget, budget_name, *, epochs, patience, at, commit, skip=()):
    """Pretrain once, evaluate every snapshot and the best encoder; yield records."""
    t0 = time.perf_counter()
    fitted = snapshot_pretrainer(data, budget, seed, epochs=epochs, patience=patience, at=at)
    fitted.fit(data.X_train)
    pre_seconds = time.perf_counter() - t0
    snaps = take_snapshots(fitted)
    eps_per_epoch = per_epoch(fitted, "valid_l1")
    best = best_epoch(fitted)
    common = dict(
        pretrain_epochs=len(fitted.history_),
        pretrain_max_epochs=epochs,
        pretrain_patience=patience,
        best_epoch=best,
        budget=budget_name,
        test_row_stride=data.test_stride,
    )
    missing = [e for e in at if e not in snaps]
    if missing:
        print(
            f"{data.bench_name} seed={seed}: stopped at epoch {len(fitted.history_)}, "
            f"no snapshot at {missing}",
            flush=True,
        )
    items = [(e, snaps[e]["state"], _round(snaps[e]["valid_l1"])) for e in sorted(snaps)]
    best_eps = eps_per_epoch[best - 1] if best is not None and best <= len(eps_per_epoch) else None
    items.append(("best", None, best_eps))
    for epoch, state, eps in items:
        if epoch in skip:
            continue
        pre = fitted if state is None else with_state(fitted, state)
        rec = run_one(data, "hepa", seed, 1.0, budget, pre, pre_seconds, data.test_rows, commit)
        rec.update(epoch=epoch, valid_l1=eps, **common)
        if epoch == "best":
            rec["valid_l1_per_epoch"] = eps_per_epoch
        yield rec


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset",
        nargs="+",
        required=True,
        choices=sorted(DATASETS),
        metavar="DATASET",
        help=", ".join(sorted(set(DATASETS) - HIDDEN_DATASETS)),
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--epochs", type=int, default=30, help="pretraining epochs (30)")
    parser.add_argument(
        "--patience", type=int, default=None, help="early-stopping patience (default: --epochs)"
    )
    parser.add_argument(
        "--at", nargs="+", type=int, default=list(SNAPSHOT_EPOCHS), help="snapshot epochs"
    )
    parser.add_argument("--budget", default="default", choices=sorted(BUDGETS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--skip-existing",
        action="store_true",
        help="skip (dataset, seed) pairs whose 'best' record is in --out at this budget; "
        "a partly recorded pair is rerun for its missing epochs",
    )
    args = parser.parse_args(argv)
    patience = args.epochs if args.patience is None else args.patience
    budget = BUDGETS[args.budget]
    commit = git_commit()
    done = set()
    if args.skip_existing:
        done = done_runs(
            args.out,
            key=lambda r: (r["dataset"], r["seed"], r["epoch"]),
            where=lambda r: r.get("budget") == args.budget and "epoch" in r,
        )
    for dataset in args.dataset:
        data = None
        for seed in args.seeds:
            if (dataset, seed, "best") in done:
                continue
            if data is None:
                data = prepare(dataset, budget)
            skip = {e for d, s, e in done if d == dataset and s == seed}
            for rec in run_seed(
                data,
                seed,
                budget,
                args.budget,
                epochs=args.epochs,
                patience=patience,
                at=args.at,
                commit=commit,
                skip=skip,
            ):
                append_record(args.out, rec)
                print(
                    f"{dataset} seed={seed} epoch={rec['epoch']}: eps {rec['valid_l1']}  "
                    f"h-AUROC {rec['h_auroc']:.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
