#!/usr/bin/env bash
# Point sets (values at node coordinates, unstructured meshes) end to end:
# neop convert -points makes them from a Darcy grid file, a small Transolver
# learns on them to a stated bound, eval / predict write the right shapes, and
# malformed positions, grid-only options and grid models are refused clearly.
# usage: bash cli_points.sh <neop> <source-dir> "<mpiexec command>"
source "$(dirname "$0")/lib/cli_common.sh" "$@"
FIX=$SRC/tests/fixtures

# 150 samples of 33 x 33 Darcy, each sample reduced to 300 of its 1089 nodes
# (its own random nodes). Knowing only the positions (the training mean of u
# at each node) gives a test rel_l2 of 0.262 on samples 120-149; the scalar
# mean 0.604 (computed with numpy from the two files).
"$NEOP" datagen -pde darcy -samples 150 -grid 33 -seed 5 -datagen_progress 0 -output "$TMP/d.h5" > /dev/null
"$NEOP" convert -input "$TMP/d.h5" -output "$TMP/p.h5" -points 300 -seed 7 > /dev/null
check "convert -points runs" test -f "$TMP/p.h5"
check "a (150, 1, 300)" shape "$TMP/p.h5" a "150, 1, 300"
check "u (150, 1, 300)" shape "$TMP/p.h5" u "150, 1, 300"
check "pos (150, 300, 2)" shape "$TMP/p.h5" pos "150, 300, 2"
check "geometry = points" test "$(attr "$TMP/p.h5" geometry)" = points
"$NEOP" convert -input "$TMP/d.h5" -output "$TMP/s.h5" -points 200 -seed 7 -shared_points -offset 120 -ntake 10 > /dev/null
check "shared nodes: pos (200, 2)" shape "$TMP/s.h5" pos "200, 2"
$MPIEXEC -n 2 "$NEOP" convert -input "$TMP/d.h5" -output "$TMP/p2.h5" -points 300 -seed 7 > /dev/null 2>&1
check "-points on 2 ranks draws the same nodes (pos, a, u identical)" h5diff "$TMP/p.h5" "$TMP/p2.h5" pos pos
check "-points on 2 ranks: a identical" h5diff "$TMP/p.h5" "$TMP/p2.h5" a a

TS="-model transolver -transolver_layers 2 -transolver_width 32 -transolver_heads 4 -transolver_slices 16 -transolver_mlp_ratio 2"
OPT="-optim adamw -lr 5e-3 -weight_decay 1e-5 -clip_norm 0.1 -lr_schedule onecycle -batch_size 4"
"$NEOP" train -train "$TMP/p.h5" -ntrain 120 -ntest 30 $TS $OPT -epochs 20 -checkpoint "$TMP/ck.h5" > "$TMP/train.log" 2>&1
check "train runs" test $? -eq 0
check "train: per-channel normalisers on per-sample nodes, positions as features" grep -q "point sets of 300 nodes in 2-D (nodes per sample)" "$TMP/train.log"
b=$(best "$TMP/train.log")
echo "transolver on point sets: best test rel_l2 $b (bound 0.16)"
check "learns (rel_l2 $b < 0.16)" below "${b:-1}" 0.16

# data parallel on point sets: 2 ranks and 1 rank agree after 2 epochs (each rank reads its samples' nodes)
"$NEOP" train -train "$TMP/p.h5" -ntrain 40 -ntest 8 $TS $OPT -epochs 2 -quiet -checkpoint "$TMP/r1.h5" > /dev/null 2>&1
$MPIEXEC -n 2 "$NEOP" train -train "$TMP/p.h5" -ntrain 40 -ntest 8 $TS $OPT -epochs 2 -quiet -checkpoint "$TMP/r2.h5" > "$TMP/r2.log" 2>&1
check "2-rank point-set training runs" test $? -eq 0
check "1 and 2 ranks agree to 1e-5 on point sets" h5diff -d 1e-5 "$TMP/r1.last.h5" "$TMP/r2.last.h5" /params /params

"$NEOP" eval -checkpoint "$TMP/ck.h5" -test "$TMP/p.h5" -test_offset 120 -ntest 30 -output "$TMP/e.h5" > "$TMP/eval.log" 2>&1
check "eval runs" test $? -eq 0
m=$(attr "$TMP/e.h5" mean_rel_l2)
check "eval mean ($m) equals training best ($b)" awk -v a="$m" -v b="$b" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'
check "eval: u_pred (30, 1, 300)" shape "$TMP/e.h5" u_pred "30, 1, 300"
check "eval: pos (30, 300, 2)" shape "$TMP/e.h5" pos "30, 300, 2"
"$NEOP" predict -checkpoint "$TMP/ck.h5" -input "$TMP/s.h5" -output "$TMP/q.h5" > /dev/null 2>&1
check "predict on other (shared) nodes: u_pred (10, 1, 200)" shape "$TMP/q.h5" u_pred "10, 1, 200"
check "predict: pos (200, 2)" shape "$TMP/q.h5" pos "200, 2"

fails "positions of the wrong shape" "dataset 'pos' is (4, 9, 2); the point set 'a' (4 samples, 10 points) needs positions (4, 10, d)" \
  "$NEOP" train -train "$FIX/points_bad_shape.h5" -ntrain 2 -ntest 2 $TS -epochs 1
fails "NaN in positions" "dataset 'pos' holds NaN or Inf values, first in sample 2" \
  "$NEOP" train -train "$FIX/points_nan.h5" -ntrain 2 -ntest 2 $TS -epochs 1
fails "NaN in positions (eval)" "dataset 'pos' holds NaN or Inf values" \
  "$NEOP" eval -checkpoint "$TMP/ck.h5" -test "$FIX/points_nan.h5"
fails "a grid model on point sets" "works on grids only" "$NEOP" train -train "$TMP/p.h5" -ntrain 8 -ntest 4 -model fno -epochs 1
fails "conv projections on point sets" "conv projections need a structured grid" \
  "$NEOP" train -train "$TMP/p.h5" -ntrain 8 -ntest 4 $TS -transolver_conv_embed 3 -epochs 1
fails "sub-sampling a point set" "cannot be sub-sampled" "$NEOP" train -train "$TMP/p.h5" -ntrain 8 -ntest 4 $TS -sub 2 -epochs 1
fails "point-wise normaliser on per-sample nodes" "point-wise normalisation has no meaning" \
  "$NEOP" train -train "$TMP/p.h5" -ntrain 8 -ntest 4 $TS -normalize_a pointwise -epochs 1
fails "a point-set model on a grid file" "maps 2-D point sets" "$NEOP" eval -checkpoint "$TMP/ck.h5" -test "$TMP/d.h5" -ntest 2
fails "-points on a point set" "is a point set already" "$NEOP" convert -input "$TMP/p.h5" -output "$TMP/pp.h5" -points 10
finish
