#!/bin/bash
# neop side of the Darcy accuracy comparisons of docs/benchmarks.md: trains one
# model on the FNO Darcy set at 85 x 85 (samples 0..NTRAIN-1, test samples
# 1000..1099) and writes its initial weights (INIT) for the PyTorch side,
# bench/torch/darcy_accuracy.py, which starts from them.
#
#   bash bench/darcy_accuracy.sh <neop> <darcy_85.h5> <model> <epochs> <outdir>
#
# model: mgno       examples/darcy/mgno.opts as it is (524,277 parameters at 85 x 85,
#                   where the prolongations have kernel 3), H1 loss, one-cycle, batch 8
#        fno        examples/darcy/fno.opts with the lr halved every epochs/5
#        transolver examples/darcy/transolver.opts reduced to fit a 2-core machine:
#                   43 x 43 (-sub 2), 4 layers, width 64, 4 heads, 32 slices, 400 samples
#        galerkin   examples/darcy/galerkin.opts reduced likewise: 43 x 43, 4 layers,
#                   width 64, 4 heads, 400 samples
# The PyTorch command for the same run is printed at the end.
# Environment: NP (ranks, 2), MPIEXEC (mpirun --allow-run-as-root --oversubscribe).
set -euo pipefail
NEOP=$1 DATA=$2 MODEL=$3 EPOCHS=$4 OUT=$5
SRC=$(cd "$(dirname "$0")/.." && pwd)
NP=${NP:-2}
MPIEXEC=${MPIEXEC:-mpirun --allow-run-as-root --oversubscribe}
mkdir -p "$OUT"
common=(-train "$DATA" -test "$DATA" -test_offset 1000 -ntest 100 -epochs "$EPOCHS"
        -checkpoint "$OUT/${MODEL}_e$EPOCHS.h5" -initial_checkpoint "$OUT/${MODEL}_e${EPOCHS}_init.h5")
case $MODEL in
  mgno)       opts=(-options_file "$SRC/examples/darcy/mgno.opts" -sub 1 -ntrain 1000)
              torch="--model mgno --layers 4 --width 24 --levels 6 --ntrain 1000" ;;
  fno)        opts=(-options_file "$SRC/examples/darcy/fno.opts" -sub 1 -ntrain 1000 -lr_step_size $((EPOCHS / 5)))
              torch="" ;;
  transolver) opts=(-options_file "$SRC/examples/darcy/transolver.opts" -sub 2 -ntrain 400
                    -transolver_layers 4 -transolver_width 64 -transolver_heads 4 -transolver_slices 32)
              torch="--model transolver --sub 2 --ntrain 400 --layers 4 --width 64 --heads 4 --slices 32" ;;
  galerkin)   opts=(-options_file "$SRC/examples/darcy/galerkin.opts" -sub 2 -ntrain 400
                    -galerkin_enc_layers 4 -galerkin_enc_width 64 -galerkin_enc_heads 4)
              torch="--model galerkin --sub 2 --ntrain 400 --layers 4 --width 64 --heads 4" ;;
  *) echo "unknown model $MODEL (mgno, fno, transolver, galerkin)" >&2; exit 1 ;;
esac
$MPIEXEC -n "$NP" "$NEOP" train "${opts[@]}" "${common[@]}" 2>&1 | tee "$OUT/neop_${MODEL}_e$EPOCHS.log"
if [ -n "$torch" ]; then
  echo "PyTorch: bench/torch/darcy_accuracy.py --init $OUT/${MODEL}_e${EPOCHS}_init.h5 --data $DATA $torch --epochs $EPOCHS --seed S"
else
  echo "PyTorch: bench/torch/fno_darcy_accuracy.py $DATA --epochs $EPOCHS --step $((EPOCHS / 5)) --seed S"
fi
