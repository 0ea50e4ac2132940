#!/usr/bin/env bash
# MultiONet (supervised) and DGNO (weak form, no labelled u) training throughput,
# neop vs PyTorch (CPU), in one run: the smooth-Darcy 29 x 29 models of
# examples/darcy/multionet.opts (CNN encoder + MultiONet, 422,533 parameters) and
# examples/darcy/dgno.opts (CNN encoder + u and a decoders, 368,828 parameters).
# neop runs `neop train -options_file examples/darcy/<model>.opts`, PyTorch
# bench/torch_multionet_train.py (the models of tests/reference/dgno.py) on the
# same neop datagen file (datasets/darcy_smooth_29.opts); the runs alternate
# (neop, torch, neop, torch...) so that the load of a shared machine hits both
# alike. Throughput: training samples / epoch time (the training steps and a test
# pass of NTEST samples, the same work on both sides), median over the epochs after
# the first; peak RSS: neop from /usr/bin/time -v, torch from VmHWM. Prints one
# line per run and a table with the medians over the repetitions.
# usage: bash bench/multionet_train_speed.sh [neop-exe] [reps]
#   env: MODELS ("multionet dgno"), THREADS ("1 2"), NTRAIN (100), NTEST (20), EPOCHS (3),
#        BATCH (50, the .opts batch; DGNO's PyTorch side needs about 0.3 GB per sample of a batch)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
NEOP=${1:-$SRC/build/neop}
REPS=${2:-${REPS:-2}}
MODELS=${MODELS:-"multionet dgno"}
THREADS=${THREADS:-"1 2"}
NTRAIN=${NTRAIN:-100}
NTEST=${NTEST:-20}
EPOCHS=${EPOCHS:-3}
BATCH=${BATCH:-50}
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
source "$SRC/bench/lib/train_pair.sh"
declare -A NP=([multionet]=422533 [dgno]=368828)

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "neop: $NEOP; torch: $($PY -c 'import torch; print(torch.__version__)'); $NTRAIN train + $NTEST test samples, $EPOCHS epochs, batch $BATCH"
"$NEOP" datagen -options_file "$SRC/datasets/darcy_smooth_29.opts" -samples $((NTRAIN + NTEST)) -datagen_progress 0 -output "$TMP/d.h5" > /dev/null
for M in $MODELS; do
  for T in $THREADS; do
    for r in $(seq "$REPS"); do
      OMP_NUM_THREADS=$T OPENBLAS_NUM_THREADS=$T /usr/bin/time -v "$NEOP" train -options_file "$SRC/examples/darcy/$M.opts" \
        -train "$TMP/d.h5" -ntrain "$NTRAIN" -ntest "$NTEST" -epochs "$EPOCHS" -batch_size "$BATCH" -threads "$T" \
        -checkpoint "$TMP/ck.h5" > "$TMP/n.log" 2>&1
      grep -q "^parameters: ${NP[$M]}" "$TMP/n.log" || { echo "neop: not the ${NP[$M]}-parameter $M"; tail "$TMP/n.log"; exit 1; }
      OMP_NUM_THREADS=$T $PY "$SRC/bench/torch_multionet_train.py" --data "$TMP/d.h5" --model "$M" --ntrain "$NTRAIN" --ntest "$NTEST" \
        --epochs "$EPOCHS" --batch "$BATCH" --threads "$T" > "$TMP/t.log" 2>&1
      grep -q "$M ${NP[$M]} parameters" "$TMP/t.log" || { echo "torch: not the ${NP[$M]}-parameter $M"; tail "$TMP/t.log"; exit 1; }
      record_pair "$M" "$T" "$r"
    done
  done
done
pair_table model "$MODELS" "$THREADS" "$REPS"
