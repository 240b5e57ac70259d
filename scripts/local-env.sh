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
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo_root=$(cd "$script_dir/.." && pwd -P)
readonly REPO_ROOT=$repo_root
readonly STATE_DIR="${PREBAKE_LOCAL_ENV_DIR:-$REPO_ROOT/.prebake/local-env}"
readonly CACHE_DIR="$STATE_DIR/cache"

readonly DEFAULT_SOCK=/var/run/docker.sock
readonly REGISTRY_HOST=127.0.0.1 REGISTRY_PORT=5050
readonly MOTO_HOST=127.0.0.1 MOTO_PORT=5060
readonly REGISTRY_ADDR="$REGISTRY_HOST:$REGISTRY_PORT"
readonly MOTO_URL="http://$MOTO_HOST:$MOTO_PORT"
readonly ECR_HOST=127.0.0.1 ECR_PORT=5052
readonly ECR_ADDR="$ECR_HOST:$ECR_PORT"
readonly ECR_USER=AWS ECR_REALM=prebake-ecr-standin
readonly DEBIAN_MIRROR="${PREBAKE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Local base images, one per Debian suite: prebake/debian:<suite>. `up` provides bookworm, the base
# every image uses; trixie (Python 3.13: the python-layer 3.13 line, the local stand-in for Lambda's
# Amazon Linux 2023 runtimes) only when asked with `base trixie`, so a fresh `up` stays quick.
readonly DEFAULT_SUITE=bookworm
readonly KNOWN_SUITES="bookworm trixie"
BASE_SUITE="" BASE_IMAGE="" BASE_TARBALL=""
use_suite() {
  BASE_SUITE=$1
  BASE_IMAGE="prebake/debian:$1"
  BASE_TARBALL="$CACHE_DIR/debian-$1-minbase.tar.gz"
}
use_suite "$DEFAULT_SUITE"
# The command that provides the current suite's base, for messages.
base_command() { if [[ $BASE_SUITE == "$DEFAULT_SUITE" ]]; then printf 'up'; else printf 'base %s' "$BASE_SUITE"; fi; }

# Seconds to wait for a started service to answer.
readonly ENGINE_TIMEOUT=${PREBAKE_ENGINE_TIMEOUT:-60}
readonly REGISTRY_TIMEOUT=20
readonly ECR_TIMEOUT=20
readonly MOTO_TIMEOUT=60

readonly EXIT_USAGE=2 EXIT_UNAVAILABLE=5

# ---------------------------------------------------------------------------------------------
# output

if [[ -t 1 && -z ${NO_COLOR:-} && ${TERM:-dumb} != dumb ]]; then
  c_green=$'\e[32m' c_red=$'\e[31m' c_dim=$'\e[2m' c_off=$'\e[0m'
else
  c_green="" c_red="" c_dim="" c_off=""
fi

say() { printf 'local-env: %s\n' "$*"; }
warn() { printf 'local-env: %s\n' "$*" >&2; }
# die <exit code> <message...>: one clear line (plus optional extra lines) on stderr, then exit.
die() {
  local code=$1
  shift
  local line
  for line in "$@"; do printf 'local-env: %s\n' "$line" >&2; done
  exit "$code"
}
# The last lines of a log, indented, for failure messages.
log_tail() {
  [[ -s $1 ]] || return 0
  tail -n "${2:-5}" "$1" | sed 's/^/local-env:   | /' >&2
}

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

# ---------------------------------------------------------------------------------------------
# helpers

have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [[ $EUID -eq 0 ]]; }
is_debian() { [[ -f /etc/debian_version ]] && have apt-get; }
now_ms() { date +%s%3N; }
rel() { printf '%s' "${1#"$REPO_ROOT"/}"; }

http_ok() { curl --noproxy '*' -fsS --max-time "${2:-3}" -o /dev/null "$1" 2>/dev/null; }
registry_healthy() { http_ok "http://$REGISTRY_ADDR/v2/"; }
moto_healthy() { http_ok "$MOTO_URL/moto-api/"; }

# Is anything listening on 127.0.0.1:<port>?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Who listens on a port, for messages ("" when unknown).
port_owner() {
  have ss || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*))' | head -n 1 || true
}

# Alive and not a zombie.
is_alive() {
  local pid=$1 stat
  kill -0 "$pid" 2>/dev/null || [[ -d /proc/$pid ]] || return 1
  if [[ -r /proc/$pid/stat ]]; then
    stat=$(<"/proc/$pid/stat") || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]] || return 1
  fi
  return 0
}

