#!/usr/bin/env bash
# The README's first command (`npm start`): the whole pipeline in the local profile.
# Brings the local services up, then `nx run-many -t deploy` renders, lints, builds and pushes the
# images, publishes the layer and deploys both stacks to the emulator; ends with a summary table.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
# Nx loads its plugins in this process rather than in one worker process each: the project graph,
# part of every run, takes about half as long on a small machine (docs/benchmarks.md, pipeline).
export NX_ISOLATE_PLUGINS=false
# Node keeps compiled (and type-stripped) modules between runs, in the folder the CLI's own
# enableCompileCache() uses: Nx, the batch and the bundle check load about 2,500 modules per run,
# and a no-op is mostly that (docs/benchmarks.md, scale: the sample's no-op).
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-${TMPDIR:-/tmp}/node-compile-cache}"

started=$(date +%s%3N)
bash scripts/local-env.sh up
# The bundled CLI starts in a fraction of the sources' time (nothing to do when it is fresh).
node packages/cli/bundle/bundle.ts

run_dir=".prebake/runs/$(date -u +%Y%m%dT%H%M%SZ)"
export PREBAKE_SUMMARY_DIR="$PWD/$run_dir"
mkdir -p "$PREBAKE_SUMMARY_DIR"

# The deploy tasks run in one process (the prebake executor's batch mode), which streams their
# output as they go; Nx adds one line per task (a failed task's output in full). With
# --outputStyle=stream Nx would print every task's output a second time.
status=0
nx run-many -t deploy "$@" || status=$?
prebake summary --dir "$PREBAKE_SUMMARY_DIR" --since-ms "$started" || true
exit "$status"
