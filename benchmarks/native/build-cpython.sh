#!/usr/bin/env bash
# Builds native CPython 3.14.7 from the pinned Debian orig tarball (the same source the wasm is
# built from) and caches it. Prints the path of the resulting python binary on its last line.
#
#   ERYX_BENCH_CACHE      cache directory (default ~/.cache/eryx-bench)
#   ERYX_CPYTHON_TARBALL  use this local tarball instead of downloading (sha256 is still checked)
#
# The download host is read from the apt configuration at run time; no host name lives here.
set -euo pipefail

# One pin for the CPython source (version, pool path, sha256), shared with the conformance suite;
# its fetch script downloads, verifies and caches the tarball (~/.cache/eryx or ERYX_CACHE_DIR).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PIN=$ROOT/core/src/test/resources/dev/eryx/conformance/cpython-source.properties
FETCH=$ROOT/core/src/test/conformance/fetch-cpython-tests.sh
VERSION=$(sed -n 's/^version=//p' "$PIN")
CACHE=${ERYX_BENCH_CACHE:-$HOME/.cache/eryx-bench}
PREFIX=$CACHE/cpython-$VERSION

if [[ -x $PREFIX/bin/python3.14 ]]; then
  echo "$PREFIX/bin/python3.14"; exit 0
fi
mkdir -p "$CACHE"

if [[ -n ${ERYX_CPYTHON_TARBALL:-} ]]; then
  # A local copy goes where the fetch script looks; it is verified there like a download.
  cache_dir=${ERYX_CACHE_DIR:-$HOME/.cache/eryx}
  mkdir -p "$cache_dir"
  cp "$ERYX_CPYTHON_TARBALL" "$cache_dir/$(sed -n 's/^tarball=//p' "$PIN")"
fi
TARBALL=$("$FETCH" | tail -n 1)

SRC=$CACHE/src
rm -rf "$SRC"; mkdir -p "$SRC"
tar -xJf "$TARBALL" -C "$SRC" --strip-components=1
cd "$SRC"
echo "configuring CPython $VERSION (plain ./configure, no PGO/LTO) ..." >&2
./configure --prefix="$PREFIX" >"$CACHE/configure.log" 2>&1
echo "building (make -j${ERYX_BENCH_JOBS:-2}, ~5 min on 2 cores) ..." >&2
make -j"${ERYX_BENCH_JOBS:-2}" >"$CACHE/make.log" 2>&1
make install >"$CACHE/install.log" 2>&1
rm -rf "$SRC"
echo "$PREFIX/bin/python3.14"
