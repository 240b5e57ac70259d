#!/bin/sh
# runtime-deps.sh DIR OUT
# Lists the distribution packages that own the shared libraries the ELF files under DIR link
# against (libssl/libcrypto for crypto, ncurses/tinfo for the shell, zlib, libstdc++ for the JIT,
# ...), one per line, into OUT. Computed instead of hard-coded so the same Dockerfile stays right
# on Debian and Amazon Linux 2023 and when a new OTP links something new. The final stage checks
# the result with ldd, so a miss fails the build instead of shipping a broken erl.
set -eu
dir="$1" out="$2"
libs="$(mktemp)"
find "$dir" -type f | while read -r f; do
  [ "$(head -c 4 "$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] || continue
  ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
done | sort -u >"$libs"

owner() {
  if command -v dpkg >/dev/null 2>&1; then
    # merged /usr: ldd may say /lib/... while dpkg registered /usr/lib/... (or the reverse)
    for p in "$1" "$(readlink -f "$1")" "/usr$1" "${1#/usr}"; do
      dpkg -S "$p" 2>/dev/null | head -n1 | cut -d: -f1 && return 0
    done
  else
    for p in "$1" "$(readlink -f "$1")"; do
      rpm -qf --qf '%{NAME}\n' "$p" 2>/dev/null && return 0
    done
  fi
  echo "prebake: erlang-otp: no package owns $1 (needed at runtime)" >&2
  return 1
}

: >"$out.tmp"
while read -r lib; do owner "$lib" >>"$out.tmp"; done <"$libs"
sort -u "$out.tmp" | sed "/^$/d" >"$out"
rm -f "$out.tmp" "$libs"
echo "prebake: erlang-otp: runtime packages: $(tr '\n' ' ' <"$out")"
