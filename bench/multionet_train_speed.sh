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
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# training samples / epoch time, median over the epochs after the first (lines "... <t> s  <x> samples/s")
rate() { grep '^epoch' "$1" | tail -n +2 | sed 's/.* \([0-9.]*\) s  *[0-9.]* samples\/s.*/\1/' | awk -v n="$NTRAIN" '{ print n / $1 }' | median; }
declare -A NP=([multionet]=422533 [dgno]=368828)

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "neop: $NEOP; torch: $($PY -c 'import torch; print(torch.__version__)'); $NTRAIN train + $NTEST test samples, $EPOCHS epochs, batch $BATCH"
"$NEOP" datagen -options_file "$SRC/datasets/darcy_smooth_29.opts" -samples $((NTRAIN + NTEST)) -datagen_progress 0 -output "$TMP/d.h5" > /dev/null
declare -A RN RT MN MT
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
      rn=$(rate "$TMP/n.log"); rt=$(rate "$TMP/t.log")
      mn=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)/\1/p' "$TMP/n.log")
      mt=$(sed -n 's/^peak RSS \([0-9]*\) MB/\1/p' "$TMP/t.log")
      mn=$((mn / 1024))
      echo "$M threads $T rep $r: neop $rn samples/s ($mn MB), torch $rt samples/s ($mt MB), ratio $(awk -v a="$rn" -v b="$rt" 'BEGIN { printf "%.2f", a / b }')"
      RN[$M,$T]+="$rn "; RT[$M,$T]+="$rt "; MN[$M,$T]+="$mn "; MT[$M,$T]+="$mt "
    done
  done
done
echo
echo "| model | threads | neop samples/s | PyTorch samples/s | ratio (median of runs) | neop peak RSS | PyTorch peak RSS |"
echo "|---|---|---|---|---|---|---|"
for M in $MODELS; do
  for T in $THREADS; do
    m() { echo "$1" | tr ' ' '\n' | grep . | median; }
    ratios=$(for i in $(seq "$REPS"); do
      a=$(echo "${RN[$M,$T]}" | cut -d' ' -f"$i"); b=$(echo "${RT[$M,$T]}" | cut -d' ' -f"$i"); awk -v a="$a" -v b="$b" 'BEGIN { print a / b }'; done | median)
    printf "| %s | %d | %.2f | %.2f | %.2f | %.0f MB | %.0f MB |\n" "$M" "$T" "$(m "${RN[$M,$T]}")" "$(m "${RT[$M,$T]}")" "$ratios" \
      "$(m "${MN[$M,$T]}")" "$(m "${MT[$M,$T]}")"
  done
done
