# shellcheck shell=bash
# Sourced by scripts/local-env.sh: the commands (up, base, status, down, env) over the services' files.

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

cmd_down() {
  lock_state
  stop_service ecr-registry "ECR stand-in" "$ECR_PATTERN" 15 ecr_registry_demands_auth
  stop_service registry registry "$REGISTRY_PATTERN" 15 registry_healthy
  stop_service moto moto "$MOTO_PATTERN" 15 moto_healthy
  # dockerd stops its containers first (up to its shutdown timeout, 15 s by default).
  stop_service dockerd "docker engine" "$DOCKERD_PATTERN" 60 'engine_ping_default'
  say "down (base image, registry data and cache are kept)"
}

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
