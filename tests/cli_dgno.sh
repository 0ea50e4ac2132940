#!/usr/bin/env bash
# DGNO end to end on a tiny smooth Darcy set (and a Poisson set): neop train with the
# model's own (physics) loss and no normalisation, neop eval of the checkpoint, observations
# made from a data file, neop invert with MALA sampling, and bad input.
# usage: bash cli_dgno.sh <neop> <source-dir> "<mpiexec command>"
source "$(dirname "$0")/lib/cli_common.sh" "$@"

"$NEOP" datagen -pde darcy -darcy_coef lognormal -samples 24 -grid 17 -seed 3 -datagen_progress 0 -output "$TMP/d.h5" > /dev/null
check "datagen" test -f "$TMP/d.h5"
DGNO="-model dgno -dgno_latent 16 -dgno_sensors 17 -dgno_enc_widths 32 -dgno_u_width 16 -dgno_u_layers 3 -dgno_u_sum_layers 2
      -dgno_a_width 16 -dgno_a_layers 3 -dgno_a_sum_layers 2 -dgno_ncentres 20 -dgno_topk 4 -normalize_a none -normalize_u none"
"$NEOP" train -train "$TMP/d.h5" $DGNO -ntrain 20 -ntest 4 -epochs 3 -batch_size 10 -checkpoint "$TMP/c.h5" > "$TMP/train.log" 2>&1
check "dgno trains" test $? -eq 0
check "options recorded" sh -c "h5dump -A '$TMP/c.h5' | grep -q dgno_u_sum_layers"
"$NEOP" eval -checkpoint "$TMP/c.h5" -test "$TMP/d.h5" -test_offset 20 -ntest 4 -output "$TMP/p.h5" > "$TMP/eval.log" 2>&1
check "eval of a dgno checkpoint" test $? -eq 0
check "u_pred shape" sh -c "h5ls '$TMP/p.h5/u_pred' | grep -q '{4, 1, 17, 17}'"
"$NEOP" invert -make_observations -data "$TMP/d.h5" -sample 22 -nobs 30 -snr 25 -seed 1 -output "$TMP/o.h5" > /dev/null 2>&1
check "observations" sh -c "h5ls '$TMP/o.h5/x_obs' | grep -q '{30, 2}' && h5ls '$TMP/o.h5/u_true' | grep -q '{17, 17}'"
"$NEOP" invert -checkpoint "$TMP/c.h5" -observations "$TMP/o.h5" -output "$TMP/r.h5" -invert_steps 20 -invert_samples 10 -invert_burn 20 > "$TMP/inv.log" 2>&1
check "invert runs" test $? -eq 0
check "MAP and posterior fields" sh -c "h5ls '$TMP/r.h5' | grep -q a_std && h5ls '$TMP/r.h5/u_mean' | grep -q '{17, 17}'"
check "errors reported" grep -q "MAP relative L2 error" "$TMP/inv.log"
# Poisson: the input is the source f (neop datagen -pde poisson), residuals of -laplace(u) = f
"$NEOP" datagen -pde poisson -samples 24 -grid 17 -seed 4 -datagen_progress 0 -output "$TMP/pois.h5" > /dev/null
"$NEOP" train -train "$TMP/pois.h5" $DGNO -dgno_pde poisson -ntrain 20 -ntest 4 -epochs 2 -batch_size 10 -checkpoint "$TMP/cp.h5" > "$TMP/trainp.log" 2>&1
check "dgno -dgno_pde poisson trains" test $? -eq 0
check "poisson recorded and viewed" sh -c "h5dump -A '$TMP/cp.h5' | grep -q poisson && grep -q 'f decoder' '$TMP/trainp.log'"
"$NEOP" eval -checkpoint "$TMP/cp.h5" -test "$TMP/pois.h5" -test_offset 20 -ntest 4 -output "$TMP/pp.h5" > /dev/null 2>&1
check "eval of the poisson checkpoint" test $? -eq 0
# the MAP fit lowers its loss, with either latent parameterisation
for mlp in true false; do
  for n in 3 60; do
    "$NEOP" invert -checkpoint "$TMP/c.h5" -observations "$TMP/o.h5" -output "$TMP/r$n.h5" -invert_steps $n -invert_mlp $mlp > "$TMP/map$n.log" 2>&1
  done
  l3=$(sed -n 's/.*steps, loss \([^ ]*\).*/\1/p' "$TMP/map3.log"); l60=$(sed -n 's/.*steps, loss \([^ ]*\).*/\1/p' "$TMP/map60.log")
  check "MAP loss falls, -invert_mlp $mlp ($l3 after 3 steps, $l60 after 60)" below "$l60" "$l3"
done
fails "too many observations" "interior nodes" "$NEOP" invert -make_observations -data "$TMP/d.h5" -nobs 100000 -output "$TMP/o2.h5"
check "no partial file" test ! -e "$TMP/o2.h5"
fails "missing observation file" "cannot open observation file" "$NEOP" invert -checkpoint "$TMP/c.h5" -observations "$TMP/none.h5" -output "$TMP/r2.h5"
fails "sum_layers must be below layers" "dgno_u_sum_layers" "$NEOP" train -train "$TMP/d.h5" $DGNO -ntrain 20 -ntest 4 -dgno_u_sum_layers 3 -epochs 1
finish
