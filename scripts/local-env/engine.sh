# shellcheck shell=bash
# Sourced by scripts/local-env.sh: the Docker engine: found (DOCKER_HOST, the default or rootless socket, the CLI's
# context) or, as root on Debian, installed and started.

readonly DEFAULT_SOCK=/var/run/docker.sock
readonly DOCKERD_PATTERN='(^|/)dockerd( |$)'
# Seconds to wait for a started engine to answer.
readonly ENGINE_TIMEOUT=${PREBAKE_ENGINE_TIMEOUT:-60}

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

engine_ping_default() { detect_engine; }
