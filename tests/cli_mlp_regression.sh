#!/usr/bin/env bash
# The training machinery end to end, through examples/mlp_regression:
#  (a) the loss falls by 100x;
#  (b) stopping and resuming from the last checkpoint gives bit for bit the
#      parameters (and losses) of an uninterrupted run;
#  (c) 1 and 2 ranks agree on the parameters after 20 steps to 1e-5 relative;
#  (d) a resume with different data options is refused.
# Usage: bash cli_mlp_regression.sh <neop-exe> <source-dir> "<mpiexec cmd>"
set -u
EX=$(dirname "$1")/examples/mlp_regression
SRC=$2
# ctest passes the CMake list "mpiexec;--oversubscribe": make it a command line
MPIEXEC=${3:-mpiexec}
MPIEXEC=${MPIEXEC//;/ }
OPTS="-options_file $SRC/examples/mlp_regression/mlp_regression.opts"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); echo "ok: $1"; else fail=$((fail + 1)); echo "FAIL: $1"; fi; }
loss() { awk -v e="$2" '$1 == "epoch" && $2 == e { print $4 }' "$1"; }

# (a) uninterrupted run
$EX $OPTS -checkpoint "$T/full.h5" > "$T/full.log" 2>&1
check "uninterrupted run exits 0" "[ $? -eq 0 ]"
first=$(loss "$T/full.log" 1) last=$(loss "$T/full.log" 100)
echo "loss epoch 1: $first, epoch 100: $last"
check "loss falls by 100x ($first -> $last)" "awk -v a=$first -v b=$last 'BEGIN { exit !(b > 0 && a / b >= 100) }'"

# (b) stopped after 45 epochs (last checkpoint at 40), then resumed
$EX $OPTS -checkpoint "$T/part.h5" -stop_after 45 > "$T/stop.log" 2>&1
check "interrupted run exits 0" "[ $? -eq 0 ]"
$EX $OPTS -checkpoint "$T/part.h5" -resume -compare "$T/full.h5" > "$T/resume.log" 2>&1
check "resumed run exits 0" "[ $? -eq 0 ]"
check "resumed from epoch 40" "grep -q 'resumed from .* after 40 epochs' $T/resume.log"
check "resumed parameters bit for bit those of the uninterrupted run" "grep -q 'bit for bit identical' $T/resume.log"
check "losses of epochs 41-100 identical" \
  "diff <(grep '^epoch' $T/full.log | awk '\$2 > 40') <(grep '^epoch' $T/resume.log) > /dev/null"

# (c) 1 and 2 ranks, 20 steps of 32 samples
SHORT="$OPTS -epochs 4 -samples 160"
$EX $SHORT -checkpoint "$T/np1.h5" > "$T/np1.log" 2>&1
check "1-rank short run exits 0" "[ $? -eq 0 ]"
$MPIEXEC -n 2 $EX $SHORT -checkpoint "$T/np2.h5" -compare "$T/np1.h5" > "$T/np2.log" 2>&1
check "2-rank short run exits 0" "[ $? -eq 0 ]"
rel=$(awk '/^compare/ { print $7 }' "$T/np2.log" | tr -d ',')
echo "1 vs 2 ranks after 20 steps: relative parameter difference $rel"
check "1 and 2 ranks agree to 1e-5 relative ($rel)" "awk -v r='$rel' 'BEGIN { exit !(r != \"\" && r + 0 <= 1e-5) }'"

# (d) the data options are part of the checkpoint
$EX $OPTS -checkpoint "$T/part.h5" -resume -batch_size 16 > "$T/bad.log" 2>&1
check "resume with another -batch_size fails" "[ $? -ne 0 ]"
check "and names the option and the file" "grep -q 'part.h5 was made with -batch_size 32, this run has 16' $T/bad.log"

if [ $fail -ne 0 ]; then for f in "$T"/*.log; do echo "== $f"; tail -5 "$f"; done; fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
