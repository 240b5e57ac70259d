#!/usr/bin/env bash
# The README's test command (`npm test`): starts the local services the integration tests talk to,
# then runs every check CI needs. Runs from npm, so node_modules/.bin (Node 24, tsc, nx, vitest) is on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false

step() { printf '\n==> %s\n' "$*"; }

step "local services (Docker engine, registry, moto, base image)"
bash scripts/local-env.sh up

step "what the tests need besides the services: the trixie base (Python 3.13 layers), Debian's chromium (the report's page)"
bash scripts/local-env.sh base trixie
bash scripts/local-env.sh chromium

step "bundle the CLI (dist/cli: what bin/prebake.js runs, and the one file for other repositories; skipped when fresh)"
node packages/cli/bundle/bundle.ts

step "typecheck"
tsc -p tsconfig.json

step "lint and format (biome)"
biome ci .

step "dependencies: every import is declared by its package, every declared dependency is imported (knip)"
# Twice: the whole of each package (sources, tests, benches), then its production code alone, which
# catches a package that declares in "dependencies" what only its tests use (those are devDependencies).
knip --dependencies
knip --dependencies --production

step "stacks: rendered templates are up to date, cfn-lint is clean"
nx run-many -t check lint --outputStyle=stream

step "unit and integration tests (vitest)"
# Shuffled (vitest.config.ts), with a pinned seed: CI's order is one that passed in full, so a red CI
# is a regression, not a new order. Explore other orders with PREBAKE_TEST_SEED=<n> npm test.
vitest run --sequence.seed "${PREBAKE_TEST_SEED:-1796153472528}" "$@"
