#!/bin/bash
# neop convert and neop info on every import fixture, and their refusals.
#   bash cli_convert_info.sh <neop-exe> <source-dir> "<mpiexec cmd>"
# Fixture shapes come from tests/reference/make_import_fixtures.py.
NEOP=$1
SRC=$2
MPIEXEC=${3:-mpirun}
MPIEXEC=${MPIEXEC//;/ } # ctest passes a CMake list
FIX=$SRC/tests/fixtures
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect_out NAME PATTERN CMD...: command succeeds and its stdout contains PATTERN
expect_out() {
  local name=$1 pat=$2; shift 2
  if "$@" > "$W/out" 2> "$W/err" && grep -qF -- "$pat" "$W/out"; then ok; else bad "$name: wanted '$pat'"; cat "$W/out" "$W/err" | tail -5; fi
}
# expect_fail NAME OUTFILE PATTERN... -- CMD...: non-zero exit, stderr names every PATTERN, OUTFILE absent, no temporary left
expect_fail() {
  local name=$1 out=$2; shift 2
  local pats=()
  while [ "$1" != "--" ]; do pats+=("$1"); shift; done; shift
  "$@" > "$W/out" 2> "$W/err"; local rc=$?
  local good=1
  [ $rc -ne 0 ] || { good=0; echo "  exit status 0"; }
  for p in "${pats[@]}"; do grep -qF -- "$p" "$W/err" || { good=0; echo "  stderr lacks '$p'"; }; done
  [ -z "$out" ] || [ ! -e "$out" ] || { good=0; echo "  $out was left behind"; }
  ls "$W" | grep -q '\.tmp\.' && { good=0; echo "  a temporary file was left behind"; }
  if [ $good = 1 ]; then ok; else bad "$name"; grep -m3 "PETSC ERROR: [^-#]" "$W/err"; fi
}
range() { grep -E "^  $2 " "$1" | sed -E 's/.*(min [^ ]+  max [^ ]+).*/\1/'; }

cd "$W" || exit 1
# --- each format converts; info shows the shapes ---
expect_out "convert MATLAB v5" "a (4, 1, 5, 4), u (4, 1, 5, 4)" "$NEOP" convert -input "$FIX/import_mat5.mat" -output m5.h5 -sub 2
expect_out "info of converted v5" "/a                  float32  (4, 1, 5, 4)" "$NEOP" info m5.h5
expect_out "info of converted v5 attrs" 'source_format = "MATLAB v5"' "$NEOP" info m5.h5
expect_out "convert MATLAB v7.3" "a (2, 1, 9, 7), u (2, 1, 9, 7)" "$NEOP" convert -input "$FIX/import_mat73.mat" -output m73.h5 -offset 1 -ntake 2
expect_out "convert DGenNO v7.3 (coe/u, samples last)" "a (4, 1, 9, 7), u (4, 1, 9, 7)" "$NEOP" convert -input "$FIX/import_dgenno73.mat" -output dg.h5
expect_out "convert MATLAB v7.3 time series" "u (3, 4, 5, 6)" "$NEOP" convert -input "$FIX/import_mat73.mat" -output ns.h5 -input_key a -output_key u
expect_out "convert PDEBench 1-D" "a (4, 1, 6), u (4, 1, 6)" "$NEOP" convert -input "$FIX/import_pdebench_1d.h5" -output p1.h5 -sub 3
expect_out "info PDEBench coordinates copied" "/x                  float64  (6)  min 0.03125  max 0.96875" "$NEOP" info p1.h5
expect_out "convert PDEBench Darcy" "a (4, 1, 9, 9), u (4, 1, 9, 9)" "$NEOP" convert -input "$FIX/import_pdebench_darcy.h5" -output pd.h5
expect_out "convert neop file" "a (4, 2, 9, 9), u (4, 1, 9, 9)" "$NEOP" convert -input "$FIX/import_neop.h5" -output n.h5
expect_out "converted file reads back" "4 samples, 2-D: a (N, 1, 9, 9) from 'a', u (N, 1, 9, 9) from 'u'" "$NEOP" info pd.h5

# --- info on every source kind ---
expect_out "info v5" "coeff               double   4 x 9 x 7" "$NEOP" info "$FIX/import_mat5.mat"
expect_out "info v7.3" "/coeff              float64  (7, 9, 4)  MATLAB 4 x 9 x 7 double" "$NEOP" info "$FIX/import_mat73.mat"
expect_out "info PDEBench" "/tensor             float32  (4, 6, 16)" "$NEOP" info "$FIX/import_pdebench_1d.h5"
expect_out "info neop" "neop data file" "$NEOP" info -input "$FIX/import_neop_time.h5"
expect_out "info shows NaN counts" "NaN/Inf: 1 values" "$NEOP" info "$FIX/import_mat5.mat"

# --- converted values equal the source's: same min/max in info ---
"$NEOP" convert -input "$FIX/import_mat73.mat" -output full73.h5 > /dev/null 2>&1
"$NEOP" info "$FIX/import_mat73.mat" > src.txt; "$NEOP" info full73.h5 > dst.txt
if [ -n "$(range src.txt /coeff)" ] && [ "$(range src.txt /coeff)" = "$(range dst.txt /a)" ] && [ "$(range src.txt /sol)" = "$(range dst.txt /u)" ]; then ok; else bad "v7.3 ranges differ after convert: $(range src.txt /coeff) vs $(range dst.txt /a)"; fi

# --- 2 ranks write what 1 rank writes ---
$MPIEXEC -n 2 "$NEOP" convert -input "$FIX/import_mat73.mat" -output two.h5 -input_key a -output_key u > /dev/null 2>&1
$MPIEXEC -n 2 "$NEOP" convert -input "$FIX/import_mat5.mat" -output two5.h5 -sub 2 > /dev/null 2>&1
"$NEOP" info ns.h5 | grep -E '^  /[au] ' > one.txt; "$NEOP" info two.h5 | grep -E '^  /[au] ' > two.txt
"$NEOP" info m5.h5 | grep -E '^  /[au] ' > one5.txt; "$NEOP" info two5.h5 | grep -E '^  /[au] ' > two5.txt
if [ -s one.txt ] && cmp -s one.txt two.txt && [ -s one5.txt ] && cmp -s one5.txt two5.txt; then ok; else bad "2-rank convert differs from 1-rank"; fi

# --- refusals: clear error naming file and dataset, non-zero exit, no output ---
expect_fail "missing dataset" out1.h5 "import_mat73.mat" "no dataset 'nope'" -- "$NEOP" convert -input "$FIX/import_mat73.mat" -output out1.h5 -input_key nope
expect_fail "missing variable (v5)" out1.h5 "import_mat5.mat" "no variable 'nope'" -- "$NEOP" convert -input "$FIX/import_mat5.mat" -output out1.h5 -output_key nope
expect_fail "wrong rank" out1.h5 "import_mat73.mat" "'sol_flat' is 4 x 63 (rank 2)" -- "$NEOP" convert -input "$FIX/import_mat73.mat" -output out1.h5 -output_key sol_flat
expect_fail "grids disagree" out1.h5 "import_mat5.mat" "disagree" -- "$NEOP" convert -input "$FIX/import_mat5.mat" -output out1.h5 -output_key sol_small
expect_fail "NaN values" out1.h5 "import_mat5.mat" "'coeff_nan'" "first in sample 2" -- "$NEOP" convert -input "$FIX/import_mat5.mat" -output out1.h5 -input_key coeff_nan
expect_fail "NaN values, 2 ranks" out1.h5 "first in sample 2" -- $MPIEXEC -n 2 "$NEOP" convert -input "$FIX/import_mat5.mat" -output out1.h5 -input_key coeff_nan
expect_fail "interrupted datagen" out1.h5 "import_neop_incomplete.h5" "complete" -- "$NEOP" convert -input "$FIX/import_neop_incomplete.h5" -output out1.h5
expect_fail "too few samples" out1.h5 "import_neop.h5" "has 4 samples" -- "$NEOP" convert -input "$FIX/import_neop.h5" -output out1.h5 -offset 2 -ntake 3
expect_fail "missing input" out1.h5 "nothere.mat" "cannot open" -- "$NEOP" convert -input nothere.mat -output out1.h5
expect_fail "not a data file" out1.h5 "cli_convert_info.sh" "neither an HDF5" -- "$NEOP" convert -input "$SRC/tests/cli_convert_info.sh" -output out1.h5
expect_fail "unknown option" out1.h5 "-bogus" -- "$NEOP" convert -input "$FIX/import_mat5.mat" -output out1.h5 -bogus 3
expect_fail "missing -output" "" "-output" -- "$NEOP" convert -input "$FIX/import_mat5.mat"
expect_fail "unwritable output" "" "/nonexistent/out.h5" -- "$NEOP" convert -input "$FIX/import_mat5.mat" -output /nonexistent/out.h5
for f in import_neop.h5:6000 import_mat73.mat:6000 import_mat5.mat:3000 import_pdebench_darcy.h5:3000; do
  name=${f%%:*}; size=${f##*:}
  head -c "$size" "$FIX/$name" > "trunc_$name"
  expect_fail "truncated $name" out1.h5 "trunc_$name" -- "$NEOP" convert -input "trunc_$name" -output out1.h5
  expect_fail "info on truncated $name" "" "trunc_$name" -- "$NEOP" info "trunc_$name"
done
# an existing output is never replaced without -overwrite
sum=$(cksum < m5.h5)
expect_fail "existing output" "" "m5.h5" "exists" -- "$NEOP" convert -input "$FIX/import_mat73.mat" -output m5.h5
[ "$(cksum < m5.h5)" = "$sum" ] && ok || bad "m5.h5 was modified"
expect_out "-overwrite replaces" "a (4, 1, 9, 7)" "$NEOP" convert -input "$FIX/import_mat73.mat" -output m5.h5 -overwrite
expect_fail "info on a missing file" "" "nothere.h5" -- "$NEOP" info nothere.h5

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
