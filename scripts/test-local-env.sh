#!/usr/bin/env bash
# Integration test of scripts/local-env.sh against the real services (no mocks):
#   up (twice: the second must be a fast no-op), status, env, a push to the registry (and a
#   manifest delete), an ECR call to moto, the ECR stand-in's basic auth, down (what prebake started must be stopped, anything
#   pre-existing left alone), then up again so the environment is left running.
# Note: `down` stops everything `up` started, including the Docker engine if prebake started it,
# so builds or containers running on that engine are interrupted while this test runs.
# Usage: scripts/test-local-env.sh        Exit: 0 all passed, 1 a check failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
readonly LE="$here/local-env.sh"
REPO_ROOT=$(cd "$here/.." && pwd -P)
# The addresses local-env.sh serves, from the one file they are written in.
# shellcheck source=local-env/addresses.sh
source "$here/local-env/addresses.sh"
readonly REGISTRY=$REGISTRY_ADDR ECR_STANDIN=$ECR_ADDR
ere() { sed 's/[.]/\\./g' <<<"$1"; } # an address as an ERE that matches only itself

passed=0 failed=0
ok() {
  passed=$((passed + 1))
  printf 'ok   - %s\n' "$*"
}
not_ok() {
  failed=$((failed + 1))
  printf 'FAIL - %s\n' "$*"
}
check() { # check <description> <command...>
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
now_ms() { date +%s%3N; }
secs() { printf '%d.%03ds' $(($1 / 1000)) $(($1 % 1000)); }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_closed() { ! port_open "$1"; }

# run <command...>: runs it (from / so nothing depends on the cwd), output indented;
# sets OUT, RC and MS.
OUT="" RC=0 MS=0
run() {
  local start
  printf '\n$ %s\n' "$*"
  start=$(now_ms)
  RC=0
  OUT=$(cd / && "$@" 2>&1) || RC=$?
  MS=$(($(now_ms) - start))
  [[ -z $OUT ]] || printf '%s\n' "$OUT" | sed 's/^/    /'
  printf '    (exit %s, %s)\n' "$RC" "$(secs "$MS")"
}
has() { grep -Eq -- "$1" <<<"$OUT"; }
rc_is() { # rc_is <expected exit> <description>
  if [[ $RC -eq $1 ]]; then ok "$2"; else not_ok "$2 (exit $RC, expected $1)"; fi
}
out_has() { # out_has <ERE> <description>
  if has "$1"; then ok "$2"; else not_ok "$2 (no line matches /$1/)"; fi
}
out_all() { # out_all <ERE> <description>: every line matches
  local bad
  bad=$(grep -Ev -- "$1" <<<"$OUT" | head -n 1) || true
  if [[ -z $bad ]]; then ok "$2"; else not_ok "$2 (this line does not: $bad)"; fi
}
out_lacks() { # out_lacks <ERE> <description>
  if has "$1"; then not_ok "$2 (a line matches /$1/)"; else ok "$2"; fi
}

# --- usage -------------------------------------------------------------------------------------
run bash "$LE" --help
rc_is 0 "--help exits 0"
out_has '^  down ' "--help lists the commands"
run bash "$LE" bogus
rc_is 2 "an unknown command is a usage error (exit 2)"
out_has '^local-env: unknown command' "the usage error is prefixed local-env:"

# --- up, twice -----------------------------------------------------------------------------------
run bash "$LE" up
first_up_ms=$MS
rc_is 0 "first up exits 0 ($(secs "$first_up_ms"))"
out_all '^local-env: ' "every line of up is prefixed local-env:"

run bash "$LE" up
second_up_ms=$MS
rc_is 0 "second up exits 0"
# A no-op is judged by what up did, not by how long it took (times are printed, never asserted:
# the machine is shared, and performance belongs in a benchmark).
out_lacks 'starting|installing|building|importing|waiting' "second up is a no-op (nothing started, installed, built or imported) ($(secs "$second_up_ms"))"

# --- status and env ----------------------------------------------------------------------------
run bash "$LE" status
rc_is 0 "status exits 0 when all is up"
out_has "^local-env: docker engine +up " "status: docker engine up"
out_has "^local-env: registry +up +$REGISTRY " "status: registry up at $REGISTRY"
out_has "^local-env: moto +up +$MOTO_URL " "status: moto up at $MOTO_URL"
out_has "^local-env: base image +present +prebake/debian:bookworm " "status: base image present"
out_has "^local-env: ECR stand-in +up +$ECR_STANDIN " "status: ECR stand-in up at $ECR_STANDIN"

# Which services prebake itself started (decides what down must stop).
owned() { grep -E "^local-env: $1 " <<<"$OUT" | grep -q 'started by prebake (pid'; }
engine_owned=0 registry_owned=0 moto_owned=0 ecr_owned=0
if owned "docker engine"; then engine_owned=1; fi
if owned "ECR stand-in"; then ecr_owned=1; fi
if owned registry; then registry_owned=1; fi
if owned moto; then moto_owned=1; fi
printf '    started by prebake: engine=%s registry=%s moto=%s ecr=%s\n' "$engine_owned" "$registry_owned" "$moto_owned" "$ecr_owned"

run bash "$LE" env
rc_is 0 "env exits 0"
out_has "^export PREBAKE_REGISTRY=$(ere "$REGISTRY")\$" "env exports PREBAKE_REGISTRY"
out_has "^export PREBAKE_AWS_ENDPOINT=$(ere "$MOTO_URL")\$" "env exports PREBAKE_AWS_ENDPOINT"
out_has "^export PREBAKE_ECR_STANDIN=$(ere "$ECR_STANDIN")\$" "env exports PREBAKE_ECR_STANDIN"
out_all '^export [A-Z_]+=' "env prints only export lines"
eval "$OUT"

# --- registry: push a tiny image, delete it ------------------------------------------------------
run docker tag prebake/debian:bookworm "$REGISTRY/smoke:1"
rc_is 0 "docker tag prebake/debian:bookworm $REGISTRY/smoke:1"
run docker push "$REGISTRY/smoke:1"
rc_is 0 "docker push $REGISTRY/smoke:1"
out_has 'digest: sha256:' "the push reports a digest"
run docker rmi "$REGISTRY/smoke:1"
rc_is 0 "local tag $REGISTRY/smoke:1 removed"
run curl --noproxy '*' -fsS "http://$REGISTRY/v2/smoke/tags/list"
out_has '"1"' "the registry lists smoke:1"
digest=$(curl --noproxy '*' -fsSI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "http://$REGISTRY/v2/smoke/manifests/1" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest" {print $2}') || digest=""
run curl --noproxy '*' -sS -o /dev/null -w '%{http_code}' -X DELETE "http://$REGISTRY/v2/smoke/manifests/$digest"
out_has '^202$' "the registry deletes a manifest (storage.delete.enabled)"

# --- moto: an ECR call ---------------------------------------------------------------------------
if command -v aws >/dev/null 2>&1; then
  run env -u AWS_SESSION_TOKEN -u AWS_PROFILE AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_PAGER= \
    aws --endpoint-url "$MOTO_URL" --region us-east-1 ecr describe-repositories
else
  run curl --noproxy '*' -fsS -X POST "$MOTO_URL/" \
    -H 'Content-Type: application/x-amz-json-1.1' \
    -H 'X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.DescribeRepositories' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{}'
fi
rc_is 0 "moto answers ecr describe-repositories"
out_has '"repositories"' "moto returns a repositories list"

# --- the ECR stand-in: what ECR demands (user AWS, the emulator's token as password) ---------------
run curl --noproxy '*' -fsS -X POST "$MOTO_URL/" \
  -H 'Content-Type: application/x-amz-json-1.1' \
  -H 'X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken' \
  -H 'Authorization: AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=0' \
  -d '{}'
token=$(grep -o '"authorizationToken": *"[^"]*"' <<<"$OUT" | head -n 1 | sed 's/.*"\([^"]*\)"$/\1/') || token=""
check "moto hands out an ECR token" test -n "$token"
standin_status() { # standin_status <Authorization header or ""> -> HTTP status of GET /v2/
  curl --noproxy '*' -sS -o /dev/null -w '%{http_code}' ${1:+-H "Authorization: $1"} "http://$ECR_STANDIN/v2/"
}
check "the ECR stand-in refuses a request without credentials (401)" test "$(standin_status "")" = 401
check "the ECR stand-in refuses a wrong password (401)" \
  test "$(standin_status "Basic $(printf 'AWS:wrong' | base64 -w0)")" = 401
check "the ECR stand-in accepts the emulator's token as basic auth (200)" test "$(standin_status "Basic $token")" = 200

# --- down ----------------------------------------------------------------------------------------
run bash "$LE" down
down_ms=$MS
rc_is 0 "down exits 0 ($(secs "$down_ms"))"
if ((registry_owned)); then
  check "registry port $REGISTRY_PORT is closed after down" port_closed "$REGISTRY_PORT"
else
  check "pre-existing registry on $REGISTRY_PORT left running by down" port_open "$REGISTRY_PORT"
fi
if ((ecr_owned)); then
  check "ECR stand-in port $ECR_PORT is closed after down" port_closed "$ECR_PORT"
else
  check "pre-existing ECR stand-in on $ECR_PORT left running by down" port_open "$ECR_PORT"
fi
if ((moto_owned)); then
  check "moto port $MOTO_PORT is closed after down" port_closed "$MOTO_PORT"
else
  check "pre-existing moto on $MOTO_PORT left running by down" port_open "$MOTO_PORT"
fi
engine_answers() {
  if [[ -n ${DOCKER_HOST:-} && $DOCKER_HOST != unix:///var/run/docker.sock ]]; then
    docker info >/dev/null 2>&1
  else
    curl --noproxy '*' -fsS --max-time 3 --unix-socket /var/run/docker.sock -o /dev/null http://localhost/_ping 2>/dev/null
  fi
}
engine_stopped() { ! engine_answers; }
if ((engine_owned)); then
  check "the engine prebake started is stopped by down" engine_stopped
else
  check "the pre-existing engine is left running by down" engine_answers
fi
state_dir="$(cd "$here/.." && pwd -P)/.prebake/local-env"
no_pid_file() { [[ ! -e $state_dir/$1.pid ]]; }
if ((registry_owned)); then check "registry.pid removed by down" no_pid_file registry; fi
if ((moto_owned)); then check "moto.pid removed by down" no_pid_file moto; fi
if ((ecr_owned)); then check "ecr-registry.pid removed by down" no_pid_file ecr-registry; fi
if ((engine_owned)); then check "dockerd.pid removed by down" no_pid_file dockerd; fi
if ((registry_owned || moto_owned || engine_owned || ecr_owned)); then
  run bash "$LE" status
  rc_is 5 "status exits 5 while something is down"
fi

# --- up again: leave the environment running -------------------------------------------------------
run bash "$LE" up
third_up_ms=$MS
rc_is 0 "up after down exits 0 ($(secs "$third_up_ms"))"
run bash "$LE" status
rc_is 0 "status exits 0 again"

printf '\ntimings: first up %s, second up (no-op) %s, down %s, up after down %s\n' \
  "$(secs "$first_up_ms")" "$(secs "$second_up_ms")" "$(secs "$down_ms")" "$(secs "$third_up_ms")"
printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
