#!/bin/sh
# slim.sh PREFIX
# Trims an OTP install to what a CI build needs at runtime. CodeBuild pulls custom images at every
# build, so every MB here is provisioning time. Removed: Erlang/C sources, examples, docs and
# debug symbols. Kept: every application's ebin/ and priv/ (crypto/ssl NIFs, Common Test's
# HTML assets) and include/ (needed to compile code that uses -include_lib("kernel/...") or
# eunit.hrl/ct.hrl) and erts' headers (NIFs and port drivers compile against them).
set -eu
prefix="$1"
root="$prefix/lib/erlang"

for app in "$root"/lib/*/; do
  rm -rf "$app/src" "$app/c_src" "$app/examples" "$app/doc" "$app/test" "$app/emacs" "$app/java_src"
done
rm -rf "$root"/erts-*/src "$root"/erts-*/doc "$root"/erts-*/man "$root/doc" "$root/man" "$root/misc"
find "$root" -name '*.beam.orig' -delete
find "$root" -type d -name examples -prune -exec rm -rf {} +

# Strip every ELF file (emulator, helpers, NIF/driver .so). Scripts are left alone.
find "$prefix" -type f | while read -r f; do
  [ "$(head -c 4 "$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] || continue
  case "$f" in
    *.a) strip --strip-debug "$f" ;;
    *) strip --strip-unneeded "$f" ;;
  esac
done
du -sh "$prefix"
