#!/usr/bin/env bash
# The C API: examples/capi/predict_darcy links libneop, loads a checkpoint
# written by neop train and predicts; it refuses a file that is not one.
# usage: bash cli_capi.sh <neop> <source-dir> "<mpiexec command>"
source "$(dirname "$0")/lib/cli_common.sh" "$@"
EXE=$(dirname "$NEOP")/examples/predict_darcy

"$NEOP" datagen -pde darcy -samples 40 -grid 17 -seed 9 -datagen_progress 0 -output "$TMP/d.h5" > /dev/null
"$NEOP" train -train "$TMP/d.h5" -ntrain 30 -ntest 10 -model fno -fno_modes 4 -fno_width 8 -epochs 3 -batch_size 10 \
  -checkpoint "$TMP/fno.h5" -quiet > /dev/null 2>&1
check "training for the API test" test -f "$TMP/fno.h5"
"$EXE" -checkpoint "$TMP/fno.h5" -grid 17 > "$TMP/out" 2>&1
check "predict_darcy runs" test $? -eq 0
cat "$TMP/out"
# Darcy pressure with f = 1 and u = 0 on the boundary is positive inside: a
# trained model gets the sign and the scale (about 1e-2) right
check "prediction is finite and plausible" awk '/predicted u/ { m = $(NF - 2); gsub(",", "", m); ok = (m > 1e-4 && m < 1) } END { exit !ok }' "$TMP/out"
"$EXE" -checkpoint "$TMP/d.h5" > "$TMP/bad" 2>&1
check "a data file is refused as a checkpoint" test $? -ne 0
check "the refusal names the file" grep -q "d.h5" "$TMP/bad"
finish
