#!/usr/bin/env bash
# Bundles the web console's syntax highlighter (Prism, MIT) at build time: the page must never
# fetch code from elsewhere at run time (its CSP allows only 'self'), and the library is not
# committed. `npm pack` fetches the pinned tarball from npm's configured registry into a cache
# (reused while its sha256 matches), the tarball is checked against the pin below, and the two
# scripts the console loads plus Prism's licence are extracted into the console's vendor folder.
# server/pom.xml runs this in generate-resources with the build's output directory.
#
#   $1               output directory (default: server/target/classes)
#   ERYX_CACHE_DIR   cache directory (default ~/.cache/eryx); the tarball lives in its npm/
#
# Exit status: 0 the files are in place; 1 npm is missing, the fetch failed or the checksum did not
# match (the message says which).
set -euo pipefail

PACKAGE=prismjs
VERSION=1.30.0
# sha256sum of the tarball `npm pack prismjs@1.30.0` produces.
SHA256=ac16a9106a28c53b6a6313993c816a3a02525fdfefd7614fc1703df915a9fc11
TARBALL=$PACKAGE-$VERSION.tgz

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/target/classes}
VENDOR=$OUT/dev/eryx/server/console/vendor
CACHE=${ERYX_CACHE_DIR:-$HOME/.cache/eryx}/npm
CACHED=$CACHE/$TARBALL

fail() {
  echo "console-vendor.sh: $*" >&2
  exit 1
}

verified() { [[ -f $1 ]] && echo "$SHA256  $1" | sha256sum -c --status -; }

if ! verified "$CACHED"; then
  command -v npm >/dev/null 2>&1 \
    || fail "npm is not installed; the console's highlighter ($PACKAGE@$VERSION) is fetched with it (install Node.js and npm)"
  mkdir -p "$CACHE"
  # A private directory, so a half-written tarball never sits where the next build would look.
  WORK=$(mktemp -d "$CACHE/pack.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  echo "console-vendor.sh: npm pack $PACKAGE@$VERSION" >&2
  (cd "$WORK" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null) \
    || fail "npm pack $PACKAGE@$VERSION failed (no network, or no registry configured for npm?)"
  [[ -f $WORK/$TARBALL ]] || fail "npm pack did not produce $TARBALL"
  verified "$WORK/$TARBALL" \
    || fail "sha256 mismatch for $TARBALL: $(sha256sum "$WORK/$TARBALL" | cut -d' ' -f1), expected $SHA256"
  mv "$WORK/$TARBALL" "$CACHED"
fi

mkdir -p "$VENDOR"
extract() {
  tar -xzOf "$CACHED" "package/$1" >"$VENDOR/$2.part" || fail "could not extract package/$1 from $CACHED"
  mv "$VENDOR/$2.part" "$VENDOR/$2"
}
# The names are the ones the page loads (/console/vendor/prism.js, prism-python.js).
extract components/prism-core.min.js prism.js
extract components/prism-python.min.js prism-python.js
extract LICENSE LICENSE.prism.txt
