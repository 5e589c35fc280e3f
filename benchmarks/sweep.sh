#!/usr/bin/env bash
# The committed benchmark sweep: every dataset x method at 100 % and 10 % labels
# (FD001 also at 5, 2 and 1 % for the label-efficiency table), seed by seed.
# Two workers of one thread each share a 2-core machine; records are appended to
# benchmarks/results/benchmark.jsonl as runs finish, and --skip-existing makes a
# restarted sweep resume where it stopped.
#   bash benchmarks/sweep.sh A   # worker A
#   bash benchmarks/sweep.sh B   # worker B
set -u
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
OUT=${OUT:-benchmarks/results/benchmark.jsonl}
LOG=${LOG:-benchmarks/results/sweep_logs}
mkdir -p "$LOG"
case "$1" in
  A) sets="fd001 mba batadal tep ettm1" ;;
  B) sets="smap msl gecco fd002 fd002-regime" ;;
  *) echo "usage: sweep.sh A|B"; exit 2 ;;
esac
for seed in 0 1 2; do
  for d in $sets; do
    labels="1.0 0.1"
    methods="all"
    [ "$d" = fd001 ] && labels="1.0 0.1 0.05 0.02 0.01"
    [ "$d" = fd002-regime ] && methods="hepa"
    python -m benchmarks.run --dataset "$d" --method $methods --seeds "$seed" --labels $labels \
      --out "$OUT" --skip-existing >> "$LOG/$d.log" 2>&1
  done
done
