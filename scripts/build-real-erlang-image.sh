#!/usr/bin/env bash
# Builds images/erlang-otp from a REAL Erlang/OTP 27 source and a real rebar3, offline from GitHub:
#   OTP:    Debian trixie's erlang_27.3.4.1+dfsg.orig.tar.xz (deb.debian.org pool)
#   rebar3: the rebar3 3.24.0 escript from Debian trixie's rebar3_3.24.0-1_all.deb (built by Debian
#           from the upstream 3.24.0 tag; its beams run on OTP 27)
# Both are pinned by the sha256 Debian's signed Sources/Packages indexes list (checked below).
# They are cached in .prebake/cache/erlang-real/, served on 127.0.0.1 by python3's http.server,
# and passed to the normal Dockerfile as OTP_URL/REBAR3_URL build args: the same download +
# sha256 + configure path as the pinned GitHub release.
#
# Usage: scripts/build-real-erlang-image.sh [--single-stage] [--no-push] [--no-cache]
#   --single-stage  also build the `build` stage (keeps the compilers) and report its size
#   --no-push       skip pushing to the local registry
#   --no-cache      docker build --no-cache (a cold build; otherwise layers are reused)
# Result: prebake/erlang-otp:real-27 in the local engine and $REGISTRY/prebake/erlang-otp:real-27
# (REGISTRY defaults to 127.0.0.1:5050). Figures are printed at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="$ROOT/.prebake/cache/erlang-real"
REGISTRY="${REGISTRY:-127.0.0.1:5050}"
TAG="prebake/erlang-otp:real-27"
BASE="${BASE_IMAGE:-prebake/debian:bookworm}"
POOL="http://deb.debian.org/debian/pool/main"

OTP_VERSION=27.3.4.1
OTP_FILE="erlang_27.3.4.1+dfsg.orig.tar.xz"
OTP_SHA256=0834643ef1e17886d5e334a39527d8429bcf50613b86d59d4757466f32984b7e
REBAR3_VERSION=3.24.0
REBAR3_DEB="rebar3_3.24.0-1_all.deb"
REBAR3_DEB_SHA256=d8ceacfb1ebd71ffccc9534a0f7ba14264100e88583c65b74fbf398f925a199e

single_stage=0 push=1 nocache=()
for arg in "$@"; do
  case "$arg" in
    --single-stage) single_stage=1 ;;
    --no-push) push=0 ;;
    --no-cache) nocache=(--no-cache) ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "build-real-erlang-image: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
docker image inspect "$BASE" >/dev/null 2>&1 \
  || { echo "build-real-erlang-image: base image $BASE is missing (run: bash scripts/local-env.sh up)" >&2; exit 5; }

fetch() { # fetch FILE URL SHA256
  local file="$1" url="$2" sha="$3"
  if [ ! -f "$CACHE/$file" ] || ! echo "$sha  $CACHE/$file" | sha256sum -c - >/dev/null 2>&1; then
    log "downloading $url"
    curl -fsSL --retry 5 -o "$CACHE/$file.part" "$url"
    mv "$CACHE/$file.part" "$CACHE/$file"
  fi
  echo "$sha  $CACHE/$file" | sha256sum -c - >/dev/null \
    || { echo "build-real-erlang-image: $file does not match Debian's sha256 $sha" >&2; exit 4; }
  log "$file: sha256 $sha OK"
}

mkdir -p "$CACHE/serve"
fetch "$OTP_FILE" "$POOL/e/erlang/$OTP_FILE" "$OTP_SHA256"
fetch "$REBAR3_DEB" "$POOL/r/rebar3/$REBAR3_DEB" "$REBAR3_DEB_SHA256"

# The escript inside the .deb (data.tar member ./usr/bin/rebar3); dpkg-deb is not needed.
if [ ! -s "$CACHE/serve/rebar3" ]; then
  tmp="$(mktemp -d)"
  (cd "$tmp" && ar x "$CACHE/$REBAR3_DEB" && tar -xf data.tar.* ./usr/bin/rebar3)
  cp "$tmp/usr/bin/rebar3" "$CACHE/serve/rebar3"
  rm -rf "$tmp"
fi
ln -f "$CACHE/$OTP_FILE" "$CACHE/serve/$OTP_FILE" 2>/dev/null || cp -f "$CACHE/$OTP_FILE" "$CACHE/serve/$OTP_FILE"
REBAR3_SHA256="$(sha256sum "$CACHE/serve/rebar3" | cut -d' ' -f1)"
head -n 2 "$CACHE/serve/rebar3" | grep -q "Rebar3 $REBAR3_VERSION" \
  || { echo "build-real-erlang-image: the escript in $REBAR3_DEB is not rebar3 $REBAR3_VERSION" >&2; exit 4; }

