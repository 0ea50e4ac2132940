#!/bin/bash
# FNO training throughput and peak memory, neop vs PyTorch, in one run.
#
#   bash bench/fno_train_speed.sh [build-dir]
#
# Model: the 2021 FNO scripts' Darcy model (width 32, modes 12, 4 layers,
# padding 9, projection 32 -> 128 -> 1, GELU), batch 20, relative L2 loss
# summed over the batch on the decoded output, Adam lr 1e-3 weight decay 1e-4,
# point-wise Gaussian normalisers. Both train on the same NTRAIN samples of one
# Darcy file for EPOCHS epochs; the rate is taken over the epochs after the
# first (warm-up), counting the optimisation steps only (neop's test pass is
# excluded). For every thread count, REPEATS rounds alternate which program
# runs first; the sgemm rate is measured in every round, and the median ratio
# is reported.
#
# Environment: DATA (a Darcy file at 85 x 85; generated into OUTDIR when
# absent), NTRAIN=100, EPOCHS=3, REPEATS=3, THREADS="1 2", PADDING=9,
# OUTDIR=/tmp/neop_fno_bench, PYTHON=/usr/bin/python3, OMP_WAIT_POLICY=passive
# (for both programs: with OpenBLAS's own threads beside OpenMP's, spinning
# OpenMP threads take the cores OpenBLAS needs on a busy machine; neop's
# 2-thread rate went from 8.9 to 15.1 samples/s with it in one test).
set -euo pipefail
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
NEOP=$BUILD/neop
SGEMM=$BUILD/bench/sgemm_rate
PYTHON=${PYTHON:-/usr/bin/python3}
NTRAIN=${NTRAIN:-100}
EPOCHS=${EPOCHS:-3}
REPEATS=${REPEATS:-3}
THREADS=${THREADS:-"1 2"}
PADDING=${PADDING:-9}
OUTDIR=${OUTDIR:-/tmp/neop_fno_bench}
mkdir -p "$OUTDIR"
DATA=${DATA:-$OUTDIR/darcy85.h5}
if [ ! -f "$DATA" ]; then
  "$NEOP" datagen -pde darcy -grid 85 -samples $((NTRAIN + 20)) -output "$DATA" -datagen_progress 0 > "$OUTDIR/datagen.log"
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OMP_WAIT_POLICY=$OMP_WAIT_POLICY"
echo "model: FNO 2-D width 32, modes 12, 4 layers, padding $PADDING; batch 20; $NTRAIN samples x $EPOCHS epochs (first left out)"

# FLOPs per sample of the forward pass (nominal: FFTs at 2.5 P log2 P per real
# 2-D transform, whatever neop executes), x 3 for forward + backward
S=$((85 + PADDING))
FLOPS=$(awk -v S=$S -v P0=7225 'BEGIN { C = 32; P = S * S; K = 2 * 12 * 12;
  lift = 2 * 3 * C * P0; proj = 2 * C * 128 * P0 + 2 * 128 * P0;
  layer = 2 * C * C * P + 2 * C * 2.5 * P * log(P) / log(2) + 8 * C * C * K;
  printf "%.0f", 3 * (lift + 4 * layer + proj) }')
echo "nominal training FLOPs per sample: $(awk -v f=$FLOPS 'BEGIN { printf "%.1f MFLOP", f / 1e6 }')"

run_neop() { # threads -> "rate rss"
  "$NEOP" train -train "$DATA" -ntrain "$NTRAIN" -ntest 20 -epochs "$EPOCHS" -threads "$1" -model fno -fno_padding "$PADDING" \
    -weight_decay 1e-4 -checkpoint "$OUTDIR/ck.h5" > "$OUTDIR/neop_t$1.log" 2>&1
  sed -n 's/^training steps: \([0-9.]*\) samples\/s.*peak RSS \([0-9.]*\) MiB.*/\1 \2/p' "$OUTDIR/neop_t$1.log"
}
run_torch() {
  "$PYTHON" "$SRC/bench/torch_fno_train.py" -data "$DATA" -ntrain "$NTRAIN" -epochs "$EPOCHS" -threads "$1" -padding "$PADDING" \
    > "$OUTDIR/torch_t$1.log" 2>&1
  sed -n 's/.*training steps: \([0-9.]*\) samples\/s.*peak RSS \([0-9.]*\) MiB.*/\1 \2/p' "$OUTDIR/torch_t$1.log"
}

for T in $THREADS; do
  echo
  echo "threads $T"
  printf "%-6s %12s %12s %7s %12s %12s %10s %10s %8s\n" round "neop samp/s" "torch samp/s" ratio "neop RSS MiB" "torch RSS MiB" "neop GF/s" "sgemm GF/s" "fraction"
  ratios=()
  for r in $(seq 1 "$REPEATS"); do
    if [ $((r % 2)) -eq 1 ]; then n=$(run_neop "$T"); t=$(run_torch "$T"); else t=$(run_torch "$T"); n=$(run_neop "$T"); fi
    g=$("$SGEMM" -threads "$T" | sed -n 's/.* \([0-9.]*\) GFLOP\/s/\1/p')
    read -r nr nm <<< "$n"
    read -r tr tm <<< "$t"
    ratio=$(awk -v a="$nr" -v b="$tr" 'BEGIN { printf "%.2f", a / b }')
    ratios+=("$ratio")
    awk -v r="$r" -v nr="$nr" -v tr="$tr" -v q="$ratio" -v nm="$nm" -v tm="$tm" -v f="$FLOPS" -v g="$g" 'BEGIN {
      gf = nr * f / 1e9; printf "%-6s %12.2f %12.2f %7.2f %12.1f %12.1f %10.2f %10.1f %8.3f\n", r, nr, tr, q, nm, tm, gf, g, gf / g }'
  done
  median=$(printf "%s\n" "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
  echo "threads $T: median ratio neop / PyTorch = $median"
done
