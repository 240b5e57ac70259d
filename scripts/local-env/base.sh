# shellcheck shell=bash
# Sourced by scripts/local-env.sh: the local base images, prebake/debian:<suite>, built with debootstrap once and cached.

readonly DEBIAN_MIRROR="${PREBAKE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# Local base images, one per Debian suite: prebake/debian:<suite>. `up` provides bookworm, the base
# every image uses; trixie (Python 3.13: the python-layer 3.13 line, the local stand-in for Lambda's
# Amazon Linux 2023 runtimes) only when asked with `base trixie`, so a fresh `up` stays quick.
readonly DEFAULT_SUITE=bookworm
readonly KNOWN_SUITES="bookworm trixie"
BASE_SUITE="" BASE_IMAGE="" BASE_TARBALL=""
use_suite() {
  BASE_SUITE=$1
  BASE_IMAGE="prebake/debian:$1"
  BASE_TARBALL="$CACHE_DIR/debian-$1-minbase.tar.gz"
}
use_suite "$DEFAULT_SUITE"
# The command that provides the current suite's base, for messages.
base_command() { if [[ $BASE_SUITE == "$DEFAULT_SUITE" ]]; then printf 'up'; else printf 'base %s' "$BASE_SUITE"; fi; }

ROOTFS=""
cleanup_rootfs() {
  [[ -n $ROOTFS && -d $ROOTFS ]] || return 0
  # debootstrap mounts proc/sys inside the target; never rm -rf through a mount.
  local mnt
  while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done < <(awk -v root="$ROOTFS/" 'index($2, root) == 1 { print $2 }' /proc/mounts 2>/dev/null | sort -r)
  rm -rf --one-file-system "$ROOTFS"
  ROOTFS=""
}

build_base_tarball() {
  if ! is_root; then
    die $EXIT_UNAVAILABLE "base image: $BASE_IMAGE is missing and building it (debootstrap) needs root: run \`sudo scripts/local-env.sh $(base_command)\` once"
  fi
  if ! have debootstrap; then
    is_debian || die $EXIT_UNAVAILABLE "base image: debootstrap is missing: install it, then rerun up"
    apt_install debootstrap ||
      die $EXIT_UNAVAILABLE "base image: installing debootstrap failed (log: $(rel "$(apt_log)")): fix apt, then rerun $(base_command)"
  fi
  mkdir -p "$CACHE_DIR"
  local log="$STATE_DIR/debootstrap.log" started
  [[ $BASE_SUITE == "$DEFAULT_SUITE" ]] || log="$STATE_DIR/debootstrap-$BASE_SUITE.log"
  started=$(now_ms)
  say "building base image $BASE_IMAGE with debootstrap (one-time, ~2-4 min; log: $(rel "$log"))..."
  rotate_log "$log"
  local stale
  for stale in "$CACHE_DIR"/rootfs.*; do # left by an interrupted build
    [[ -d $stale ]] || continue
    ROOTFS=$stale
    cleanup_rootfs
  done
  ROOTFS="$CACHE_DIR/rootfs.$$"
  trap cleanup_rootfs EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  # Progress: one line per debootstrap stage (the per-package lines go to the log only).
  if ! debootstrap --variant=minbase --include=ca-certificates "$BASE_SUITE" "$ROOTFS" "$DEBIAN_MIRROR" 2>&1 |
    awk -v logfile="$log" '
      { print >> logfile; fflush(logfile) }
      /^[WE]: / { print "local-env:   debootstrap: " $0; fflush(); next }
      !/^I: / { next }
      {
        msg = substr($0, 4); sub(/ +$/, "", msg); verb = $2
        if (msg ~ /^(Target architecture|Checking Release|Valid Release|Chosen extractor|Checking component)/) next
        if (msg ~ /^(Retrieving|Validating) (InRelease|Release|Packages)/) next
        if (verb == "Validating") verb = "Retrieving"
        if (verb ~ /^(Retrieving|Extracting|Unpacking|Configuring)$/) {
          if (verb == stage) next
          stage = verb
          if (msg !~ /(required packages|base system)\.\.\.$/) msg = verb " packages..."
        } else stage = ""
        print "local-env:   debootstrap: " msg; fflush()
      }'; then
    log_tail "$log" 8
    die $EXIT_UNAVAILABLE "base image: debootstrap of $BASE_SUITE from $DEBIAN_MIRROR failed: see $log (network or mirror? set PREBAKE_DEBIAN_MIRROR to another mirror)"
  fi
  # What every Dockerfile redoes anyway (apt-get update): no downloaded .debs, no package lists.
  rm -f "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/*.bin
  find "$ROOTFS/var/lib/apt/lists" -mindepth 1 -maxdepth 1 -type f -delete 2>/dev/null || true
  say "  packing the root filesystem into $(rel "$BASE_TARBALL")..."
  tar --numeric-owner -C "$ROOTFS" -c . | gzip -1 >"$BASE_TARBALL.tmp"
  mv -f "$BASE_TARBALL.tmp" "$BASE_TARBALL"
  cleanup_rootfs
  trap - EXIT INT TERM
  say "  root filesystem built in $(((($(now_ms) - started) + 500) / 1000))s"
}

import_base() {
  local id
  say "base image: importing $BASE_IMAGE from $(rel "$BASE_TARBALL")..."
  id=$(dk import --message "prebake local base: debootstrap --variant=minbase $BASE_SUITE" "$BASE_TARBALL" "$BASE_IMAGE" 2>&1) || {
    printf '%s\n' "$id" | sed 's/^/local-env:   | /' >&2
    return 1
  }
  id=${id#sha256:}
  say "base image: $BASE_IMAGE imported (${id:0:12})"
}

base_image_id() { dk image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null; }

ensure_base_image() {
  local id
  if id=$(base_image_id); then
    id=${id#sha256:}
    say "base image: $BASE_IMAGE present (${id:0:12})"
    return 0
  fi
  have docker || die $EXIT_UNAVAILABLE "base image: the docker CLI is missing: install it (apt-get install docker.io, or docker-ce-cli), then rerun up"
  if [[ -s $BASE_TARBALL ]]; then
    import_base && return 0
    warn "base image: the cached root filesystem did not import; rebuilding it"
    rm -f "$BASE_TARBALL"
  fi
  build_base_tarball
  import_base || die $EXIT_UNAVAILABLE "base image: docker import of $BASE_TARBALL failed (see above): check the engine, then rerun $(base_command)"
}
