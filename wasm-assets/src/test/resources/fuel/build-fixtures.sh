#!/usr/bin/env bash
# Rebuilds the FuelInstrumentTest fixtures. The .wasm files are checked in because CI has no
# C toolchain; run this after changing a source (needs clang-19, wasi-libc and wabt, see
# wasm-assets/build/install-toolchain.sh).
set -euo pipefail
cd "$(dirname "$0")"

for c in bounded spin recurse; do
  # --strip-debug keeps the fixtures small (clang's wasm-opt pass drops the name section too;
  # control.wasm carries one, and these keep `producers` and `target_features`).
  clang-19 --target=wasm32-wasi -O2 -Wl,--export=eryx_fuel -Wl,--strip-debug "$c.c" -o "$c.wasm"
done
# --debug-names: a `name` section (with local names) that must survive byte for byte.
wat2wasm --debug-names control.wat -o control.wasm
wat2wasm nofuel.wat -o nofuel.wasm
wat2wasm simd.wat -o simd.wasm
wat2wasm carry.wat -o carry.wasm
wat2wasm --enable-tail-call dispatch.wat -o dispatch.wasm
ls -l ./*.wasm
