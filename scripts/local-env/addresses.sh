# shellcheck shell=bash
# The local services' addresses, read from packages/core/src/local-services.json: the one place they
# are written (core's config.ts reads the same file for the local profile's defaults). Sourced by
# scripts/local-env.sh and scripts/test-local-env.sh; needs REPO_ROOT.
readonly LOCAL_SERVICES_JSON="$REPO_ROOT/packages/core/src/local-services.json"
# A flat JSON object of strings, one key a line: sed reads it without jq.
local_service() { sed -n "s/^ *\"$1\": *\"\([^\"]*\)\".*/\1/p" "$LOCAL_SERVICES_JSON"; }
REGISTRY_ADDR=$(local_service registry)
MOTO_URL=$(local_service awsEndpoint)
ECR_ADDR=$(local_service ecrStandin)
if [[ -z $REGISTRY_ADDR || -z $MOTO_URL || -z $ECR_ADDR ]]; then
  printf 'local-env: %s\n' "cannot read registry, awsEndpoint and ecrStandin from ${LOCAL_SERVICES_JSON#"$REPO_ROOT"/} (one \"key\": \"value\" a line)" >&2
  exit 5
fi
readonly REGISTRY_ADDR MOTO_URL ECR_ADDR
readonly REGISTRY_HOST=${REGISTRY_ADDR%:*} REGISTRY_PORT=${REGISTRY_ADDR##*:}
moto_hostport=${MOTO_URL#http://}
readonly MOTO_HOST=${moto_hostport%:*} MOTO_PORT=${moto_hostport##*:}
unset moto_hostport
readonly ECR_HOST=${ECR_ADDR%:*} ECR_PORT=${ECR_ADDR##*:}
