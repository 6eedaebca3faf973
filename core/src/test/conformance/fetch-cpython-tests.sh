#!/usr/bin/env bash
# Downloads the pinned CPython source tarball whose Lib/test/ the conformance suite runs
# (docs/conformance.md) into the cache the suite reads, and checks its sha256. A verified copy
# already in the cache is kept, so running it again costs nothing. .ci/run calls it before
# `mvn verify`; the suite calls it too when the cache is empty (unless -Deryx.conformance.fetch=false).
# Prints the tarball's path on its last line.
#
#   ERYX_CACHE_DIR        cache directory (default ~/.cache/eryx)
#   ERYX_CPYTHON_MIRROR   Debian mirror base URI (default: from this machine's apt configuration)
#
# Exit status: 0 the tarball is cached and verified; 3 it could not be downloaded (no network, no
# mirror); 1 anything else, a checksum mismatch included.
# The download host is read from the apt configuration at run time; no host name lives here.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PIN=$HERE/../resources/dev/eryx/conformance/cpython-source.properties
pin() { sed -n "s/^$1=//p" "$PIN"; }
TARBALL=$(pin tarball)
SHA256=$(pin sha256)
CACHE=${ERYX_CACHE_DIR:-$HOME/.cache/eryx}
DEST=$CACHE/$TARBALL

verified() { [[ -f $1 ]] && echo "$SHA256  $1" | sha256sum -c --status -; }

if verified "$DEST"; then
  echo "$DEST"
  exit 0
fi
mkdir -p "$CACHE"

# The Debian mirror lookup is shared with the wasm build recipe.
. "$HERE/../../../../wasm-assets/build/lib.sh"
MIRROR=${ERYX_CPYTHON_MIRROR:-}
if [[ -z $MIRROR ]]; then
  MIRROR=$(mirror_uri) || exit 3
fi
URL=${MIRROR%/}/$(pin poolPath)
PART=$(mktemp "$DEST.XXXXXX.part")
trap 'rm -f "$PART"' EXIT
echo "downloading $URL" >&2
if ! curl -fsSL --connect-timeout 15 --retry 2 -o "$PART" "$URL"; then
  echo "could not download $URL" >&2
  exit 3
fi
if ! verified "$PART"; then
  echo "sha256 mismatch for $URL: $(sha256sum "$PART" | cut -d' ' -f1), expected $SHA256" >&2
  exit 1
fi
mv "$PART" "$DEST"
echo "$DEST"
