#!/usr/bin/env bash
# MgNO training throughput, neop vs PyTorch (CPU), in one run: the Darcy-rough
# model of examples/darcy/mgno.opts (4 layers, 24 channels, 6 levels, 572,661
# parameters), H1 loss, Adam, one-cycle, batch 8, at 128^2 and 256^2 with 1
# and 2 threads. neop runs `neop train -options_file examples/darcy/mgno.opts`,
# PyTorch bench/torch_mgno_train.py (the model of tests/reference/mgno.py) on
# the same neop datagen file; the runs alternate (neop, torch, neop, torch...)
# so that the load of a shared machine hits both alike. Throughput: training
# samples / epoch time (the training steps and a test pass of NTEST samples, the
# same work on both sides), median over the epochs after the first; peak RSS:
# neop from /usr/bin/time -v, torch from VmHWM. Prints one line per run and a
# table with the medians over the repetitions.
# Both sides run with OMP_WAIT_POLICY=passive (as bench/fno_train_speed.sh): idle
# OpenMP threads sleep instead of spinning on a machine shared with other jobs.
# usage: bash bench/mgno_train_speed.sh [neop-exe] [reps]   (env: GRIDS, THREADS, NTRAIN, NTEST, EPOCHS, OMP_WAIT_POLICY)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
NEOP=${1:-$SRC/build/neop}
REPS=${2:-${REPS:-2}}
GRIDS=${GRIDS:-"128 256"}
THREADS=${THREADS:-"1 2"}
NTRAIN=${NTRAIN:-8}
NTEST=${NTEST:-2}
EPOCHS=${EPOCHS:-4}
PY=/usr/bin/python3
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
source "$SRC/bench/lib/train_pair.sh"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OMP_WAIT_POLICY=$OMP_WAIT_POLICY"
echo "neop: $NEOP; torch: $($PY -c 'import torch; print(torch.__version__)'); $NTRAIN train + $NTEST test samples, $EPOCHS epochs, batch 8"
# one-cycle needs a warm-up phase of at least one step: pct_start 0.5 of NTRAIN/8 * EPOCHS steps (both sides)
for S in $GRIDS; do
  "$NEOP" datagen -pde darcy -samples $((NTRAIN + NTEST)) -grid "$S" -seed 3 -datagen_progress 0 -output "$TMP/d$S.h5" > /dev/null
done
for S in $GRIDS; do
  for T in $THREADS; do
    for r in $(seq "$REPS"); do
      OMP_NUM_THREADS=$T OPENBLAS_NUM_THREADS=$T /usr/bin/time -v "$NEOP" train -options_file "$SRC/examples/darcy/mgno.opts" \
        -train "$TMP/d$S.h5" -test "$TMP/d$S.h5" -sub 1 -ntrain "$NTRAIN" -ntest "$NTEST" -test_offset "$NTRAIN" \
        -epochs "$EPOCHS" -onecycle_pct_start 0.5 -threads "$T" -checkpoint "$TMP/ck.h5" > "$TMP/n.log" 2>&1
      grep -q "^parameters: 572661" "$TMP/n.log" || { echo "neop: not the 572,661-parameter model"; tail "$TMP/n.log"; exit 1; }
      OMP_NUM_THREADS=$T $PY "$SRC/bench/torch_mgno_train.py" --data "$TMP/d$S.h5" --ntrain "$NTRAIN" --ntest "$NTEST" \
        --epochs "$EPOCHS" --pct_start 0.5 --threads "$T" > "$TMP/t.log" 2>&1
      grep -q "MgNO 572661 parameters" "$TMP/t.log" || { echo "torch: not the 572,661-parameter model"; tail "$TMP/t.log"; exit 1; }
      record_pair "${S}^2" "$T" "$r"
    done
  done
done
pair_table grid "$(for S in $GRIDS; do printf "%s^2 " "$S"; done)" "$THREADS" "$REPS"
