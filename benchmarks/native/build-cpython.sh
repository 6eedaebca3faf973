#!/usr/bin/env bash
# Builds native CPython 3.14.7 from the pinned Debian orig tarball (the same source the wasm is
# built from) and caches it. Prints the path of the resulting python binary on its last line.
#
#   ERYX_BENCH_CACHE      cache directory (default ~/.cache/eryx-bench)
#   ERYX_CPYTHON_TARBALL  use this local tarball instead of downloading (sha256 is still checked)
#
# The download host is read from the apt configuration at run time; no host name lives here.
set -euo pipefail

VERSION=3.14.7
SHA256=3b48dac8fb59f62eaa67ac83c1eb12bda1b7a08406dd286e252c11a66be27f81
POOL_PATH=pool/main/p/python3.14/python3.14_${VERSION}.orig.tar.xz
CACHE=${ERYX_BENCH_CACHE:-$HOME/.cache/eryx-bench}
PREFIX=$CACHE/cpython-$VERSION
TARBALL=$CACHE/downloads/python3.14_${VERSION}.orig.tar.xz

if [[ -x $PREFIX/bin/python3.14 ]]; then
  echo "$PREFIX/bin/python3.14"; exit 0
fi
mkdir -p "$CACHE/downloads"

# The Debian mirror lookup is shared with the wasm build recipe.
. "$(cd "$(dirname "$0")" && pwd)/../../wasm-assets/build/lib.sh"

if [[ ! -f $TARBALL ]]; then
  if [[ -n ${ERYX_CPYTHON_TARBALL:-} ]]; then
    cp "$ERYX_CPYTHON_TARBALL" "$TARBALL.part"
  else
    url="$(mirror_uri)/$POOL_PATH"
    echo "downloading $url" >&2
    curl -fL --retry 3 -o "$TARBALL.part" "$url"
  fi
  echo "$SHA256  $TARBALL.part" | sha256sum -c - >&2
  mv "$TARBALL.part" "$TARBALL"
fi
echo "$SHA256  $TARBALL" | sha256sum -c - >&2

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
