#!/usr/bin/env bash
# MultiONet (supervised) and DGNO (weak form, no labelled u) training throughput,
# neop vs PyTorch (CPU), in one run: the smooth-Darcy 29 x 29 models of
# examples/darcy/multionet.opts (CNN encoder + MultiONet, 422,533 parameters) and
# examples/darcy/dgno.opts (CNN encoder + u and a decoders, 368,828 parameters).
# neop runs `neop train -options_file examples/darcy/<model>.opts`, PyTorch
# bench/torch_multionet_train.py (the models of tests/reference/dgno.py) on the
# same neop datagen file (datasets/darcy_smooth_29.opts); the runs alternate
# (neop, torch, neop, torch...) so that the load of a shared machine hits both
# alike. Throughput: training samples / epoch time, median over the epochs after
# the first; peak RSS: neop from /usr/bin/time -v, torch from VmHWM. Prints one
# line per run and a table with the medians over the repetitions.
# What is timed, on both sides: an epoch's shuffled training steps (forward,
# backward, AdamW) and a test pass over NTEST samples. neop writes its
# checkpoints (the best and the latest state, with CRC-32 checksums) after the
# epoch's clock has stopped, so they are not timed; PyTorch writes none.
# Sizes: the MultiONet default is the reference's 1000 training and 200 test
# samples (a 1-thread epoch takes about 0.5 s in neop, 1 s in PyTorch, long
# enough for the 0.01 s clock of the epoch lines); DGNO, whose PyTorch side
# needs about 0.3 GB and 0.5 s per sample of a batch, defaults to 20 + 10
# samples in batches of 10. NTRAIN, NTEST, EPOCHS, BATCH override both.
# Both sides run with OMP_WAIT_POLICY=passive (as bench/mgno_train_speed.sh): idle
# OpenMP threads sleep instead of spinning on a machine shared with other jobs.
# usage: bash bench/multionet_train_speed.sh [neop-exe] [reps]
#   env: MODELS ("multionet dgno"), THREADS ("1 2"), NTRAIN (1000 / 20), NTEST (200 / 10),
#        EPOCHS (3), BATCH (50 / 10), OMP_WAIT_POLICY (passive)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
NEOP=${1:-$SRC/build/neop}
REPS=${2:-${REPS:-2}}
MODELS=${MODELS:-"multionet dgno"}
THREADS=${THREADS:-"1 2"}
PY=/usr/bin/python3
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
source "$SRC/bench/lib/train_pair.sh"
declare -A NP=([multionet]=422533 [dgno]=368828)
declare -A DEF_NTRAIN=([multionet]=1000 [dgno]=20) DEF_NTEST=([multionet]=200 [dgno]=10) DEF_BATCH=([multionet]=50 [dgno]=10)
USER_NTRAIN=${NTRAIN:-}; USER_NTEST=${NTEST:-}; USER_BATCH=${BATCH:-}
EPOCHS=${EPOCHS:-3}
# sizes of model M in NTRAIN, NTEST, BATCH (train_pair.sh's rates read NTRAIN)
sizes() { NTRAIN=${USER_NTRAIN:-${DEF_NTRAIN[$1]}}; NTEST=${USER_NTEST:-${DEF_NTEST[$1]}}; BATCH=${USER_BATCH:-${DEF_BATCH[$1]}}; }
NDATA=0
for M in $MODELS; do sizes "$M"; NDATA=$((NTRAIN + NTEST > NDATA ? NTRAIN + NTEST : NDATA)); done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "neop: $NEOP; torch: $($PY -c 'import torch; print(torch.__version__)'); OMP_WAIT_POLICY=$OMP_WAIT_POLICY; $EPOCHS epochs"
"$NEOP" datagen -options_file "$SRC/datasets/darcy_smooth_29.opts" -samples "$NDATA" -datagen_progress 0 -output "$TMP/d.h5" > /dev/null
for M in $MODELS; do
  sizes "$M"
  echo "$M: $NTRAIN train + $NTEST test samples, batch $BATCH"
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
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
pair_table model "$MODELS" "$THREADS" "$REPS"
