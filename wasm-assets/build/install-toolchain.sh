#!/usr/bin/env bash
# Installs the wasm32-wasi C toolchain from Debian's packages.
# clang/lld/llvm come from the machine's own suite (bookworm); wasi-libc only exists in trixie,
# as an architecture-independent package, so we fetch that one .deb through a temporary apt
# sources list whose mirror URI is read from this machine's apt configuration.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PACKAGES=(clang-19 lld-19 llvm-19 libclang-rt-19-dev-wasm32 wabt binaryen xz-utils curl ca-certificates)
WASI_LIBC_VERSION="0.0~git20241209.574b88d-2"

need_install=0
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || need_install=1; done
if [ "$need_install" = 1 ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${PACKAGES[@]}"
fi

if dpkg -s wasi-libc >/dev/null 2>&1; then
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/archives/partial"
echo "deb [trusted=yes] $(mirror_uri) trixie main" > "$tmp/trixie.list"
apt_opts=(-o Dir::Etc::SourceList="$tmp/trixie.list" -o Dir::Etc::SourceParts=/dev/null
          -o Dir::State::Lists="$tmp/lists" -o Dir::Cache::Archives="$tmp/archives"
          -o APT::Get::List-Cleanup=0)
apt-get "${apt_opts[@]}" update -q >/dev/null
(cd "$tmp" && chmod 777 "$tmp" && apt-get "${apt_opts[@]}" download "wasi-libc=${WASI_LIBC_VERSION}")
dpkg -i "$tmp"/wasi-libc_*.deb