# The pid recorded in <name>.pid if that process is alive and still is <pattern> (an ERE on its
# command line); a stale pid file (process gone, or pid reused by something else) is removed.
pid_of() {
  local name=$1 pattern=$2 file="$STATE_DIR/$1.pid" pid cmd
  [[ -f $file ]] || return 1
  pid=$(<"$file") || pid=""
  pid=${pid//[!0-9]/}
  if [[ -n $pid ]] && is_alive "$pid"; then
    local -a argv=()
    # mapfile, not tr: no process per check (up checks every service's owner).
    [[ -r /proc/$pid/cmdline ]] && { mapfile -d '' -t argv <"/proc/$pid/cmdline" 2>/dev/null || true; }
    cmd="${argv[*]}"
    if [[ -z $cmd || $cmd =~ $pattern ]]; then
      printf '%s\n' "$pid"
      return 0
    fi
  fi
  rm -f "$file"
  return 1
}

readonly DOCKERD_PATTERN='(^|/)dockerd( |$)'
readonly REGISTRY_PATTERN='docker-registry'
readonly ECR_PATTERN='docker-registry.*ecr-registry[.]yml'
readonly MOTO_PATTERN='moto[._]server'

# Keep one previous log.
rotate_log() { if [[ -f $1 ]]; then mv -f "$1" "$1.1"; fi; }

# spawn <name> <command...>: start in its own session, immune to the caller's shell and hangups,
# with <name>.log and <name>.pid in the state dir. Sets SPAWNED_PID.
SPAWNED_PID=""
spawn() {
  local name=$1 log="$STATE_DIR/$1.log"
  shift
  rotate_log "$log"
  printf '=== %s local-env.sh: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >"$log"
  # setsid: own session, so the daemon outlives the calling shell/CI step's process group.
  # The lock fd (9) is closed so the daemon never holds the state-dir lock.
  # The working directory is the repository root, whatever the caller's.
  if have setsid; then
    (cd "$REPO_ROOT" && exec setsid nohup "$@" >>"$log" 2>&1 </dev/null 9>&-) &
  else
    (cd "$REPO_ROOT" && exec nohup "$@" >>"$log" 2>&1 </dev/null 9>&-) &
  fi
  SPAWNED_PID=$!
  printf '%s\n' "$SPAWNED_PID" >"$STATE_DIR/$name.pid"
}

# wait_healthy <pid> <timeout s> <check command...>: 0 healthy, 1 timeout, 2 process exited.
wait_healthy() {
  local pid=$1 timeout=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    "$@" && return 0
    is_alive "$pid" || { "$@" && return 0; return 2; }
    sleep 0.2
  done
  "$@"
}

apt_log() { printf '%s' "$STATE_DIR/apt.log"; }
# apt_install <package...>: as root on Debian. `apt-get update` only when the lists are empty or
# the install fails.
apt_install() {
  local log
  log=$(apt_log)
  export DEBIAN_FRONTEND=noninteractive
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    say "apt package lists are empty: running apt-get update..."
    apt-get update >>"$log" 2>&1 || true
  fi
  say "installing $* with apt-get (log: $(rel "$log"))..."
  if ! apt-get install -y "$@" >>"$log" 2>&1; then
    say "apt-get install failed; running apt-get update and retrying..."
    if ! { apt-get update >>"$log" 2>&1 && apt-get install -y "$@" >>"$log" 2>&1; }; then
      log_tail "$log"
      return 1
    fi
  fi
  hash -r
}

# ---------------------------------------------------------------------------------------------
# Docker engine

ENGINE_ADDR=""    # where the engine answers (display), e.g. unix:///var/run/docker.sock
ENGINE_EXPORT=""  # DOCKER_HOST to export, empty when the default socket
ENGINE_CONTEXT="" # non-empty when found through the docker CLI's current context

engine_ping() {
  case $1 in
    unix://*)
      local sock=${1#unix://}
      [[ -S $sock ]] &&
        curl --noproxy '*' -fsS --max-time 3 --unix-socket "$sock" -o /dev/null http://localhost/_ping 2>/dev/null
      ;;
    *) have docker && DOCKER_HOST=$1 timeout 10 docker info >/dev/null 2>&1 ;;
  esac
}

# Find an engine that answers: DOCKER_HOST if set, else the default socket, else (non-root) the
# rootless socket, else the docker CLI's current context. Returns 1 when none answers, with
# ENGINE_ADDR set to where one was expected.
detect_engine() {
  ENGINE_ADDR="" ENGINE_EXPORT="" ENGINE_CONTEXT=""
  if [[ -n ${DOCKER_HOST:-} && $DOCKER_HOST != "unix://$DEFAULT_SOCK" ]]; then
    ENGINE_ADDR=$DOCKER_HOST ENGINE_EXPORT=$DOCKER_HOST
    engine_ping "$DOCKER_HOST"
    return
  fi
  ENGINE_ADDR="unix://$DEFAULT_SOCK"
  engine_ping "$ENGINE_ADDR" && return 0
  if ! is_root; then
    local rootless="${XDG_RUNTIME_DIR:-/run/user/$EUID}/docker.sock"
    if engine_ping "unix://$rootless"; then
      ENGINE_ADDR="unix://$rootless" ENGINE_EXPORT="unix://$rootless"
      return 0
    fi
  fi
  if have docker; then
    local host
    host=$(docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null) || host=""
    if [[ -n $host && $host != "unix://$DEFAULT_SOCK" ]] && timeout 10 docker info >/dev/null 2>&1; then
      ENGINE_ADDR=$host ENGINE_EXPORT=$host ENGINE_CONTEXT=1
      return 0
    fi
  fi
  ENGINE_ADDR="unix://$DEFAULT_SOCK"
  return 1
}

# The docker CLI, always talking to the engine detect_engine found.
dk() {
  if [[ -n $ENGINE_CONTEXT ]]; then
    docker "$@"
  else
    DOCKER_HOST=$ENGINE_ADDR docker "$@"
  fi
}

engine_owner() {
  local pid
  if pid=$(pid_of dockerd "$DOCKERD_PATTERN"); then
    printf 'started by prebake (pid %s)' "$pid"
  else
    printf 'not started by prebake (pre-existing; down leaves it running)'
  fi
}

ensure_engine() {
  if detect_engine; then
    say "docker engine: up at $ENGINE_ADDR, $(engine_owner)"
    return 0
  fi
  if [[ -n $ENGINE_EXPORT ]]; then
    die $EXIT_UNAVAILABLE "docker engine: DOCKER_HOST=$DOCKER_HOST does not answer: start that engine, or unset DOCKER_HOST to use (or start) the local one at unix://$DEFAULT_SOCK"
  fi
  if ! is_root; then
    if [[ -S $DEFAULT_SOCK && ! -w $DEFAULT_SOCK ]]; then
      die $EXIT_UNAVAILABLE "docker engine: permission denied on $DEFAULT_SOCK: add yourself to the docker group (sudo usermod -aG docker \"\$USER\", then log in again) or run as root"
    fi
    die $EXIT_UNAVAILABLE "docker engine: none answers at unix://$DEFAULT_SOCK and starting one needs root: run \`sudo scripts/local-env.sh up\` once, start Docker yourself (e.g. \`sudo systemctl start docker\`), or set DOCKER_HOST to a running engine"
  fi
  if ! is_debian; then
    die $EXIT_UNAVAILABLE "docker engine: none answers at unix://$DEFAULT_SOCK and this script installs and starts one only on Debian: install and start Docker, or set DOCKER_HOST to a running engine"
  fi

  local log="$STATE_DIR/dockerd.log" pid rc=0
  if pid=$(pid_of dockerd "$DOCKERD_PATTERN"); then
    # Ours, alive, not answering yet (still starting, or hung).
    say "docker engine: dockerd (pid $pid, started by prebake) does not answer yet; waiting up to ${ENGINE_TIMEOUT}s..."
  else
    local other
    other=$(pidof dockerd 2>/dev/null || true)
    if [[ -n $other ]]; then
      die $EXIT_UNAVAILABLE "docker engine: a dockerd not started by prebake (pid $other) runs but does not answer at unix://$DEFAULT_SOCK: check or stop it (kill $other), then rerun up"
    fi
    if ! have dockerd; then
      apt_install docker.io ||
        die $EXIT_UNAVAILABLE "docker engine: installing docker.io failed (log: $(rel "$(apt_log)")): fix apt, or install and start Docker yourself"
    fi
    say "docker engine: starting dockerd (log: $(rel "$log"))..."
    spawn dockerd dockerd
    pid=$SPAWNED_PID
  fi
  wait_healthy "$pid" "$ENGINE_TIMEOUT" engine_ping "unix://$DEFAULT_SOCK" || rc=$?
  case $rc in
    0) say "docker engine: up at unix://$DEFAULT_SOCK, started by prebake (pid $pid)" ;;
    2)
      rm -f "$STATE_DIR/dockerd.pid"
      log_tail "$log"
      die $EXIT_UNAVAILABLE "docker engine: dockerd exited during startup: see $log"
      ;;
    *)
      log_tail "$log"
      die $EXIT_UNAVAILABLE "docker engine: dockerd (pid $pid) did not answer at unix://$DEFAULT_SOCK within ${ENGINE_TIMEOUT}s: see $log (it keeps running; rerun up to wait again, or down to stop it)"
      ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# registry (docker-registry) and moto_server: same life cycle

