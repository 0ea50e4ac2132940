#!/usr/bin/env bash
# neop train / eval / predict end to end on a small Darcy set: a small FNO
# learns to a stated bound, evaluation files are complete, evaluation at
# another resolution works, -resume is bit-for-bit, 1 and 2 ranks agree, and
# bad input fails cleanly.
# usage: bash cli_train.sh <neop> <source-dir> "<mpiexec command>"
source "$(dirname "$0")/lib/cli_common.sh" "$@"

# 150 samples of 33 x 33 Darcy: 120 to train, 30 to test
"$NEOP" datagen -pde darcy -samples 150 -grid 33 -seed 5 -datagen_progress 0 -output "$TMP/d.h5" > /dev/null
check "datagen" test -f "$TMP/d.h5"
FNO="-model fno -fno_modes 8 -fno_width 12 -ntrain 120 -ntest 30 -batch_size 10 -weight_decay 1e-4 -lr_schedule step -lr_step_size 15"

# 1. a small FNO learns: the test error falls below 0.12 in 25 epochs (untrained: about 1)
"$NEOP" train -train "$TMP/d.h5" $FNO -epochs 25 -checkpoint "$TMP/fno.h5" > "$TMP/train.log" 2>&1
check "train runs" test $? -eq 0
best=$(best "$TMP/train.log")
echo "small FNO: best test rel_l2 $best (bound 0.12)"
check "small FNO learns (rel_l2 $best < 0.12)" below "$best" 0.12
check "prints parameters" grep -q "^parameters: " "$TMP/train.log"
check "prints samples/s per epoch" grep -q "samples/s" "$TMP/train.log"
check "history stored" h5ls "$TMP/fno.h5/history/test_rel_l2"
check "latest state written" test -f "$TMP/fno.last.h5"

# 2. eval writes predictions and per-sample errors; its mean equals the training's best
"$NEOP" eval -checkpoint "$TMP/fno.h5" -test "$TMP/d.h5" -test_offset 120 -ntest 30 -output "$TMP/pred.h5" > "$TMP/eval.log" 2>&1
check "eval runs" test $? -eq 0
mean=$(attr "$TMP/pred.h5" mean_rel_l2)
check "eval mean ($mean) equals training best ($best)" awk -v a="$mean" -v b="$best" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'
check "u_pred shape" sh -c "h5ls '$TMP/pred.h5/u_pred' | grep -q '{30, 1, 33, 33}'"
check "rel_l2 per sample" sh -c "h5ls '$TMP/pred.h5/rel_l2' | grep -q '{30}'"

# 3. zero-shot super-resolution: trained on every 2nd point (17 x 17), evaluated at 33 x 33
"$NEOP" train -train "$TMP/d.h5" $FNO -epochs 25 -sub 2 -checkpoint "$TMP/fno17.h5" -quiet > "$TMP/train17.log" 2>&1
e17=$(best "$TMP/train17.log")
"$NEOP" eval -checkpoint "$TMP/fno17.h5" -test "$TMP/d.h5" -test_offset 120 -sub 1 -output "$TMP/pred33.h5" > "$TMP/eval33.log" 2>&1
check "eval at another resolution runs" test $? -eq 0
e33=$(attr "$TMP/pred33.h5" mean_rel_l2)
echo "super-resolution: rel_l2 $e17 at 17 x 17 (training grid), $e33 at 33 x 33"
check "super-resolution error ($e33) within 1.5x of the training-grid error ($e17)" awk -v a="$e33" -v b="$e17" 'BEGIN { exit !(a < 1.5 * b) }'

# 4. -resume continues bit for bit: 4 epochs == 2 epochs, stop, resume to 4
R="-train $TMP/d.h5 $FNO -epochs 4 -lr_schedule cosine -quiet"
"$NEOP" train $R -checkpoint "$TMP/r1.h5" -initial_checkpoint "$TMP/i1.h5" > /dev/null 2>&1
"$NEOP" train $R -checkpoint "$TMP/r2.h5" -stop_after 2 -initial_checkpoint "$TMP/i2.h5" > /dev/null 2>&1
"$NEOP" train $R -checkpoint "$TMP/r2.h5" -resume > "$TMP/resume.log" 2>&1
check "resume says where it continues" grep -q "resumed from .* after epoch 2" "$TMP/resume.log"
check "resumed parameters are bit-for-bit" h5diff "$TMP/r1.last.h5" "$TMP/r2.last.h5" /params /params
check "resumed optimizer state is bit-for-bit" h5diff "$TMP/r1.last.h5" "$TMP/r2.last.h5" /optimizer /optimizer
# -initial_checkpoint: the weights before the first step, the same for the same seed, readable by eval
check "initial weights written" h5ls "$TMP/i1.h5/params"
check "initial weights the same in two runs" h5diff "$TMP/i1.h5" "$TMP/i2.h5" /params /params
check "initial weights are not the trained ones" sh -c "! h5diff -q '$TMP/i1.h5' '$TMP/r1.last.h5' /params /params"
"$NEOP" eval -checkpoint "$TMP/i1.h5" -test "$TMP/d.h5" -test_offset 120 -output "$TMP/pi.h5" > /dev/null 2>&1
check "eval of the initial weights scores worse than the trained FNO" below "$best" "$(attr "$TMP/pi.h5" mean_rel_l2)"
fails "resume with another model is refused" "fno_width is 12" "$NEOP" train $R -fno_width 16 -checkpoint "$TMP/r2.h5" -resume

# 5. data parallel: 2 ranks and 1 rank agree after 2 epochs (24 steps) to rounding
P="-train $TMP/d.h5 $FNO -epochs 2 -quiet"
"$NEOP" train $P -checkpoint "$TMP/p1.h5" > /dev/null 2>&1
$MPIEXEC -n 2 "$NEOP" train $P -checkpoint "$TMP/p2.h5" > "$TMP/p2.log" 2>&1
check "2-rank training runs" test $? -eq 0
check "1 and 2 ranks agree to 1e-5" h5diff -d 1e-5 "$TMP/p1.h5" "$TMP/p2.h5" /params /params

# 6. predict on inputs only
"$NEOP" predict -checkpoint "$TMP/fno.h5" -input "$TMP/d.h5" -offset 140 -n 10 -output "$TMP/new.h5" > /dev/null 2>&1
check "predict writes u_pred" sh -c "h5ls '$TMP/new.h5/u_pred' | grep -q '{10, 1, 33, 33}'"

# 7. bad input
fails "missing training file" "nope.h5" "$NEOP" train -train "$TMP/nope.h5" -epochs 1
fails "unknown option" "-fno_mdoes" "$NEOP" train -train "$TMP/d.h5" $FNO -epochs 1 -fno_mdoes 4 -checkpoint "$TMP/x.h5"
fails "unknown model" "unknown model type 'fnx'" "$NEOP" train -train "$TMP/d.h5" -model fnx -epochs 1
fails "unknown loss" "-loss l3" "$NEOP" train -train "$TMP/d.h5" $FNO -loss l3 -epochs 1
head -c 20000 "$TMP/fno.h5" > "$TMP/cut.h5"
fails "truncated checkpoint" "cut.h5" "$NEOP" eval -checkpoint "$TMP/cut.h5" -test "$TMP/d.h5"
fails "eval output in a missing directory" "no/such/dir" "$NEOP" eval -checkpoint "$TMP/fno.h5" -test "$TMP/d.h5" -test_offset 120 -output "$TMP/no/such/dir/p.h5"
check "no partial eval output" test ! -e "$TMP/no/such/dir/p.h5"

finish
