#!/usr/bin/env bash
# Bring up, check and tear down the local services the `local` profile uses:
#   Docker engine (reused when one answers), registry on 127.0.0.1:5050 (docker-registry),
#   AWS emulator on 127.0.0.1:5060 (moto_server), base image prebake/debian:bookworm (debootstrap),
#   and the ECR stand-in on 127.0.0.1:5052: a second docker-registry that demands ECR's credentials
#   (user AWS, the password the emulator's GetAuthorizationToken hands out), for the aws profile's
#   tests (profiles.<name>.ecrRegistry maps ECR's host to it).
# `base trixie` builds the optional Debian trixie base (Python 3.13) on demand, the same way.
# State (pid files, logs, registry config and data, cache) lives in <repo>/.prebake/local-env/.
# See scripts/README.md. Exit codes: 0 ok, 2 usage error, 5 a service cannot be provided.
# The services are in scripts/local-env/, one file each (engine, registry, moto, ecr, base,
# cfn-lint, chromium) over common.sh; commands.sh holds up/base/status/down/env; this file only
# loads them, prints the usage and dispatches.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo_root=$(cd "$script_dir/.." && pwd -P)
readonly REPO_ROOT=$repo_root
readonly LOCAL_ENV_DIR="$script_dir/local-env"
for part in common engine registry moto ecr base cfn-lint chromium commands; do
  # shellcheck source=/dev/null
  source "$LOCAL_ENV_DIR/$part.sh"
done
unset part

usage() {
  cat <<EOF
usage: scripts/local-env.sh <command> [suite]

Bring up, check and tear down the local services of prebake's \`local\` profile.

commands:
  up       start what is missing (idempotent; a no-op in well under 2 s when all is up):
             Docker engine   reused if one answers; else (root on Debian) installs docker.io, starts dockerd
             registry        $REGISTRY_ADDR (docker-registry)
             moto            $MOTO_URL (moto_server, the AWS API emulator)
             base image      $BASE_IMAGE (debootstrap once, then cached)
             ECR stand-in    $ECR_ADDR (docker-registry demanding user $ECR_USER + the emulator's ECR token)
             cfn-lint        the pinned version (CFN_LINT_PIN in packages/stack/src/cfn-lint-version.ts), with pip
  base <suite>  build (once, then cached) or import the base image prebake/debian:<suite> only;
           suites: $KNOWN_SUITES (trixie: Python 3.13, for the python-layer 3.13 line)
  status   print each service: up/down, address, whether prebake started it (exit 0 all up, 5 otherwise)
  down     stop only what \`up\` started (pid files); a pre-existing engine/service is left alone
  env      print shell export lines:  eval "\$(scripts/local-env.sh env)"
  cfn-lint install the pinned cfn-lint with pip when it is missing or another version (idempotent;
           part of up): CFN_LINT_PIN in packages/stack/src/cfn-lint-version.ts
  chromium install Debian's chromium if missing (idempotent): the headless browser the report's
           browser test opens the page in; not part of up (the pipeline does not need it)
  --help   this text

state:  ${STATE_DIR#"$REPO_ROOT"/}/  (*.pid, *.log, registry.yml, registry-data/, ecr-registry.yml,
        ecr-htpasswd, ecr-registry-data/, cache/)
exit:   0 ok, 2 usage error, 5 a service cannot be provided (the message says which and what to do)
EOF
}

main() {
  if [[ $# -eq 0 ]]; then
    warn "a command is needed: up, status, down, env, base, cfn-lint, chromium (see scripts/local-env.sh --help)"
    exit $EXIT_USAGE
  fi
  local cmd=$1
  shift
  case $cmd in
    -h | --help | help)
      usage
      exit 0
      ;;
    up | status | down | env | chromium) ;;
    cfn-lint)
      [[ $# -eq 0 ]] || { warn "cfn-lint takes no arguments (see scripts/local-env.sh --help)"; exit $EXIT_USAGE; }
      mkdir -p "$STATE_DIR"
      ensure_cfn_lint
      return
      ;;
    base)
      if [[ $# -ne 1 || $1 == -* ]]; then
        [[ ${1:-} == -h || ${1:-} == --help ]] && { usage; exit 0; }
        warn "base takes one suite (known: $KNOWN_SUITES; e.g. scripts/local-env.sh base trixie)"
        exit $EXIT_USAGE
      fi
      cmd_base "$1"
      return
      ;;
    *)
      warn "unknown command: $cmd (commands: up, status, down, env, base, cfn-lint, chromium; see scripts/local-env.sh --help)"
      exit $EXIT_USAGE
      ;;
  esac
  if [[ $# -gt 0 ]]; then
    if [[ $1 == -h || $1 == --help ]]; then
      usage
      exit 0
    fi
    warn "$cmd takes no arguments (got: $*; see scripts/local-env.sh --help)"
    exit $EXIT_USAGE
  fi
  "cmd_$cmd"
}

main "$@"
