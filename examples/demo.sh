#!/usr/bin/env bash
# The README's main job, on a small embedded default. Filled in as the
# data, model and pipeline land.
set -euo pipefail
NEOP=${1:-build/neop}
"$NEOP" -help
