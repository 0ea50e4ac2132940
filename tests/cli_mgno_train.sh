#!/usr/bin/env bash
# MgNO end to end through neop train / eval: examples/darcy/mgno.opts (H1 loss,
# Adam, one-cycle schedule, scalar target normaliser, raw inputs) with a small
# model (2 layers, 8 channels, 4 levels) on a small Darcy set learns to a
# stated bound; eval of its checkpoint reproduces the training's best error and
# runs on a coarser grid of the same parities.
# usage: bash cli_mgno_train.sh <neop> <source-dir> "<mpiexec command>"
source "$(dirname "$0")/lib/cli_common.sh" "$@"

# 150 samples of 33 x 33 Darcy: 120 to train, 30 to test
"$NEOP" datagen -pde darcy -samples 150 -grid 33 -seed 5 -datagen_progress 0 -output "$TMP/d.h5" > /dev/null
check "datagen" test -f "$TMP/d.h5"

# 1. the paper's setting from the example file, with a small model, the 33 x 33
#    grid (-sub 1), 40 epochs and a larger learning rate (5e-3, one-cycle peak).
#    Levels 33, 17, 9, 5. Untrained test rel_l2: about 1; 3 levels reach only ~0.3.
SMALL="-mgno_layers 2 -mgno_channels 8 -mgno_levels 4 -mgno_pre_smooth 1,1,1,2 -mgno_post_smooth 0,0,0,0"
"$NEOP" train -options_file "$SRC/examples/darcy/mgno.opts" -train "$TMP/d.h5" -test "$TMP/d.h5" -sub 1 \
  -ntrain 120 -ntest 30 -test_offset 120 $SMALL -lr 5e-3 -epochs 40 -checkpoint "$TMP/mg.h5" > "$TMP/train.log" 2>&1
rc=$?
check "train runs (rc $rc)" test $rc -eq 0
[ $rc -ne 0 ] && tail -20 "$TMP/train.log"
best=$(best "$TMP/train.log")
echo "small MgNO: best test rel_l2 $best (bound 0.10)"
check "small MgNO learns (rel_l2 $best < 0.10)" below "${best:-1}" 0.10
check "model is mgno, 4 levels" grep -q "^NeopModel mgno" "$TMP/train.log"
check "trains with the H1 loss" grep -q "loss h1 (sum)" "$TMP/train.log"
check "one-cycle schedule" grep -q "schedule onecycle" "$TMP/train.log"
# one-cycle: lr starts at max/div_factor (2.5e-3 after 0 steps), peaks at 5e-3
# after 20% of the steps, ends near max/(div * final_div) = 2.5e-5
lrs=$(sed -n 's/^epoch .* lr \([0-9.e+-]*\) .*/\1/p' "$TMP/train.log" | tr '\n' ' ')
check "one-cycle lr rises then falls ($lrs)" awk -v l="$lrs" 'BEGIN { n = split(l, a, " "); m = 0;
  for (i = 1; i <= n; i++) if (a[i] > m) { m = a[i]; k = i }
  exit !(n == 40 && a[1] >= 2.5e-3 && a[1] < 3e-3 && m > 4.9e-3 && m <= 5e-3 && k >= 6 && k <= 10 && a[n] < 1e-4) }'

# 2. eval of the best checkpoint: same error on the same test samples
"$NEOP" eval -checkpoint "$TMP/mg.h5" -test "$TMP/d.h5" -test_offset 120 -ntest 30 -output "$TMP/pred.h5" > "$TMP/eval.log" 2>&1
check "eval runs" test $? -eq 0
mean=$(attr "$TMP/pred.h5" mean_rel_l2)
check "eval mean ($mean) equals training best ($best)" awk -v a="$mean" -v b="$best" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'
check "u_pred shape" sh -c "h5ls '$TMP/pred.h5/u_pred' | grep -q '{30, 1, 33, 33}'"

# 3. eval on every 2nd point (17 x 17: levels 17, 9, 5, 3, the same odd parities)
"$NEOP" eval -checkpoint "$TMP/mg.h5" -test "$TMP/d.h5" -test_offset 120 -ntest 30 -sub 2 -output "$TMP/pred17.h5" > "$TMP/eval17.log" 2>&1
check "eval at 17 x 17 runs" test $? -eq 0
e17=$(attr "$TMP/pred17.h5" mean_rel_l2)
echo "eval at 17 x 17: rel_l2 $e17"
check "eval at 17 x 17 is finite and below 1 ($e17)" below "${e17:-nan}" 1

finish
