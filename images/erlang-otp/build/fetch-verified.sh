#!/bin/sh
# fetch-verified.sh NAME URL SHA256 DEST
# Downloads URL to DEST (curl, with retries) and checks its sha256 BEFORE anything uses it.
# A mismatch prints one line naming the expected and actual digest and the URL, removes the file
# and exits 1, so a tampered or mis-pinned download can never reach configure or the image.
set -eu
name="$1" url="$2" expected="$3" dest="$4"

if [ -z "$url" ] || [ -z "$expected" ]; then
  echo "prebake: ${name}: the URL and SHA256 build args must both be set (they come from images/erlang-otp/image.yaml)" >&2
  exit 3
fi
case "$expected" in
  *[!0-9a-f]*) echo "prebake: ${name}: SHA256 '${expected}' is not 64 lowercase hex digits" >&2; exit 3 ;;
esac
if [ "${#expected}" -ne 64 ]; then
  echo "prebake: ${name}: SHA256 '${expected}' is not 64 lowercase hex digits" >&2
  exit 3
fi

echo "prebake: ${name}: downloading ${url}"
if ! curl --fail --silent --show-error --location --retry 5 --retry-delay 2 --retry-connrefused \
     --connect-timeout 20 --output "$dest" "$url"; then
  echo "prebake: ${name}: download failed: ${url}" >&2
  exit 1
fi

if ! echo "${expected}  ${dest}" | sha256sum -c - >/dev/null 2>&1; then
  actual="$(sha256sum "$dest" | cut -d' ' -f1)"
  rm -f "$dest"
  echo "prebake: ${name}: sha256 mismatch for ${url}: expected ${expected}, got ${actual}" >&2
  exit 1
fi
echo "prebake: ${name}: sha256 ${expected} OK"
