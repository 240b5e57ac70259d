# shellcheck shell=bash
# Sourced by scripts/local-env.sh: the ECR stand-in, a second docker-registry that demands ECR's credentials
# (uses registry.sh's registry_bin).

readonly ECR_USER=AWS ECR_REALM=prebake-ecr-standin
readonly ECR_PATTERN='docker-registry.*ecr-registry[.]yml'
readonly ECR_TIMEOUT=20

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
