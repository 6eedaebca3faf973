#!/bin/sh
# Rebuilds the committed .wasm fixtures (CI has no C toolchain). Needs clang-19 + wasi-libc.
set -eu
cd "$(dirname "$0")"
for src in *.c; do
  clang-19 --target=wasm32-wasi -O2 -Wl,--strip-all "$src" -o "${src%.c}.wasm"
done
