#!/usr/bin/env bash
# The committed benchmark sweep, in passes that each finish something useful:
#   pass 1: HEPA, its two controls (random-init encoder, scratch) and the age
#           floor on the six datasets of issue 16's targets, seeds 0-2, at
#           100 % and 10 % labels (FD001 and FD002 also at 5 % and 2 %);
#   pass 2: RSF and MAE on the same cells;
#   pass 3: the same six methods on SMAP, MSL and ETTm1;
#   pass 4: ridge and the other neural baselines (PatchTST, iTransformer).
# One thread per worker (two workers share a 2-core machine); records are
# appended to $OUT as runs finish. --skip-existing with SINCE (an ISO UTC time)
# makes a restarted sweep resume where it stopped while records written before
# SINCE (older code) are re-run and replaced (the report keeps the latest
# record of each run).
#   SINCE=2026-12-07T16:30 bash benchmarks/sweep.sh A   # worker A
#   SINCE=2026-12-07T16:30 bash benchmarks/sweep.sh B   # worker B
set -u
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
OUT=${OUT:-benchmarks/results/benchmark.jsonl}
LOG=${LOG:-benchmarks/results/sweep_logs}
SINCE=${SINCE:-1970-01-01}
mkdir -p "$LOG"
case "$1" in
  A) sets="fd001 tep gecco"; more="smap ettm1" ;;
  B) sets="fd002 mba batadal"; more="msl" ;;
  *) echo "usage: sweep.sh A|B"; exit 2 ;;
esac
run() {  # dataset, seeds, methods...
  local d=$1 seeds=$2; shift 2
  local labels="1.0 0.1"
  case "$d" in fd001|fd002) labels="1.0 0.1 0.05 0.02" ;; esac
  python -m benchmarks.run --dataset "$d" --method "$@" --seeds $seeds --labels $labels \
    --out "$OUT" --skip-existing --since "$SINCE" >> "$LOG/$d.log" 2>&1
}
core="hepa hepa_random hepa_scratch age"
for seed in 0 1 2; do for d in $sets; do run "$d" $seed $core; done; done
for seed in 0 1 2; do for d in $sets; do run "$d" $seed rsf mae; done; done
for seed in 0 1 2; do for d in $more; do run "$d" $seed $core rsf mae; done; done
for seed in 0 1 2; do for d in $sets $more; do run "$d" $seed ridge patchtst itransformer; done; done
