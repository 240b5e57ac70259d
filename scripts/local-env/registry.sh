# shellcheck shell=bash
# Sourced by scripts/local-env.sh: the registry (docker-registry) images are pushed to.

readonly REGISTRY_PATTERN='docker-registry'
readonly REGISTRY_TIMEOUT=20

registry_healthy() { http_ok "http://$REGISTRY_ADDR/v2/"; }

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
