#!/bin/sh
# packages.sh build|runtime [package...]
# One Dockerfile serves Debian (apt-get, local profile) and Amazon Linux 2023 (dnf, aws profile):
# this script is the only place that knows the package manager and the package names.
#   build            installs the compiler toolchain and -dev packages OTP's configure looks for
#   runtime PKG...   installs the given packages (computed by runtime-deps.sh in the build stage)
set -eu
mode="$1"; shift

if command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  case "$mode" in
    build) set -- curl ca-certificates xz-utils gzip tar make gcc g++ perl binutils \
                  libncurses-dev libssl-dev zlib1g-dev ;;
  esac
  [ "$#" -eq 0 ] && exit 0
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  apt-get clean
  rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log
elif command -v dnf >/dev/null 2>&1; then
  case "$mode" in
    # curl-minimal is already in the AL2023 base; installing "curl" would conflict with it.
    build) set -- xz gzip tar make gcc gcc-c++ perl binutils findutils \
                  ncurses-devel openssl-devel zlib-devel ;;
  esac
  [ "$#" -eq 0 ] && exit 0
  dnf install -y -q --setopt=install_weak_deps=False "$@"
  dnf clean all
  rm -rf /var/cache/dnf /var/log/dnf*
else
  echo "prebake: erlang-otp: the base image has neither apt-get nor dnf; use a Debian or Amazon Linux 2023 base" >&2
  exit 3
fi
