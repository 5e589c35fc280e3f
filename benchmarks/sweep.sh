#!/usr/bin/env bash
# The committed benchmark sweep, in passes that each finish something useful:
#   pass 1: HEPA, its two controls (random-init encoder, scratch) and the
#           non-neural baselines, seed 0, every dataset at 100 % and 10 % labels
#           (FD001 also at 5, 2 and 1 %: the label-efficiency table);
#   pass 2: the same for seeds 1 and 2;
#   pass 3: the neural baselines (MAE, PatchTST, iTransformer), seeds 0-2.
# One thread per worker (two workers share a 2-core machine); records are
# appended to benchmarks/results/benchmark.jsonl as runs finish, and
# --skip-existing makes a restarted sweep resume where it stopped.
#   bash benchmarks/sweep.sh A   # worker A
#   bash benchmarks/sweep.sh B   # worker B
set -u
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
OUT=${OUT:-benchmarks/results/benchmark.jsonl}
LOG=${LOG:-benchmarks/results/sweep_logs}
mkdir -p "$LOG"
case "$1" in
  A) sets="fd001 batadal tep ettm1 gecco" ;;
  B) sets="mba smap msl fd002" ;;
  *) echo "usage: sweep.sh A|B"; exit 2 ;;
esac
run() {  # dataset, seeds, methods...
  local d=$1 seeds=$2; shift 2
  local labels="1.0 0.1"
  [ "$d" = fd001 ] && labels="1.0 0.1 0.05 0.02 0.01"
  python -m benchmarks.run --dataset "$d" --method "$@" --seeds $seeds --labels $labels \
    --out "$OUT" --skip-existing >> "$LOG/$d.log" 2>&1
}
for d in $sets; do run "$d" 0 hepa hepa_random hepa_scratch rsf ridge age; done
for seed in 1 2; do
  for d in $sets; do run "$d" $seed hepa hepa_random hepa_scratch rsf ridge age; done
done
for seed in 0 1 2; do
  for d in $sets; do run "$d" $seed mae patchtst itransformer; done
done