# Serve the cache on a free loopback port for the duration of the build.
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
python3 -m http.server --bind 127.0.0.1 --directory "$CACHE/serve" "$PORT" >"$CACHE/http.log" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fsI "http://127.0.0.1:$PORT/rebar3" >/dev/null 2>&1 && break; sleep 0.1; done
log "serving $CACHE/serve on http://127.0.0.1:$PORT"

build_args=(
  --build-arg "BASE_IMAGE=$BASE"
  --build-arg "OTP_VERSION=$OTP_VERSION"
  --build-arg "OTP_URL=http://127.0.0.1:$PORT/$OTP_FILE"
  --build-arg "OTP_SHA256=$OTP_SHA256"
  --build-arg "REBAR3_VERSION=$REBAR3_VERSION"
  --build-arg "REBAR3_URL=http://127.0.0.1:$PORT/rebar3"
  --build-arg "REBAR3_SHA256=$REBAR3_SHA256"
  --build-arg "REVISION=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
)

log "building $TAG (multi-stage; configure + make takes several minutes on 2 cores)"
start=$(date +%s)
docker build --network host "${nocache[@]}" "${build_args[@]}" -t "$TAG" "$ROOT/images/erlang-otp"
build_seconds=$(( $(date +%s) - start ))
log "built $TAG in ${build_seconds}s"

if [ "$single_stage" = 1 ]; then
  log "building the single-stage comparison (the build stage, compilers included)"
  start=$(date +%s)
  docker build --network host "${build_args[@]}" --target build -t "$TAG-buildstage" "$ROOT/images/erlang-otp"
  single_seconds=$(( $(date +%s) - start ))
  log "built $TAG-buildstage in ${single_seconds}s"
fi

docker run --rm "$TAG" bash -lc '. /usr/local/erlang/activate && erl -noshell -eval "io:format(\"~s~n\",[erlang:system_info(otp_release)]), halt()." && rebar3 version'

if [ "$push" = 1 ]; then
  docker tag "$TAG" "$REGISTRY/$TAG"
  docker push "$REGISTRY/$TAG" | tail -n 1
fi

# Compressed size of the layers an image adds on top of its base (what a pull of it over a
# cached base transfers): gzip of each layer tar from `docker save`, base layers skipped.
own_layers_gzip() {
  local image="$1" dir base_layers
  dir="$(mktemp -d)"
  docker save -o "$dir/image.tar" "$image"
  tar -xf "$dir/image.tar" -C "$dir" && rm "$dir/image.tar"
  base_layers="$(docker image inspect -f '{{range .RootFS.Layers}}{{println .}}{{end}}' "$BASE")"
  python3 - "$dir" "$base_layers" <<'PY'
import hashlib, json, os, sys, zlib
d, base = sys.argv[1], set(sys.argv[2].split())
manifest = json.load(open(os.path.join(d, "manifest.json")))[0]
total = 0
for layer in manifest["Layers"]:
    h = hashlib.sha256()
    c = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip -6, what `docker push` uses
    size = 0
    with open(os.path.join(d, layer), "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(c.compress(chunk))
    size += len(c.flush())
    if "sha256:" + h.hexdigest() not in base:
        total += size
print(total)
PY
  local rc=$?
  rm -rf "$dir"
  return "$rc"
}

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }
base_size=$(docker image inspect -f '{{.Size}}' "$BASE")
final_size=$(docker image inspect -f '{{.Size}}' "$TAG")
final_gz=$(own_layers_gzip "$TAG") || { echo "build-real-erlang-image: could not measure $TAG" >&2; exit 1; }
echo
echo "== Erlang/OTP $OTP_VERSION + rebar3 $REBAR3_VERSION on $BASE =="
echo "build time (this run):          ${build_seconds}s$([ ${#nocache[@]} -gt 0 ] && echo ' (cold: --no-cache)')"
echo "final image size:               $(mb "$final_size") (base $(mb "$base_size"), own $(mb $((final_size - base_size))) uncompressed)"
echo "final own layers, gzip:         $(mb "$final_gz")"
if [ "$single_stage" = 1 ]; then
  ss_size=$(docker image inspect -f '{{.Size}}' "$TAG-buildstage")
  ss_gz=$(own_layers_gzip "$TAG-buildstage") || { echo "build-real-erlang-image: could not measure $TAG-buildstage" >&2; exit 1; }
  echo "single-stage (build) image:     $(mb "$ss_size") (own $(mb $((ss_size - base_size))) uncompressed)"
  echo "single-stage own layers, gzip:  $(mb "$ss_gz")"
  echo "ratio own gzip final/single:    $(awk -v a="$final_gz" -v b="$ss_gz" 'BEGIN { printf "%.2f", a / b }')"
fi
