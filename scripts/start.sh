#!/usr/bin/env bash
# The README's first command (`npm start`): the whole pipeline in the local profile.
# Brings the local services up, then `nx run-many -t deploy` renders, lints, builds and pushes the
# images, publishes the layer and deploys both stacks to the emulator; ends with a summary table.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

started=$(date +%s%3N)
bash scripts/local-env.sh up

run_dir=".prebake/runs/$(date -u +%Y%m%dT%H%M%SZ)"
export PREBAKE_SUMMARY_DIR="$PWD/$run_dir"
mkdir -p "$PREBAKE_SUMMARY_DIR"

status=0
nx run-many -t deploy --outputStyle=stream "$@" || status=$?
prebake summary --dir "$PREBAKE_SUMMARY_DIR" --since-ms "$started" || true
exit "$status"
