#!/usr/bin/env bash
# Transolver training throughput, neop vs PyTorch CPU, in one run: the
# published Darcy model (8 layers, 8 heads, width 128, 64 slices, 3x3 conv
# projections, unified positions) on 85 x 85 Darcy, batch 4, AdamW, clipping
# 0.1; 1 and 2 threads, the two programs alternating, REPS rounds. Prints
# samples/s of the training steps and peak resident memory of each, the ratio
# neop / PyTorch and the load average, then the median ratio per thread count.
# OMP_WAIT_POLICY=passive for both (spinning OpenMP threads take the cores
# that OpenBLAS's threads need; libgomp reads it at load time).
# usage: bash bench/transolver_train_speed.sh [neop-exe] [steps] [reps]
set -eu
export OMP_WAIT_POLICY=passive
NEOP=${1:-build/neop}
STEPS=${2:-8}
REPS=${3:-2}
DIR=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
B=4
N=$((STEPS * B))
"$NEOP" datagen -pde darcy -samples $((N + 4)) -grid 85 -seed 1 -datagen_progress 0 -output "$TMP/d.h5" > /dev/null
MODEL="-model transolver -transolver_layers 8 -transolver_heads 8 -transolver_width 128 -transolver_slices 64 -transolver_conv_embed 3"
TRAIN="-train $TMP/d.h5 -ntrain $N -ntest 4 -batch_size $B -optim adamw -lr 1e-3 -weight_decay 1e-5 -clip_norm 0.1 -lr_schedule onecycle -epochs 2"
rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" | awk '{printf "%.0f", $1 / 1024}'; }
for T in 1 2; do
  for r in $(seq "$REPS"); do
    # neop: the second epoch's training steps, samples/s (the first builds plans and arenas)
    /usr/bin/time -v "$NEOP" train $TRAIN $MODEL -threads $T -checkpoint "$TMP/c.h5" > "$TMP/neop.log" 2> "$TMP/neop.time"
    ns=$(awk '$1 == "epoch" && $2 == 2 { for (i = 1; i <= NF; i++) if ($i == "samples/s)") print $(i - 1) }' "$TMP/neop.log")
    nr=$(rss "$TMP/neop.time")
    /usr/bin/time -v /usr/bin/python3 "$DIR/torch_transolver_train.py" $T "$STEPS" 85 $B 3 > "$TMP/torch.log" 2> "$TMP/torch.time"
    ts=$(awk '{ print $5 }' "$TMP/torch.log")
    tr=$(rss "$TMP/torch.time")
    awk -v T=$T -v r=$r -v ns="$ns" -v nr="$nr" -v ts="$ts" -v tr="$tr" -v ld="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
      printf "threads %d round %d: neop %.3f samples/s (peak RSS %d MiB), torch %.3f samples/s (peak RSS %d MiB), neop/torch %.2fx, load %s\n",
        T, r, ns, nr, ts, tr, ns / ts, ld }' | tee -a "$TMP/ratios"
  done
  awk -v T=$T '$2 == T { for (i = 1; i <= NF; i++) if ($i == "neop/torch") { v = $(i + 1); sub(/x,/, "", v); print v } }' "$TMP/ratios" |
    sort -g | awk -v T=$T '{ r[++n] = $1 } END { printf "threads %d: median neop/torch %.2fx over %d rounds\n", T, n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2, n }'
done
