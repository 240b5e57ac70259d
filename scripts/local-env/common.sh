# shellcheck shell=bash
# Sourced by scripts/local-env.sh: paths, addresses, output, and the life cycle every service shares (pid files,
# spawning, health waits, start and stop), apt, the state lock.

readonly STATE_DIR="${PREBAKE_LOCAL_ENV_DIR:-$REPO_ROOT/.prebake/local-env}"
readonly CACHE_DIR="$STATE_DIR/cache"
readonly EXIT_USAGE=2 EXIT_UNAVAILABLE=5
# shellcheck source=addresses.sh
source "$LOCAL_ENV_DIR/addresses.sh"

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

have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [[ $EUID -eq 0 ]]; }
is_debian() { [[ -f /etc/debian_version ]] && have apt-get; }
now_ms() { date +%s%3N; }
rel() { printf '%s' "${1#"$REPO_ROOT"/}"; }

http_ok() { curl --noproxy '*' -fsS --max-time "${2:-3}" -o /dev/null "$1" 2>/dev/null; }

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

lock_state() {
  mkdir -p "$STATE_DIR" "$CACHE_DIR"
  have flock || return 0
  exec 9<"$STATE_DIR"
  if ! flock -n 9; then
    say "waiting for another local-env.sh up/down to finish..."
    flock -w 900 9 || die $EXIT_UNAVAILABLE "another local-env.sh up/down still holds the lock on $(rel "$STATE_DIR") after 15 min"
  fi
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
