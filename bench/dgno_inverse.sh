#!/usr/bin/env bash
# The DGNO inverse problem (issue 7, DESIGN.md section 7), neop side: piecewise-
# constant Darcy 29 x 29 (datasets/darcy_piecewise_29.opts), DGNO trained without
# labelled u (examples/darcy/dgno_piecewise.opts, EPOCHS epochs, lr halved every
# LR_STEP), then for test samples 1000 .. 1000 + NINV - 1: 100 observations of u at
# 25 dB (`neop invert -make_observations`, seed 1) and `neop invert` on the FINAL
# weights (<checkpoint>.last.h5; the checkpoint itself is the epoch best on the
# test set). Prints the relative L2 errors of a and u per sample and their means
# (MAP, and with SAMPLES > 0 the MALA posterior mean), then the PyTorch command
# that trains its own model on the same file and inverts the same observation
# files (bench/torch/dgno_piecewise.py), and the one that runs the PyTorch inverse
# procedure on neop's decoders.
# usage: bash bench/dgno_inverse.sh [neop-exe] [outdir]
#   env: EPOCHS (150), LR_STEP (EPOCHS / 5), NINV (10), SAMPLES (0), THREADS (2), SEED (0: initialisation and shuffles)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
NEOP=${1:-$SRC/build/neop}
OUT=${2:-dgno_inverse}
EPOCHS=${EPOCHS:-150}
LR_STEP=${LR_STEP:-$((EPOCHS / 5))}
NINV=${NINV:-10}
SAMPLES=${SAMPLES:-0}
THREADS=${THREADS:-2}
SEED=${SEED:-0}
mkdir -p "$OUT"
D=$OUT/darcy_piecewise_29.h5
CK=$OUT/dgno_pw_e${EPOCHS}_s$SEED.h5
[ -f "$D" ] || "$NEOP" datagen -options_file "$SRC/datasets/darcy_piecewise_29.opts" -datagen_progress 0 -output "$D" > /dev/null
if [ ! -f "$CK" ]; then
  OMP_NUM_THREADS=$THREADS "$NEOP" train -options_file "$SRC/examples/darcy/dgno_piecewise.opts" -train "$D" -epochs "$EPOCHS" \
    -lr_step_size "$LR_STEP" -model_seed "$SEED" -seed "$SEED" -threads "$THREADS" -checkpoint "$CK" > "${CK%.h5}.log" 2>&1
fi
grep '^best' "${CK%.h5}.log" || true
echo "final test rel. L2 of u: $(grep '^epoch' "${CK%.h5}.log" | tail -1 | sed 's/.*test rel_l2 \([0-9.]*\).*/\1/')"
sampling=""
[ "$SAMPLES" -gt 0 ] && sampling="-invert_samples $SAMPLES -invert_burn 200"
files=""
for k in $(seq 0 $((NINV - 1))); do
  s=$((1000 + k))
  "$NEOP" invert -make_observations -data "$D" -sample "$s" -nobs 100 -snr 25 -seed 1 -output "$OUT/obs_$s.h5" > /dev/null
  OMP_NUM_THREADS=1 "$NEOP" invert -checkpoint "${CK%.h5}.last.h5" -observations "$OUT/obs_$s.h5" -output "${CK%.h5}_inv_$s.h5" $sampling \
    > "${CK%.h5}_inv_$s.log" 2>&1
  map=$(sed -n 's/^MAP relative L2 error: a \([^ ]*\)  u \([^ ]*\)/\1 \2/p' "${CK%.h5}_inv_$s.log")
  post=$(sed -n 's/^posterior mean relative L2 error: a \([^ ]*\)  u \([^ ]*\)/\1 \2/p' "${CK%.h5}_inv_$s.log")
  echo "sample $s: MAP err_a err_u $map${post:+; posterior mean $post}"
  echo "$map ${post:-}" >> "${CK%.h5}_errors.txt.tmp"
  files="$files $OUT/obs_$s.h5"
done
mv "${CK%.h5}_errors.txt.tmp" "${CK%.h5}_errors.txt"
awk '{ a += $1; u += $2; if (NF > 2) { pa += $3; pu += $4 } } END {
  printf "mean over %d samples: MAP err_a %.6f err_u %.6f", NR, a / NR, u / NR
  if (pa > 0) printf "; posterior mean err_a %.6f err_u %.6f", pa / NR, pu / NR
  printf "\n" }' "${CK%.h5}_errors.txt"
echo "PyTorch, its own model on the same data and budget (seed S):"
echo "  /usr/bin/python3 $SRC/bench/torch/dgno_piecewise.py --data $D --epochs $EPOCHS --lr_step $LR_STEP --seed S [--device cuda] --invert$files"
echo "PyTorch's inverse procedure on neop's decoders:"
echo "  /usr/bin/python3 $SRC/bench/torch/dgno_piecewise.py --neop ${CK%.h5}.last.h5 --data $D --invert$files"
