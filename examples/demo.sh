#!/usr/bin/env bash
# The README's main job on a small embedded default: generate a small Darcy
# set with the PETSc solver (2 ranks), train a Fourier neural operator on it
# (2 ranks, data parallel), evaluate it on held-out samples, print the error.
# Usage: examples/demo.sh [path/to/neop]   (outputs in build/demo/)
set -euo pipefail
NEOP=${1:-build/neop}
OUT=${NEOP_DEMO_DIR:-$(dirname "$NEOP")/demo}
MPI="mpirun --oversubscribe -n 2"
[ "$(id -u)" -eq 0 ] && MPI="$MPI --allow-run-as-root"
mkdir -p "$OUT"

echo "== 1. data: 240 Darcy samples (piecewise-constant permeability) on a 33 x 33 grid"
$MPI "$NEOP" datagen -pde darcy -samples 240 -grid 33 -seed 1 -output "$OUT/darcy33.h5"

echo "== 2. train an FNO on 200 samples, test on 40"
$MPI "$NEOP" train -options_file "$(dirname "$0")/darcy/fno_demo.opts" \
  -train "$OUT/darcy33.h5" -checkpoint "$OUT/fno_demo.h5"

echo "== 3. evaluate the best checkpoint on the 40 held-out samples"
"$NEOP" eval -checkpoint "$OUT/fno_demo.h5" -test "$OUT/darcy33.h5" -test_offset 200 -ntest 40 \
  -output "$OUT/fno_demo_pred.h5"
