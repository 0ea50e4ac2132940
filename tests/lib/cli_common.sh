# Shared by the tests/cli_*.sh scripts: source it with the script's arguments,
#   source "$(dirname "$0")/lib/cli_common.sh" "$@"
# Arguments: <neop executable> <source dir> "<mpiexec command>" (ctest passes all three).
# Gives NEOP, SRC, MPIEXEC, a scratch folder TMP removed at exit, and the checks below;
# end the script with `finish`, which prints "N passed, N failed" and sets the exit code.
set -u
NEOP=$1
SRC=${2:-.}
MPIEXEC=${3:-mpiexec}
MPIEXEC=${MPIEXEC//;/ }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0

# check "name" command...: passes when the command succeeds
check() {
  local name=$1
  shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name"; fi
}
# fails "name" "expected message" command...: passes on a non-zero exit whose output holds the message
fails() {
  local name=$1 msg=$2
  shift 2
  "$@" > "$TMP/err" 2>&1
  local rc=$?
  if [ $rc -ne 0 ] && grep -q -- "$msg" "$TMP/err"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $name (rc $rc)"; tail -5 "$TMP/err"; fi
}
# attr FILE NAME: a root attribute's value
attr() { h5dump -a "$2" "$1" | sed -n 's/^ *(0): *//p' | tr -d '"'; }
# below A B: A < B as numbers
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
# shape FILE DATASET "d0, d1, ...": the dataset has that shape
shape() { h5ls "$1/$2" | grep -q "{$3}"; }
# best LOG: the "best test rel_l2" that neop train printed
best() { sed -n 's/^best test rel_l2 \([0-9.e+-]*\).*/\1/p' "$1"; }
finish() {
  echo "$pass passed, $fail failed"
  [ $fail -eq 0 ]
}
