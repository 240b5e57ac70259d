# shellcheck shell=bash
# Sourced by scripts/local-env.sh: moto_server, the AWS API emulator.

readonly MOTO_PATTERN='moto[._]server'
readonly MOTO_TIMEOUT=60

moto_healthy() { http_ok "$MOTO_URL/moto-api/"; }

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

start_moto() {
  resolve_moto ||
    die $EXIT_UNAVAILABLE "moto: moto_server is missing and \`pip install 'moto[server]'\` did not provide it: install it (pip install 'moto[server]'), make sure moto_server is on PATH, then rerun up"
  say "moto: starting moto_server on $MOTO_URL (log: $(rel "$STATE_DIR/moto.log"))..."
  spawn moto "${MOTO_CMD[@]}" -H "$MOTO_HOST" -p "$MOTO_PORT"
}
