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
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# training samples / epoch time, median over the epochs after the first (lines "... <t> s  <x> samples/s")
rate() { grep '^epoch' "$1" | tail -n +2 | sed 's/.* \([0-9.]*\) s  *[0-9.]* samples\/s.*/\1/' | awk -v n="$NTRAIN" '{ print n / $1 }' | median; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OMP_WAIT_POLICY=$OMP_WAIT_POLICY"
echo "neop: $NEOP; torch: $($PY -c 'import torch; print(torch.__version__)'); $NTRAIN train + $NTEST test samples, $EPOCHS epochs, batch 8"
# one-cycle needs a warm-up phase of at least one step: pct_start 0.5 of NTRAIN/8 * EPOCHS steps (both sides)
for S in $GRIDS; do
  "$NEOP" datagen -pde darcy -samples $((NTRAIN + NTEST)) -grid "$S" -seed 3 -datagen_progress 0 -output "$TMP/d$S.h5" > /dev/null
done
declare -A RN RT MN MT
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
      rn=$(rate "$TMP/n.log"); rt=$(rate "$TMP/t.log")
      mn=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)/\1/p' "$TMP/n.log")
      mt=$(sed -n 's/^peak RSS \([0-9]*\) MB/\1/p' "$TMP/t.log")
      mn=$((mn / 1024))
      echo "grid $S threads $T rep $r: neop $rn samples/s ($mn MB), torch $rt samples/s ($mt MB), ratio $(awk -v a="$rn" -v b="$rt" 'BEGIN { printf "%.2f", a / b }')"
      RN[$S,$T]+="$rn "; RT[$S,$T]+="$rt "; MN[$S,$T]+="$mn "; MT[$S,$T]+="$mt "
    done
  done
done
echo
echo "| grid | threads | neop samples/s | PyTorch samples/s | ratio (median of runs) | neop peak RSS | PyTorch peak RSS |"
echo "|---|---|---|---|---|---|---|"
for S in $GRIDS; do
  for T in $THREADS; do
    m() { echo "$1" | tr ' ' '\n' | grep . | median; }
    ratios=$(for i in $(seq "$REPS"); do
      a=$(echo "${RN[$S,$T]}" | cut -d' ' -f"$i"); b=$(echo "${RT[$S,$T]}" | cut -d' ' -f"$i"); awk -v a="$a" -v b="$b" 'BEGIN { print a / b }'; done | median)
    printf "| %d^2 | %d | %.3f | %.3f | %.2f | %.0f MB | %.0f MB |\n" "$S" "$T" "$(m "${RN[$S,$T]}")" "$(m "${RT[$S,$T]}")" "$ratios" \
      "$(m "${MN[$S,$T]}")" "$(m "${MT[$S,$T]}")"
  done
done
