#!/usr/bin/env bash
# neop datagen: rank-count independence, file schema, bad input, interruption.
# usage: bash cli_datagen.sh <neop> <source-dir> "<mpiexec command>"
source "$(dirname "$0")/lib/cli_common.sh" "$@"

common="-samples 5 -grid 33 -seed 3 -datagen_progress 0"

# 1 and 2 ranks, parallel and gathered writes: identical files
for pde in darcy poisson; do
  "$NEOP" datagen -pde $pde $common -output "$TMP/$pde-1.h5" > "$TMP/log1" 2>&1
  check "$pde: 1 rank runs" test $? -eq 0
  $MPIEXEC -n 2 "$NEOP" datagen -pde $pde $common -output "$TMP/$pde-2.h5" > "$TMP/log2" 2>&1
  check "$pde: 2 ranks run" test $? -eq 0
  check "$pde: 1 and 2 ranks give identical files" h5diff "$TMP/$pde-1.h5" "$TMP/$pde-2.h5"
  $MPIEXEC -n 2 "$NEOP" datagen -pde $pde $common -datagen_gather_io -datagen_buffer 1 -output "$TMP/$pde-g.h5" > "$TMP/log3" 2>&1
  check "$pde: gathered writes give the same file" h5diff "$TMP/$pde-1.h5" "$TMP/$pde-g.h5"
done
# 3 samples on 2 ranks with a buffer of 1: uneven blocks, a rank idle in the last round
$MPIEXEC -n 2 "$NEOP" datagen -pde darcy -samples 3 -grid 33 -seed 3 -datagen_buffer 1 -datagen_progress 0 -output "$TMP/three.h5" > /dev/null 2>&1
# the values of an h5dump's first DATA block, one a line, printed exactly
data() { h5dump -m '%.9g' -y -w 0 "$@" | awk '/DATA \{/ { if (!seen) { f = 1; seen = 1; next } } f && /\}/ { f = 0 } f' | tr -s ', ' '\n\n' | grep -v '^$'; }
for d in a u; do
  x=$(data -d /$d "$TMP/three.h5")
  y=$(data -d /$d -s 0,0,0,0 -c 3,1,33,33 "$TMP/darcy-1.h5")
  check "uneven blocks: /$d of 3 samples = first 3 of the 5-sample file" test -n "$x" -a "$x" = "$y"
done
# each sample solved by both ranks together: same data up to solver tolerance
$MPIEXEC -n 2 "$NEOP" datagen -pde darcy $common -darcy_solve_comm world -output "$TMP/world.h5" > /dev/null 2>&1
check "-darcy_solve_comm world runs" test $? -eq 0
check "-darcy_solve_comm world: same a" h5diff "$TMP/darcy-1.h5" "$TMP/world.h5" /a
check "-darcy_solve_comm world: u within 1e-6 relative" h5diff -p 1e-6 "$TMP/darcy-1.h5" "$TMP/world.h5" /u

# schema
f="$TMP/darcy-1.h5"
check "neop_schema = 1" test "$(attr "$f" neop_schema)" = 1
check "complete = 1" test "$(attr "$f" complete)" = 1
check "pde = darcy" test "$(attr "$f" pde)" = darcy
check "seed = 3" test "$(attr "$f" seed)" = 3
check "grf_tau recorded" test "$(attr "$f" grf_tau)" = 3
check "darcy_coef_low recorded" test "$(attr "$f" darcy_coef_low)" = 3
check "darcy_ksp_type recorded" test "$(attr "$f" darcy_ksp_type)" = cg
check "/a is (5, 1, 33, 33) float32" sh -c "h5dump -H -d /a '$f' | grep -q 'H5T_IEEE_F32LE' && h5dump -H -d /a '$f' | grep -q '( 5, 1, 33, 33 )'"
check "/u is (5, 1, 33, 33)" sh -c "h5dump -H -d /u '$f' | grep -q '( 5, 1, 33, 33 )'"
check "/x, /y are (33) float64" sh -c "h5dump -H -d /x '$f' | grep -q 'H5T_IEEE_F64LE' && h5dump -H -d /y '$f' | grep -q '( 33 )'"

# an options file from datasets/, the command line overriding its output
"$NEOP" datagen -options_file "$SRC/datasets/darcy_small.opts" -samples 2 -output "$TMP/opts.h5" > /dev/null 2>&1
check "-options_file datasets/darcy_small.opts runs" test $? -eq 0 -a -f "$TMP/opts.h5"

# bad input
out=$("$NEOP" datagen -pde nosuch $common -output "$TMP/x.h5" 2>&1)
rc=$?
check "unknown -pde fails" test $rc -ne 0
check "unknown -pde lists the known PDEs" sh -c "echo \"\$1\" | grep -q 'unknown PDE (known: darcy, poisson'" _ "$out"
out=$("$NEOP" datagen -pde darcy $common -output "$TMP/missing/dir/x.h5" 2>&1)
rc=$?
check "missing output directory fails" test $rc -ne 0
check "missing output directory is named" sh -c "echo \"\$1\" | grep -q 'does not exist or is not writable'" _ "$out"
check "missing output directory leaves nothing" test ! -e "$TMP/missing"
cp "$f" "$TMP/keep.h5"
out=$("$NEOP" datagen -pde darcy -samples 2 -grid 17 -output "$TMP/keep.h5" 2>&1)
check "existing output refused without -overwrite" test $? -ne 0
check "existing output untouched" cmp -s "$f" "$TMP/keep.h5"
"$NEOP" datagen -pde darcy -samples 2 -grid 17 -output "$TMP/x.h5" -darcy_cof lognormal > /dev/null 2>&1
check "misspelt option fails" test $? -ne 0
"$NEOP" datagen -pde darcy -grid 17 -output "$TMP/x.h5" > /dev/null 2>&1
check "missing -samples fails" test $? -ne 0
out=$("$NEOP" datagen -help 2>&1)
for o in -samples -output -seed -grid -pde -datagen_buffer -grf_alpha -darcy_coef_high -darcy_ksp_type -poisson_solve_comm; do
  check "-help lists $o" sh -c "echo \"\$1\" | grep -q -- '$o'" _ "$out"
done

out=$($MPIEXEC -n 2 "$NEOP" datagen -pde darcy -samples 3 -grid 33 -darcy_ksp_max_it 1 -output "$TMP/diverged.h5" 2>&1)
check "a diverged solve fails" test $? -ne 0
check "a diverged solve is reported" sh -c "echo \"\$1\" | grep -q 'Darcy solve (33 x 33 nodes) diverged'" _ "$out"
check "a failed run leaves no file, not even the temporary" sh -c "! ls '$TMP'/diverged.h5* > /dev/null 2>&1"

# interrupted run: no file at the output path
"$NEOP" datagen -pde darcy -samples 100000 -grid 65 -datagen_buffer 4 -output "$TMP/killed.h5" > /dev/null 2>&1 &
pid=$!
for i in $(seq 600); do ls "$TMP"/killed.h5.tmp.* > /dev/null 2>&1 && break; sleep 0.1; done
sleep 1
kill -KILL $pid
wait $pid 2> /dev/null
check "killed run had started writing" sh -c "ls '$TMP'/killed.h5.tmp.* > /dev/null 2>&1"
check "killed run leaves no file at the output path" test ! -e "$TMP/killed.h5"

finish
