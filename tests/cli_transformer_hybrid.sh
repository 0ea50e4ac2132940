#!/usr/bin/env bash
# Hybrid transformer stacks: spectral token mixing (SpectFormer-style gating on
# the FNO's kept modes) in the first blocks, attention after. A Transolver
# whose first block is spectral learns on a small Darcy set to a stated bound;
# eval reproduces the training's best; the checkpoint records the spectral
# options; the galerkin encoder takes the same options through its prefix.
# usage: bash cli_transformer_hybrid.sh <neop> <source-dir> "<mpiexec command>"
source "$(dirname "$0")/lib/cli_common.sh" "$@"

# 150 samples of 33 x 33 Darcy, 120 train / 30 test (as cli_transformer_train.sh).
# The same Transolver with Linear projections and no spectral block stays on
# the 0.176 plateau over these 10 epochs (measured; docs/transformer.md).
"$NEOP" datagen -pde darcy -samples 150 -grid 33 -seed 5 -datagen_progress 0 -output "$TMP/d.h5" > /dev/null
TS="-model transolver -transolver_layers 2 -transolver_width 32 -transolver_heads 4 -transolver_slices 16 -transolver_spectral_layers 1 -transolver_spectral_modes 8"
OPT="-optim adamw -lr 5e-3 -weight_decay 1e-5 -clip_norm 0.1 -lr_schedule onecycle -batch_size 4 -epochs 10"
"$NEOP" train -train "$TMP/d.h5" -ntrain 120 -ntest 30 $TS $OPT -checkpoint "$TMP/h.h5" > "$TMP/h.log" 2>&1
check "hybrid transolver: train runs" test $? -eq 0
check "hybrid transolver: one spectral block reported" grep -q "the first 1 block mix tokens by spectral gating (modes 8 x 8" "$TMP/h.log"
b=$(best "$TMP/h.log")
echo "hybrid transolver: best test rel_l2 $b (bound 0.12)"
check "hybrid transolver learns (rel_l2 $b < 0.12)" below "${b:-1}" 0.12
"$NEOP" eval -checkpoint "$TMP/h.h5" -test "$TMP/d.h5" -test_offset 120 -ntest 30 -output "$TMP/e.h5" > /dev/null 2>&1
m=$(attr "$TMP/e.h5" mean_rel_l2)
check "eval from the checkpoint ($m) equals training best ($b)" awk -v a="$m" -v b="$b" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'
check "checkpoint records the spectral options" sh -c "'$NEOP' info '$TMP/h.h5' | grep -q 'transolver_spectral_modes'"
fails "modes beyond the grid" "spectral gate: 20 modes in dim 1 of a grid of 33 points" \
  "$NEOP" train -train "$TMP/d.h5" -ntrain 8 -ntest 4 $TS -transolver_spectral_modes 20 -epochs 1
fails "more spectral blocks than blocks" "-transolver_spectral_layers 3: must be in" \
  "$NEOP" train -train "$TMP/d.h5" -ntrain 8 -ntest 4 $TS -transolver_spectral_layers 3 -epochs 1
"$NEOP" train -train "$TMP/d.h5" -ntrain 8 -ntest 4 -batch_size 4 -epochs 1 -model galerkin -galerkin_enc_layers 2 -galerkin_enc_width 12 \
  -galerkin_enc_heads 2 -galerkin_freq_dim 6 -galerkin_modes 4 -galerkin_enc_spectral_layers 1 -galerkin_enc_spectral_modes 6 \
  -checkpoint "$TMP/g.h5" > "$TMP/g.log" 2>&1
check "galerkin encoder with a spectral block trains (-galerkin_enc_spectral_layers 1)" grep -q "the first 1 block mix tokens by spectral gating" "$TMP/g.log"
finish
