#!/usr/bin/env bash
# The command line itself: -help lists every subcommand and each subcommand's
# options with defaults; unknown subcommands and misspelt options are errors.
# usage: bash cli_help.sh <neop> <source-dir> "<mpiexec command>"
source "$(dirname "$0")/lib/cli_common.sh" "$@"

"$NEOP" -help > "$TMP/top" 2>&1
check "neop -help exits 0" test $? -eq 0
for c in datagen train eval predict convert info; do
  check "neop -help lists $c" grep -q "^  $c " "$TMP/top"
done
# one option of each subcommand, with its default shown by PETSc as <now X : formerly X> or <X>
for pair in "datagen -samples" "train -batch_size" "train -fno_modes" "train -lr" "train -optim" "eval -checkpoint" \
            "predict -input" "convert -input_key" "info -input"; do
  set -- $pair
  "$NEOP" $1 -help > "$TMP/h" 2>&1
  rc=$?
  check "neop $1 -help exits 0" test $rc -eq 0
  check "neop $1 -help lists $2" grep -q -- "^  $2 <" "$TMP/h"
done
"$NEOP" train -help -model mgno > "$TMP/h" 2>&1
check "neop train -help -model mgno lists the MgNO options" grep -q -- "-mgno_levels" "$TMP/h"
"$NEOP" frobnicate > "$TMP/e" 2>&1
check "unknown subcommand fails" test $? -ne 0
check "unknown subcommand is named" grep -q "unknown command 'frobnicate'" "$TMP/e"
"$NEOP" info -input /dev/null -bogus_option 3 > "$TMP/e" 2>&1
check "misspelt option fails" test $? -ne 0
check "misspelt option is named" grep -q -- "-bogus_option" "$TMP/e"
"$NEOP" > "$TMP/e" 2>&1
check "no subcommand is a usage error" test $? -ne 0
finish
