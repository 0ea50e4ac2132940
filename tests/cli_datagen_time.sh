#!/usr/bin/env bash
# neop datagen for the time-dependent PDEs (Burgers, Navier-Stokes): the
# schema of docs/formats.md, rank-count independence, and a 1-D FNO trained on
# the Burgers data through neop train / eval.
# usage: bash cli_datagen_time.sh <neop> <source-dir> "<mpiexec command>"
source "$(dirname "$0")/lib/cli_common.sh" "$@"

B="-pde burgers -samples 4 -seed 2 -burgers_grid 256 -burgers_dt 1e-3 -datagen_progress 0"
"$NEOP" datagen $B -output "$TMP/b1.h5" > /dev/null 2>&1
check "burgers: 1 rank" test $? -eq 0
$MPIEXEC -n 2 "$NEOP" datagen $B -output "$TMP/b2.h5" > /dev/null 2>&1
check "burgers: 2 ranks" test $? -eq 0
check "burgers: 1 and 2 ranks give identical files" h5diff "$TMP/b1.h5" "$TMP/b2.h5"
check "burgers: a is u0 (N, 1, X)" shape "$TMP/b1.h5" a "4, 1, 256"
check "burgers: u is u(t=1) (N, 1, X)" shape "$TMP/b1.h5" u "4, 1, 256"
"$NEOP" datagen $B -burgers_nt 4 -output "$TMP/bt.h5" > /dev/null 2>&1
check "burgers trajectory: u (N, T, 1, X)" shape "$TMP/bt.h5" u "4, 4, 1, 256"
check "burgers trajectory: t (T)" shape "$TMP/bt.h5" t "4"

NS="-pde navier_stokes -samples 2 -seed 4 -ns_grid 32 -ns_store_grid 16 -ns_T 2 -ns_dt 1e-3 -datagen_progress 0"
"$NEOP" datagen $NS -output "$TMP/n1.h5" > /dev/null 2>&1
check "navier_stokes: 1 rank" test $? -eq 0
$MPIEXEC -n 2 "$NEOP" datagen $NS -output "$TMP/n2.h5" > /dev/null 2>&1
check "navier_stokes: 1 and 2 ranks give identical files" h5diff "$TMP/n1.h5" "$TMP/n2.h5"
check "navier_stokes: a is w0 (N, 1, 16, 16)" shape "$TMP/n1.h5" a "2, 1, 16, 16"
check "navier_stokes: u is the trajectory (N, T, 1, 16, 16)" shape "$TMP/n1.h5" u "2, 2, 1, 16, 16"

# 1-D through the pipeline: an FNO on Burgers data learns (test error falls below 0.5 from about 1)
"$NEOP" datagen -pde burgers -samples 60 -seed 3 -burgers_grid 128 -burgers_dt 1e-3 -datagen_progress 0 -output "$TMP/bb.h5" > /dev/null 2>&1
"$NEOP" train -train "$TMP/bb.h5" -ntrain 50 -ntest 10 -model fno -fno_modes 8 -fno_width 16 -epochs 20 -batch_size 10 \
  -checkpoint "$TMP/f1d.h5" > "$TMP/train.log" 2>&1
check "1-D FNO trains on Burgers" test $? -eq 0
best=$(best "$TMP/train.log")
echo "1-D FNO on Burgers: best test rel_l2 $best"
check "1-D FNO learns (rel_l2 $best < 0.5)" awk -v a="$best" 'BEGIN { exit !(a < 0.5) }'
"$NEOP" eval -checkpoint "$TMP/f1d.h5" -test "$TMP/bb.h5" -test_offset 50 -output "$TMP/p.h5" > /dev/null 2>&1
check "1-D eval writes u_pred (10, 1, 128)" shape "$TMP/p.h5" u_pred "10, 1, 128"
finish
