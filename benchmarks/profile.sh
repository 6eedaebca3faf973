#!/usr/bin/env bash
# Where the warm suite's time goes: async-profiler (cpu and wall, frame types) on JDK 17 and
# Temurin 25, and V8's own CPU profile of the same python.wasm under Node; one table by category
# (docs/performance.md, "Lever 1").
#
# usage: benchmarks/profile.sh [--no-build] [--no-jdk17] [--no-jdk25] [--no-node]
#                              [--workloads a,b] [--warmup-seconds S] [--profile-seconds S]
#
# The profiler comes from Maven as tools.profiler:async-profiler:4.2 (sha256 pinned below), fetched
# once into $ERYX_BENCH_CACHE (default ~/.cache/eryx-bench); its linux-x64 library is extracted
# next to it. Output: benchmarks/target/profile/{jdk17,jdk25,node}/ (raw profiles) and
# benchmarks/target/profile/profile.md (the table). Function names of the generated code (func_N)
# and of V8's wasm frames are mapped with the name section of python.unstripped.wasm, taken from
# $ERYX_UNSTRIPPED_WASM (default: the build cache's out-trampoline/python.unstripped.wasm) when it
# belongs to the python.wasm profiled (its build's SHA256SUMS names the same python.wasm).
# Environment: JAVA17_HOME, JAVA25_HOME, ERYX_PYTHON_WASM (for Node), ERYX_BUILD_DIR.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
TARGET=$HERE/target
OUT=$TARGET/profile
CACHE=${ERYX_BENCH_CACHE:-$HOME/.cache/eryx-bench}

AP_VERSION=4.2
AP_SHA256=445b7bdc6a3ed03d45a9d4b61b5a5fc072b3e9952d7f2b63722312f48ea9ee18

BUILD=1 JDK17=1 JDK25=1 NODE=1 WORKLOADS=all WARMUP_SECONDS=10 PROFILE_SECONDS=8
while [[ $# -gt 0 ]]; do
  case $1 in
    --no-build) BUILD=0 ;;
    --no-jdk17) JDK17=0 ;;
    --no-jdk25) JDK25=0 ;;
    --no-node) NODE=0 ;;
    --workloads) WORKLOADS=$2; shift ;;
    --warmup-seconds) WARMUP_SECONDS=$2; shift ;;
    --profile-seconds) PROFILE_SECONDS=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '\n== %s\n' "$*" >&2; }
# shellcheck source=jdks.sh
source "$HERE/jdks.sh"
WASM_DIR=$ROOT/wasm-assets/src/main/resources/dev/eryx/wasm
PYTHON_WASM=${ERYX_PYTHON_WASM:-$WASM_DIR/python.wasm}
BUILD_DIR=${ERYX_BUILD_DIR:-/tmp/eryx-wasm-build}
UNSTRIPPED=${ERYX_UNSTRIPPED_WASM:-$BUILD_DIR/out-trampoline/python.unstripped.wasm}

# --- the profiler, by pinned coordinates ---------------------------------------------------------
AP_DIR=$CACHE/async-profiler-$AP_VERSION
AP_JAR=$AP_DIR/async-profiler-$AP_VERSION.jar
if [[ ! -f $AP_JAR ]]; then
  log "fetching tools.profiler:async-profiler:$AP_VERSION"
  mkdir -p "$AP_DIR"
  (cd "$HERE" && mvn -B -q dependency:copy -Dartifact=tools.profiler:async-profiler:$AP_VERSION:jar \
      -DoutputDirectory="$AP_DIR" -Dmdep.overWriteReleases=true >&2)
fi
echo "$AP_SHA256  $AP_JAR" | sha256sum -c --quiet - \
  || { echo "$AP_JAR does not have the pinned sha256 $AP_SHA256" >&2; exit 1; }
AP_LIB=$AP_DIR/linux-x64/libasyncProfiler.so
[[ -f $AP_LIB ]] || (cd "$AP_DIR" && unzip -q -o "$AP_JAR" 'linux-x64/libasyncProfiler.so')

# --- build -------------------------------------------------------------------------------------------
bench_classpath "$BUILD"
CP="$CP$AP_JAR"

mkdir -p "$OUT"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
profile_jvm() { # NAME JAVA
  log "async-profiler on $("$2" -version 2>&1 | head -1) (no JVM flags)"
  rm -rf "${OUT:?}/$1"
  "$2" -cp "$CP" dev.eryx.bench.ProfileRunner "$OUT/$1" "$WARMUP_SECONDS" "$PROFILE_SECONDS" \
    "$WORKLOADS" "$AP_LIB"
}
[[ $JDK17 == 1 ]] && profile_jvm jdk17 "$JAVA17"
[[ $JDK25 == 1 ]] && profile_jvm jdk25 "$JAVA25"

if [[ $NODE == 1 ]]; then
  log "V8 CPU profile (node --no-liftoff): $PYTHON_WASM"
  NODE_ROOT=$TARGET/node-root
  rm -rf "$NODE_ROOT" "${OUT:?}/node"
  mkdir -p "$NODE_ROOT/usr/local/lib/python3.14" "$NODE_ROOT/usr/local/lib/eryx"
  unzip -q "$WASM_DIR/stdlib.zip" -d "$NODE_ROOT/usr/local/lib/python3.14"
  cp -r "$ROOT/wasm-assets/src/main/python/eryx" "$NODE_ROOT/usr/local/lib/eryx/eryx"
  if [[ $WORKLOADS == all ]]; then FILES=("$HERE"/src/main/resources/workloads/*.py)
  else FILES=(); IFS=, read -ra names <<<"$WORKLOADS"
    for n in "${names[@]}"; do FILES+=("$HERE/src/main/resources/workloads/$n.py"); done
  fi
  # run.sh's retries: Node 20.20's V8 crashes intermittently with several instances (see Method).
  for attempt in 1 2 3; do
    node --no-warnings --no-liftoff "$HERE/node/run.mjs" --wasm "$PYTHON_WASM" --root "$NODE_ROOT" \
      --warmup 3 --warmup-seconds 5 --reps 20 --startup-reps 1 --profile-dir "$OUT/node" \
      "${FILES[@]}" >"$OUT/node.json" && break
    echo "node runner failed (attempt $attempt)" >&2
  done
fi

NAMES_ARG=()
if [[ -f $UNSTRIPPED && -f $(dirname "$UNSTRIPPED")/SHA256SUMS ]] \
    && grep -q "$(sha256sum "$PYTHON_WASM" | cut -d' ' -f1)  python.wasm" "$(dirname "$UNSTRIPPED")/SHA256SUMS"; then
  NAMES_ARG=(--names "$UNSTRIPPED")
else
  echo "no python.unstripped.wasm of this python.wasm: generated functions stay func_N" >&2
fi
python3 "$HERE/profile_report.py" "$OUT" "${NAMES_ARG[@]}" \
  --header "$(date -u +%Y-%m-%dT%H:%MZ), python.wasm $(sha256sum "$PYTHON_WASM" | cut -c1-8)…, load $LOAD_BEFORE → $(cut -d' ' -f1-3 /proc/loadavg)" \
  >"$OUT/profile.md"
cat "$OUT/profile.md"
