"""The flag-every-row F1 of each anomaly dataset's scored test rows (issue 17).

The domain-metric table scores ``p(t, 1)`` against "event within one step"
with F1 and point-adjusted F1 at the best threshold. A detector that flags
every row gets an F1 of ``2p / (1 + p)`` for the share ``p`` of positive
rows, and the same point-adjusted F1 (its recall is already 1 and every
negative row is a false alarm): the floor a learned F1 must beat. This
records it per dataset for the same test rows as the sweep (``run.prepare``
at the budget), so the report can show it beside records taken before
``run.score`` recorded it itself.

Usage::

    python -m benchmarks.floors
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .protocol import BUDGETS
from .related import ANOMALY_DATASETS
from .run import _groups, append_record, flag_all_f1, git_commit, one_step_labels, prepare

RESULTS = Path(__file__).parent / "results" / "floors.jsonl"
#: the sweep's datasets scored by F1 (every one without run-to-failure targets)
F1_DATASETS = (*ANOMALY_DATASETS, "ettm1")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", nargs="+", default=list(F1_DATASETS))
    parser.add_argument("--budget", default="default", choices=sorted(BUDGETS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    for dataset in args.dataset:
        data = prepare(dataset, BUDGETS[args.budget])
        rows = data.test_rows
        labels, _, _ = one_step_labels(data.y_test[rows], _groups(data.X_test)[rows])
        rec = {
            "dataset": dataset,
            "budget": args.budget,
            "n_rows": int(len(labels)),
            "one_step_share": float(labels.mean()),
            "flag_all_f1": flag_all_f1(labels),
            "commit": git_commit(),
        }
        append_record(args.out, rec)
        print(
            f"{dataset}: {rec['n_rows']} rows, share {rec['one_step_share']:.4f}, "
            f"flag-all F1 {rec['flag_all_f1']:.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
