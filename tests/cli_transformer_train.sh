#!/usr/bin/env bash
# neop train / eval end to end for the transformer families on a small Darcy
# set: a small Transolver (3x3 conv projections) and a small Galerkin
# Transformer learn to a stated relative-L2 bound, eval reproduces the
# training's best test error, and the checkpoint rebuilds the model.
# usage: bash cli_transformer_train.sh <neop> <source-dir> "<mpiexec command>"
source "$(dirname "$0")/lib/cli_common.sh" "$@"

# 150 samples of 33 x 33 Darcy: 120 to train, 30 to test. Predicting the mean
# solution gives a test rel_l2 of about 0.178 (the plateau both models start on).
"$NEOP" datagen -pde darcy -samples 150 -grid 33 -seed 5 -datagen_progress 0 -output "$TMP/d.h5" > /dev/null
check "datagen" test -f "$TMP/d.h5"
COMMON="-train $TMP/d.h5 -ntrain 120 -ntest 30 -batch_size 4 -lr_schedule onecycle"
TS="-model transolver -transolver_layers 2 -transolver_width 32 -transolver_heads 4 -transolver_slices 16 -transolver_conv_embed 3 -optim adamw -lr 5e-3 -weight_decay 1e-5 -clip_norm 0.1 -epochs 10"
GK="-model galerkin -galerkin_enc_layers 2 -galerkin_enc_width 24 -galerkin_enc_heads 2 -galerkin_freq_dim 12 -galerkin_modes 8 -optim adam -lr 2e-3 -epochs 8"

run() { # run name bound options...
  local name=$1 bound=$2
  shift 2
  "$NEOP" train $COMMON "$@" -checkpoint "$TMP/$name.h5" > "$TMP/$name.log" 2>&1
  check "$name: train runs" test $? -eq 0
  local best
  best=$(best "$TMP/$name.log")
  echo "$name: best test rel_l2 $best (bound $bound)"
  check "$name learns (rel_l2 $best < $bound)" below "${best:-1}" "$bound"
  "$NEOP" eval -checkpoint "$TMP/$name.h5" -test "$TMP/d.h5" -test_offset 120 -ntest 30 -output "$TMP/$name.pred.h5" > "$TMP/$name.eval.log" 2>&1
  check "$name: eval runs" test $? -eq 0
  local mean
  mean=$(attr "$TMP/$name.pred.h5" mean_rel_l2)
  check "$name: eval mean ($mean) equals training best ($best)" awk -v a="$mean" -v b="$best" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'
  check "$name: u_pred shape" sh -c "h5ls '$TMP/$name.pred.h5/u_pred' | grep -q '{30, 1, 33, 33}'"
}
run transolver 0.165 $TS
check "transolver: conv projections recorded" grep -q "conv projections" "$TMP/transolver.log"
run galerkin 0.11 $GK
check "galerkin: encoder recorded" grep -q "galerkin attention" "$TMP/galerkin.log"

finish