write_registry_config() {
  mkdir -p "$STATE_DIR/registry-data"
  local tmp="$STATE_DIR/registry.yml.tmp"
  cat >"$tmp" <<EOF
# Written by scripts/local-env.sh; rewritten at each start of the registry.
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: "$STATE_DIR/registry-data"
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY_ADDR
EOF
  mv -f "$tmp" "$STATE_DIR/registry.yml"
}

registry_bin() {
  if have docker-registry; then
    command -v docker-registry
  elif [[ -x /usr/bin/docker-registry ]]; then
    printf '/usr/bin/docker-registry\n'
  else
    return 1
  fi
}

# The command that runs moto_server (installs moto[server] with pip when missing).
MOTO_CMD=()
resolve_moto() {
  if have moto_server; then
    MOTO_CMD=("$(command -v moto_server)")
    return 0
  fi
  local py
  for py in python3 python; do
    if have "$py" && "$py" -c 'import moto.server, flask' >/dev/null 2>&1; then
      MOTO_CMD=("$(command -v "$py")" -m moto.server)
      return 0
    fi
  done
  local pip=()
  if have pip; then pip=(pip); elif have pip3; then pip=(pip3); elif have python3; then pip=(python3 -m pip); fi
  [[ ${#pip[@]} -gt 0 ]] || return 1
  say "moto: moto_server is missing; installing with ${pip[*]} install 'moto[server]' (log: $(rel "$STATE_DIR/pip.log"))..."
  "${pip[@]}" install 'moto[server]' >>"$STATE_DIR/pip.log" 2>&1 || { log_tail "$STATE_DIR/pip.log"; return 1; }
  hash -r
  if have moto_server; then
    MOTO_CMD=("$(command -v moto_server)")
    return 0
  fi
  for py in python3 python; do
    if have "$py" && "$py" -c 'import moto.server' >/dev/null 2>&1; then
      MOTO_CMD=("$(command -v "$py")" -m moto.server)
      return 0
    fi
  done
  return 1
}

# cfn-lint: the one version prebake runs (CFN_LINT_PIN in packages/stack/src/cfn-lint-version.ts,
# the only place it is written; PREBAKE_CFN_LINT_VERSION runs another on purpose). prebake itself
# never installs it: a missing or different one is an error at lint and deploy time. `up` installs it.
readonly CFN_LINT_PIN_SOURCE="$REPO_ROOT/packages/stack/src/cfn-lint-version.ts"
cfn_lint_pin() {
  [[ -n ${PREBAKE_CFN_LINT_VERSION:-} ]] && { printf '%s' "$PREBAKE_CFN_LINT_VERSION"; return; }
  sed -n 's/^export const CFN_LINT_PIN = "\([^"]*\)";$/\1/p' "$CFN_LINT_PIN_SOURCE"
}
# The installed version as prebake sees it: its remembered answer (~0.1 s; cfn-lint's own
# --version costs 2 s of Python start-up, on every npm start), or cfn-lint's before npm install.
installed_cfn_lint() {
  local node="$REPO_ROOT/node_modules/.bin/node"
  if [[ -x $node ]]; then
    (cd "$REPO_ROOT" && "$node" packages/stack/bin/cfn-lint-version.mjs) | sed 's/^cfn-lint //'
  elif have cfn-lint; then
    cfn-lint --version 2>/dev/null | sed -n 's/^cfn-lint \([0-9][^ ]*\).*/\1/p'
  else
    printf 'none'
  fi
}
ensure_cfn_lint() {
  local pin version pip=()
  pin=$(cfn_lint_pin)
  [[ -n $pin ]] || die $EXIT_UNAVAILABLE "cfn-lint: no CFN_LINT_PIN line in $(rel "$CFN_LINT_PIN_SOURCE")"
  version=$(installed_cfn_lint)
  if [[ $version == "$pin" ]]; then
    say "cfn-lint: $pin (the pinned version) on PATH"
    return 0
  fi
  if have pip; then pip=(pip); elif have pip3; then pip=(pip3); elif have python3; then pip=(python3 -m pip); fi
  [[ ${#pip[@]} -gt 0 ]] ||
    die $EXIT_UNAVAILABLE "cfn-lint: ${version/#none/not installed}, and no pip to install cfn-lint==$pin: install Python 3 and pip, then rerun up"
  local found="not installed"
  [[ $version == none ]] || found="$version on PATH, not the pinned $pin"
  say "cfn-lint: $found; installing cfn-lint==$pin with ${pip[*]} (log: $(rel "$STATE_DIR/pip.log"))..."
  "${pip[@]}" install "cfn-lint==$pin" >>"$STATE_DIR/pip.log" 2>&1 || {
    log_tail "$STATE_DIR/pip.log"
    die $EXIT_UNAVAILABLE "cfn-lint: pip install cfn-lint==$pin failed: install it by hand (pip install --user cfn-lint==$pin, or pipx install cfn-lint==$pin), put it on PATH, then rerun up"
  }
  hash -r
  version=$(installed_cfn_lint)
  [[ $version == "$pin" ]] ||
    die $EXIT_UNAVAILABLE "cfn-lint: pip installed cfn-lint==$pin, but the cfn-lint on PATH is ${version/#none/missing}: put pip's scripts folder first on PATH, then rerun up"
  say "cfn-lint: installed $pin"
}

# owner <name> <pattern>: "started by prebake (pid N)" or the pre-existing text.
owner() {
  local pid
  if pid=$(pid_of "$1" "$2"); then
    printf 'started by prebake (pid %s)' "$pid"
  else
    printf 'not started by prebake (pre-existing; down leaves it running)'
  fi
}

# ensure_service <name> <label> <address> <port> <pattern> <timeout> <health fn> <start fn>
ensure_service() {
  local name=$1 label=$2 addr=$3 port=$4 pattern=$5 timeout=$6 healthy=$7 start=$8
  local log="$STATE_DIR/$name.log" pid rc=0
  if "$healthy"; then
    say "$label: up at $addr, $(owner "$name" "$pattern")"
    return 0
  fi
  if pid=$(pid_of "$name" "$pattern"); then
    say "$label: $name (pid $pid, started by prebake) does not answer yet; waiting up to ${timeout}s..."
  else
    if port_open "$port"; then
      local who
      who=$(port_owner "$port")
      die $EXIT_UNAVAILABLE "$label: 127.0.0.1:$port is taken by another program${who:+ ($who)} that does not answer as the $label: stop it, then rerun up"
    fi
    "$start"
    pid=$SPAWNED_PID
  fi
  wait_healthy "$pid" "$timeout" "$healthy" || rc=$?
  case $rc in
    0) say "$label: up at $addr, started by prebake (pid $pid)" ;;
    2)
      rm -f "$STATE_DIR/$name.pid"
      log_tail "$log"
      die $EXIT_UNAVAILABLE "$label: $name exited during startup: see $log"
      ;;
    *)
      log_tail "$log"
      die $EXIT_UNAVAILABLE "$label: $name (pid $pid) did not answer at $addr within ${timeout}s: see $log (rerun up to wait again, or down to stop it)"
      ;;
  esac
}

start_registry() {
  local bin
  if ! bin=$(registry_bin); then
    if is_root && is_debian; then
      apt_install docker-registry ||
        die $EXIT_UNAVAILABLE "registry: installing docker-registry failed (log: $(rel "$(apt_log)")): fix apt, then rerun up"
      bin=$(registry_bin) || die $EXIT_UNAVAILABLE "registry: docker-registry is still missing after apt-get install docker-registry"
    else
      die $EXIT_UNAVAILABLE "registry: docker-registry is not installed: run \`sudo apt-get install -y docker-registry\` (or \`sudo scripts/local-env.sh up\`), then rerun up"
    fi
  fi
  write_registry_config
  say "registry: starting docker-registry on $REGISTRY_ADDR (log: $(rel "$STATE_DIR/registry.log"))..."
  spawn registry "$bin" serve "$STATE_DIR/registry.yml"
}

start_moto() {
  resolve_moto ||
    die $EXIT_UNAVAILABLE "moto: moto_server is missing and \`pip install 'moto[server]'\` did not provide it: install it (pip install 'moto[server]'), make sure moto_server is on PATH, then rerun up"
  say "moto: starting moto_server on $MOTO_URL (log: $(rel "$STATE_DIR/moto.log"))..."
  spawn moto "${MOTO_CMD[@]}" -H "$MOTO_HOST" -p "$MOTO_PORT"
}

# ---------------------------------------------------------------------------------------------
# ECR stand-in: a docker-registry that demands what ECR demands (basic auth, user AWS, the token's
# password), so the aws profile's login, push and pull run against it unchanged.

# The password the emulator's GetAuthorizationToken hands out (moto: base64("AWS:<account>-auth-token")),
# asked from moto itself rather than assumed; moto checks no signature. Sets ECR_PASSWORD (never printed).
ECR_PASSWORD=""
ecr_token_password() {
  local body token decoded
  body=$(curl --noproxy '*' -fsS --max-time 5 -X POST "$MOTO_URL/" \
    -H 'Content-Type: application/x-amz-json-1.1' \
    -H 'X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{}' 2>/dev/null) || return 1
  token=$(printf '%s' "$body" | grep -o '"authorizationToken": *"[^"]*"' | head -n 1 | sed 's/.*"\([^"]*\)"$/\1/')
  [[ -n $token ]] || return 1
  decoded=$(printf '%s' "$token" | base64 -d 2>/dev/null) || return 1
  [[ ${decoded%%:*} == "$ECR_USER" && -n ${decoded#*:} ]] || return 1
  ECR_PASSWORD=${decoded#*:}
}

# Healthy: /v2/ answers 200 to the emulator's current token (a stand-in holding an old password is
# not). Without the emulator, only "demands this realm's basic auth" can be checked.
ecr_registry_healthy() {
  if [[ -n $ECR_PASSWORD ]] || ecr_token_password; then
    printf 'user = "%s:%s"\n' "$ECR_USER" "$ECR_PASSWORD" |
      curl --noproxy '*' -fsS --max-time 3 -o /dev/null -K - "http://$ECR_ADDR/v2/" 2>/dev/null
  else
    ecr_registry_demands_auth
  fi
}
ecr_registry_demands_auth() {
  curl --noproxy '*' -sS --max-time 3 -o /dev/null -D - "http://$ECR_ADDR/v2/" 2>/dev/null |
    grep -qi "^www-authenticate: *basic realm=\"$ECR_REALM\""
}

# The htpasswd line for user AWS: bcrypt through libcrypt (perl's crypt; perl-base is essential on
# Debian), else apache2-utils' htpasswd. The password goes through the environment or stdin, never
# a command line.
write_ecr_htpasswd() {
  local file="$STATE_DIR/ecr-htpasswd" salt hash=""
  salt=$(head -c 64 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9./' | head -c 22)
  if have perl; then
    hash=$(ECR_PW=$ECR_PASSWORD perl -e 'print crypt($ENV{ECR_PW}, $ARGV[0])' "\$2y\$05\$$salt" 2>/dev/null) || hash=""
  fi
  if [[ ! $hash =~ ^\$2[aby]\$ ]] && have htpasswd; then
    hash=$(printf '%s\n' "$ECR_PASSWORD" | htpasswd -niB "$ECR_USER" 2>/dev/null | cut -d: -f2-) || hash=""
  fi
  [[ $hash =~ ^\$2[aby]\$ ]] ||
    die $EXIT_UNAVAILABLE "ECR stand-in: cannot write a bcrypt htpasswd line (perl's crypt has no bcrypt here): install apache2-utils (htpasswd), then rerun up"
  (umask 077 && printf '%s:%s\n' "$ECR_USER" "$hash" >"$file.tmp")
  mv -f "$file.tmp" "$file"
}

write_ecr_registry_config() {
  mkdir -p "$STATE_DIR/ecr-registry-data"
  local tmp="$STATE_DIR/ecr-registry.yml.tmp"
  cat >"$tmp" <<EOF
# Written by scripts/local-env.sh; rewritten at each start of the ECR stand-in.
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: "$STATE_DIR/ecr-registry-data"
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $ECR_ADDR
auth:
  htpasswd:
    realm: $ECR_REALM
    path: "$STATE_DIR/ecr-htpasswd"
EOF
  mv -f "$tmp" "$STATE_DIR/ecr-registry.yml"
}

start_ecr_registry() {
  local bin
  bin=$(registry_bin) ||
    die $EXIT_UNAVAILABLE "ECR stand-in: docker-registry is not installed: rerun up as root (it installs it), or apt-get install -y docker-registry"
  ecr_token_password ||
    die $EXIT_UNAVAILABLE "ECR stand-in: the emulator at $MOTO_URL handed out no ECR token (GetAuthorizationToken): check $(rel "$STATE_DIR/moto.log"), then rerun up"
  write_ecr_htpasswd
  write_ecr_registry_config
  say "ECR stand-in: starting docker-registry with basic auth on $ECR_ADDR (log: $(rel "$STATE_DIR/ecr-registry.log"))..."
  spawn ecr-registry "$bin" serve "$STATE_DIR/ecr-registry.yml"
}

# Our stand-in, up but holding a password the emulator no longer hands out (moto restarted with
# another account): restart it, so that up converges instead of waiting for it to answer.
ensure_ecr_registry() {
  if pid_of ecr-registry "$ECR_PATTERN" >/dev/null && ! ecr_registry_healthy && ecr_registry_demands_auth; then
    say "ECR stand-in: refuses the emulator's current token; restarting it"
    stop_service ecr-registry "ECR stand-in" "$ECR_PATTERN" 15 false
  fi
  ensure_service ecr-registry "ECR stand-in" "$ECR_ADDR" "$ECR_PORT" "$ECR_PATTERN" "$ECR_TIMEOUT" ecr_registry_healthy start_ecr_registry
}

# ---------------------------------------------------------------------------------------------
# base image

ROOTFS=""
cleanup_rootfs() {
  [[ -n $ROOTFS && -d $ROOTFS ]] || return 0
  # debootstrap mounts proc/sys inside the target; never rm -rf through a mount.
  local mnt
  while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done < <(awk -v root="$ROOTFS/" 'index($2, root) == 1 { print $2 }' /proc/mounts 2>/dev/null | sort -r)
  rm -rf --one-file-system "$ROOTFS"
  ROOTFS=""
}

build_base_tarball() {
  if ! is_root; then
    die $EXIT_UNAVAILABLE "base image: $BASE_IMAGE is missing and building it (debootstrap) needs root: run \`sudo scripts/local-env.sh $(base_command)\` once"
  fi
  if ! have debootstrap; then
    is_debian || die $EXIT_UNAVAILABLE "base image: debootstrap is missing: install it, then rerun up"
    apt_install debootstrap ||
      die $EXIT_UNAVAILABLE "base image: installing debootstrap failed (log: $(rel "$(apt_log)")): fix apt, then rerun $(base_command)"
  fi
  mkdir -p "$CACHE_DIR"
  local log="$STATE_DIR/debootstrap.log" started
  [[ $BASE_SUITE == "$DEFAULT_SUITE" ]] || log="$STATE_DIR/debootstrap-$BASE_SUITE.log"
  started=$(now_ms)
  say "building base image $BASE_IMAGE with debootstrap (one-time, ~2-4 min; log: $(rel "$log"))..."
  rotate_log "$log"
  local stale
  for stale in "$CACHE_DIR"/rootfs.*; do # left by an interrupted build
    [[ -d $stale ]] || continue
    ROOTFS=$stale
    cleanup_rootfs
  done
  ROOTFS="$CACHE_DIR/rootfs.$$"
  trap cleanup_rootfs EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # Progress: one line per debootstrap stage (the per-package lines go to the log only).
  if ! debootstrap --variant=minbase --include=ca-certificates "$BASE_SUITE" "$ROOTFS" "$DEBIAN_MIRROR" 2>&1 |
    awk -v logfile="$log" '
      { print >> logfile; fflush(logfile) }
      /^[WE]: / { print "local-env:   debootstrap: " $0; fflush(); next }
      !/^I: / { next }
      {
        msg = substr($0, 4); sub(/ +$/, "", msg); verb = $2
        if (msg ~ /^(Target architecture|Checking Release|Valid Release|Chosen extractor|Checking component)/) next
        if (msg ~ /^(Retrieving|Validating) (InRelease|Release|Packages)/) next
        if (verb == "Validating") verb = "Retrieving"
        if (verb ~ /^(Retrieving|Extracting|Unpacking|Configuring)$/) {
          if (verb == stage) next
          stage = verb
          if (msg !~ /(required packages|base system)\.\.\.$/) msg = verb " packages..."
        } else stage = ""
        print "local-env:   debootstrap: " msg; fflush()
      }'; then
    log_tail "$log" 8
    die $EXIT_UNAVAILABLE "base image: debootstrap of $BASE_SUITE from $DEBIAN_MIRROR failed: see $log (network or mirror? set PREBAKE_DEBIAN_MIRROR to another mirror)"
  fi
  # What every Dockerfile redoes anyway (apt-get update): no downloaded .debs, no package lists.
  rm -f "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/*.bin
  find "$ROOTFS/var/lib/apt/lists" -mindepth 1 -maxdepth 1 -type f -delete 2>/dev/null || true
  say "  packing the root filesystem into $(rel "$BASE_TARBALL")..."
  tar --numeric-owner -C "$ROOTFS" -c . | gzip -1 >"$BASE_TARBALL.tmp"
  mv -f "$BASE_TARBALL.tmp" "$BASE_TARBALL"
  cleanup_rootfs
  trap - EXIT INT TERM
  say "  root filesystem built in $(((($(now_ms) - started) + 500) / 1000))s"
}

import_base() {
  local id
  say "base image: importing $BASE_IMAGE from $(rel "$BASE_TARBALL")..."
  id=$(dk import --message "prebake local base: debootstrap --variant=minbase $BASE_SUITE" "$BASE_TARBALL" "$BASE_IMAGE" 2>&1) || {
    printf '%s\n' "$id" | sed 's/^/local-env:   | /' >&2
    return 1
  }
  id=${id#sha256:}
  say "base image: $BASE_IMAGE imported (${id:0:12})"
}

base_image_id() { dk image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null; }

ensure_base_image() {
  local id
  if id=$(base_image_id); then
    id=${id#sha256:}
    say "base image: $BASE_IMAGE present (${id:0:12})"
    return 0
  fi
  have docker || die $EXIT_UNAVAILABLE "base image: the docker CLI is missing: install it (apt-get install docker.io, or docker-ce-cli), then rerun up"
  if [[ -s $BASE_TARBALL ]]; then
    import_base && return 0
    warn "base image: the cached root filesystem did not import; rebuilding it"
    rm -f "$BASE_TARBALL"
  fi
  build_base_tarball
  import_base || die $EXIT_UNAVAILABLE "base image: docker import of $BASE_TARBALL failed (see above): check the engine, then rerun $(base_command)"
}

# ---------------------------------------------------------------------------------------------
# headless browser (the report's browser test)

readonly CHROMIUM=/usr/bin/chromium

cmd_chromium() {
  if [[ -x $CHROMIUM ]]; then
    say "chromium: $("$CHROMIUM" --version 2>/dev/null || echo present) at $CHROMIUM"
    return 0
  fi
  if is_root && is_debian; then
    lock_state
    apt_install --no-install-recommends chromium ||
      die $EXIT_UNAVAILABLE "chromium: apt-get install chromium failed (log: $(rel "$(apt_log)"))"
    [[ -x $CHROMIUM ]] || die $EXIT_UNAVAILABLE "chromium: $CHROMIUM is still missing after apt-get install chromium"
    say "chromium: installed $("$CHROMIUM" --version 2>/dev/null)"
    return 0
  fi
  die $EXIT_UNAVAILABLE "chromium: $CHROMIUM is missing: run \`sudo apt-get install -y chromium\` (or this script as root on Debian)"
}

# ---------------------------------------------------------------------------------------------
# commands

lock_state() {
  mkdir -p "$STATE_DIR" "$CACHE_DIR"
  have flock || return 0
  exec 9<"$STATE_DIR"
  if ! flock -n 9; then
    say "waiting for another local-env.sh up/down to finish..."
    flock -w 900 9 || die $EXIT_UNAVAILABLE "another local-env.sh up/down still holds the lock on $(rel "$STATE_DIR") after 15 min"
  fi
}

# The common case of `up`, part of every `npm start`: everything already answers. The checks run
# at once (the slowest one's time instead of their sum) and, when every one passes, `up`
# reports as the checks below would and is done. Any failure falls through to the checks one by
# one, which start what is missing.
all_up_at_once() {
  detect_engine || return 1
  local dir id ok=0
  dir=$(mktemp -d)
  { registry_healthy && : >"$dir/registry"; } &
  { moto_healthy && : >"$dir/moto"; } &
  { ecr_registry_healthy && : >"$dir/ecr"; } &
  { base_image_id >"$dir/base" || true; } &
  wait
  [[ -e $dir/registry && -e $dir/moto && -e $dir/ecr && -s $dir/base ]] && ok=1
  id=$(<"$dir/base")
  rm -rf "$dir"
  ((ok)) || return 1
  say "docker engine: up at $ENGINE_ADDR, $(engine_owner)"
  say "registry: up at $REGISTRY_ADDR, $(owner registry "$REGISTRY_PATTERN")"
  say "moto: up at $MOTO_URL, $(owner moto "$MOTO_PATTERN")"
  say "ECR stand-in: up at $ECR_ADDR, $(owner ecr-registry "$ECR_PATTERN")"
  id=${id#sha256:}
  say "base image: $BASE_IMAGE present (${id:0:12})"
}

cmd_up() {
  local started
  started=$(now_ms)
  lock_state
  if all_up_at_once; then
    ensure_cfn_lint
    local ms=$(($(now_ms) - started))
    say "all up in $(printf '%d.%02d' $((ms / 1000)) $((ms % 1000 / 10)))s${ENGINE_EXPORT:+ (DOCKER_HOST=$ENGINE_EXPORT)}; for your shell: eval \"\$(scripts/local-env.sh env)\""
    return 0
  fi
  ensure_engine
  ensure_service registry registry "$REGISTRY_ADDR" "$REGISTRY_PORT" "$REGISTRY_PATTERN" "$REGISTRY_TIMEOUT" registry_healthy start_registry
  ensure_service moto moto "$MOTO_URL" "$MOTO_PORT" "$MOTO_PATTERN" "$MOTO_TIMEOUT" moto_healthy start_moto
  ensure_ecr_registry
  ensure_base_image
  ensure_cfn_lint
  local ms=$(($(now_ms) - started))
  say "all up in $(printf '%d.%02d' $((ms / 1000)) $((ms % 1000 / 10)))s${ENGINE_EXPORT:+ (DOCKER_HOST=$ENGINE_EXPORT)}; for your shell: eval \"\$(scripts/local-env.sh env)\""
}

# `base <suite>`: one base image, on an engine that already answers (up starts the engine).
cmd_base() {
  local suite=$1
  [[ " $KNOWN_SUITES " == *" $suite "* ]] ||
    die $EXIT_USAGE "base: unknown suite '$suite' (known: $KNOWN_SUITES)"
  lock_state
  detect_engine || die $EXIT_UNAVAILABLE "base image: no Docker engine answers at $ENGINE_ADDR: run scripts/local-env.sh up first"
  use_suite "$suite"
  ensure_base_image
}

status_line() { # <service> <up|down|...> <address> <detail>
  local color=$c_red
  [[ $2 == up || $2 == present ]] && color=$c_green
  printf 'local-env: %-14s %s%-8s%s %-30s %s%s%s\n' "$1" "$color" "$2" "$c_off" "$3" "$c_dim" "$4" "$c_off"
}

cmd_status() {
  mkdir -p "$STATE_DIR"
  local down=0 pid engine_up=0
  if detect_engine; then
    engine_up=1
    status_line "docker engine" up "$ENGINE_ADDR" "$(engine_owner)"
  else
    down=$((down + 1))
    if pid=$(pid_of dockerd "$DOCKERD_PATTERN"); then
      status_line "docker engine" down "$ENGINE_ADDR" "dockerd pid $pid (started by prebake) does not answer: see $(rel "$STATE_DIR/dockerd.log")"
    elif [[ $ENGINE_ADDR == "unix://$DEFAULT_SOCK" && -S $DEFAULT_SOCK && ! -w $DEFAULT_SOCK ]]; then
      status_line "docker engine" down "$ENGINE_ADDR" "permission denied on the socket (docker group?)"
    else
      status_line "docker engine" down "$ENGINE_ADDR" "-"
    fi
  fi

  local name label addr pattern healthy
  for name in registry moto ecr-registry; do
    case $name in
      registry) label=registry addr=$REGISTRY_ADDR pattern=$REGISTRY_PATTERN healthy=registry_healthy ;;
      moto) label=moto addr=$MOTO_URL pattern=$MOTO_PATTERN healthy=moto_healthy ;;
      *) label="ECR stand-in" addr=$ECR_ADDR pattern=$ECR_PATTERN healthy=ecr_registry_healthy ;;
    esac
    if "$healthy"; then
      status_line "$label" up "$addr" "$(owner "$name" "$pattern")"
    else
      down=$((down + 1))
      if pid=$(pid_of "$name" "$pattern"); then
        status_line "$label" down "$addr" "pid $pid (started by prebake) does not answer: see $(rel "$STATE_DIR/$name.log")"
      else
        status_line "$label" down "$addr" "-"
      fi
    fi
  done

  local cache="no cached rootfs" id
  [[ -s $BASE_TARBALL ]] && cache="cached rootfs $(du -h "$BASE_TARBALL" | cut -f1)"
  if ((engine_up)) && have docker && id=$(base_image_id); then
    id=${id#sha256:}
    status_line "base image" present "$BASE_IMAGE" "${id:0:12}, $cache"
  elif ((engine_up)); then
    down=$((down + 1))
    status_line "base image" missing "$BASE_IMAGE" "$cache"
  else
    down=$((down + 1))
    status_line "base image" unknown "$BASE_IMAGE" "no engine to ask; $cache"
  fi

  if ((down > 0)); then
    warn "$down of 5 not up: run scripts/local-env.sh up"
    return $EXIT_UNAVAILABLE
  fi
  return 0
}

# stop <name> <label> <pattern> <timeout s> <health fn>
stop_service() {
  local name=$1 label=$2 pattern=$3 timeout=$4 healthy=$5 pid deadline
  if ! pid=$(pid_of "$name" "$pattern"); then
    if "$healthy"; then
      say "$label: not started by prebake; left running"
    else
      say "$label: not running"
    fi
    return 0
  fi
  say "$label: stopping $name (pid $pid)..."
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while is_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if is_alive "$pid"; then
    warn "$label: $name (pid $pid) did not stop within ${timeout}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$STATE_DIR/$name.pid"
  say "$label: stopped"
}

cmd_down() {
  lock_state
  stop_service ecr-registry "ECR stand-in" "$ECR_PATTERN" 15 ecr_registry_demands_auth
  stop_service registry registry "$REGISTRY_PATTERN" 15 registry_healthy
  stop_service moto moto "$MOTO_PATTERN" 15 moto_healthy
  # dockerd stops its containers first (up to its shutdown timeout, 15 s by default).
  stop_service dockerd "docker engine" "$DOCKERD_PATTERN" 60 'engine_ping_default'
  say "down (base image, registry data and cache are kept)"
}
engine_ping_default() { detect_engine; }

cmd_env() {
  if ! detect_engine; then
    warn "no Docker engine answers at $ENGINE_ADDR yet: run scripts/local-env.sh up"
  fi
  if [[ -n $ENGINE_EXPORT ]]; then printf 'export DOCKER_HOST=%q\n' "$ENGINE_EXPORT"; fi
  printf 'export PREBAKE_REGISTRY=%s\n' "$REGISTRY_ADDR"
  printf 'export PREBAKE_AWS_ENDPOINT=%s\n' "$MOTO_URL"
  # Where the ECR stand-in listens. prebake itself never reads this (an aws profile names its
  # mirror in prebake.config.yaml, ecrRegistry); the aws-profile tests do.
  printf 'export PREBAKE_ECR_STANDIN=%s\n' "$ECR_ADDR"
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
