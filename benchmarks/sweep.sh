#!/usr/bin/env bash
# The committed benchmark sweep: every dataset x method at 100 % and 10 % labels,
# seed by seed, then the FD001 label-efficiency fractions. Two workers of one
# thread each share a 2-core machine; records are appended to
# benchmarks/results/benchmark.jsonl as runs finish, so an interrupted sweep
# keeps what it finished.
#   bash benchmarks/sweep.sh A   # worker A
#   bash benchmarks/sweep.sh B   # worker B
set -u
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
OUT=${OUT:-benchmarks/results/benchmark.jsonl}
LOG=${LOG:-benchmarks/results/sweep_logs}
mkdir -p "$LOG"
case "$1" in
  A) sets="fd001 mba batadal tep ettm1" ;;
  B) sets="smap msl gecco fd002" ;;
  *) echo "usage: sweep.sh A|B"; exit 2 ;;
esac
for seed in 0 1 2; do
  for d in $sets; do
    python -m benchmarks.run --dataset "$d" --method all --seeds "$seed" --labels 1.0 0.1 \
      --out "$OUT" >> "$LOG/$d.log" 2>&1
  done
  if [ "$1" = B ]; then
    python -m benchmarks.run --dataset fd002-regime --method hepa --seeds "$seed" \
      --labels 1.0 0.1 --out "$OUT" >> "$LOG/fd002-regime.log" 2>&1
  fi
done
if [ "$1" = A ]; then
  python -m benchmarks.run --dataset fd001 --method hepa rsf ridge age mae patchtst itransformer \
    --seeds 0 1 2 --labels 0.05 0.02 0.01 --out "$OUT" >> "$LOG/fd001-label-efficiency.log" 2>&1
fi
