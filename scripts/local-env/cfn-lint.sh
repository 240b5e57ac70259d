# shellcheck shell=bash
# Sourced by scripts/local-env.sh: cfn-lint, the pinned version.

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
