# shellcheck shell=bash
# Sourced by scripts/local-env.sh: the headless browser of the report's browser test (not part of up).

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
