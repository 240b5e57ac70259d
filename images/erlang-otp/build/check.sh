#!/bin/sh
# check.sh OTP_VERSION REBAR3_VERSION
# Fails the image build unless the installed toolchain really works: erl prints its OTP release,
# the release matches the pinned version, crypto/ssl/common_test load, rebar3 runs and is the
# pinned version, and no binary misses a shared library. Runs in plain sh through the activate
# script, exactly as a buildspec would use it.
set -eu
otp_version="$1" rebar3_version="$2"
fail() { echo "prebake: erlang-otp: image check failed: $*" >&2; exit 1; }

. /usr/local/erlang/activate

release="$(erl -noshell -eval 'io:format("~s~n",[erlang:system_info(otp_release)]), halt().')" \
  || fail "erl could not print its OTP release"
[ -n "$release" ] || fail "erl printed no OTP release"
[ "$release" = "${otp_version%%.*}" ] || fail "erl reports OTP ${release}, the build pinned ${otp_version}"

full="$(cat "/usr/local/erlang/lib/erlang/releases/${release}/OTP_VERSION" 2>/dev/null)" \
  || fail "releases/${release}/OTP_VERSION is missing"
[ "$full" = "$otp_version" ] || fail "the source is OTP ${full}, the build pinned OTP_VERSION=${otp_version}"

erl -noshell -eval '
  ok = crypto:start(), ok = ssl:start(),
  {module, ct} = code:ensure_loaded(ct),
  io:format("crypto ~s, ssl ~s, common_test loads~n",
            [element(3, lists:keyfind(crypto, 1, application:which_applications())),
             element(3, lists:keyfind(ssl, 1, application:which_applications()))]),
  halt().' || fail "crypto, ssl or common_test did not load"

rebar3_out="$(rebar3 version)" || fail "rebar3 version failed"
echo "$rebar3_out"
case "$rebar3_out" in
  "rebar ${rebar3_version} "*) ;;
  *) fail "rebar3 reports '${rebar3_out}', the build pinned REBAR3_VERSION=${rebar3_version}" ;;
esac

if command -v ldd >/dev/null 2>&1; then
  missing="$(find /usr/local/erlang -type f \( -perm -u+x -o -name '*.so' \) -exec sh -c \
    'for f; do ldd "$f" 2>/dev/null | grep "not found" | sed "s|^|$f: |"; done' sh {} +)"
  [ -z "$missing" ] || fail "missing shared libraries: ${missing}"
fi
echo "prebake: erlang-otp: OTP ${full} (release ${release}) and rebar3 ${rebar3_version} work"
