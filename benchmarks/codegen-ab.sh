#!/usr/bin/env bash
# Issue 19, lever 5 (docs/performance.md, "Lever 5: our own code generation (prototype)"): builds
# a variant of the eryx-wasm-assets jar whose generated classes wasm-assets/build/tools/Codegen.java
# rewrote, checks it against Chicory's own (CodegenAb diff: identical output and fuel), then times
# both in one JVM, A B B A (CodegenAb ab), on JDK 17 and Temurin 25.
#
# usage: benchmarks/codegen-ab.sh [--no-build] [--no-diff] [--no-jdk17] [--no-jdk25]
#                                 [--workloads a,b|all] [--warmup-seconds S] [--rounds N]
#                                 [--no-interrupt-variant] [--no-paged-variants]
#
# Variants: base (the jar as built), codegen (rewritten), unless --no-interrupt-variant,
# codegen-noint (also without Chicory's checkInterruption calls: only to measure what they cost;
# eryx's hard stop needs them), and unless --no-paged-variants, codegen-pagedloads,
# codegen-paged and codegen-paged-bytes (codegen with PagedMemory's fast path inline at the loads;
# at loads and stores; the same assembling bytes instead of byte-array views: Codegen
# --inline-paged-loads [--inline-paged-stores] [--paged-bytes]). ASM comes from the local Maven
# repository at the version Chicory's compiler uses. Output: benchmarks/target/codegen/ (jars,
# Codegen's reports, diff.txt, ab-jdk17.md, ab-jdk25.md). Environment: JAVA17_HOME, JAVA25_HOME.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
TARGET=$HERE/target
OUT=$TARGET/codegen
ASM_VERSION=9.9.1 # what Chicory 1.7.5's compiler is built with

BUILD=1 DIFF=1 JDK17=1 JDK25=1 NOINT=1 PAGED=1 WORKLOADS=fib,regex,loops WARMUP_SECONDS=8 ROUNDS=7
while [[ $# -gt 0 ]]; do
  case $1 in
    --no-build) BUILD=0 ;;
    --no-diff) DIFF=0 ;;
    --no-jdk17) JDK17=0 ;;
    --no-jdk25) JDK25=0 ;;
    --no-interrupt-variant) NOINT=0 ;;
    --no-paged-variants) PAGED=0 ;;
    --workloads) WORKLOADS=$2; shift ;;
    --warmup-seconds) WARMUP_SECONDS=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '\n== %s\n' "$*" >&2; }
# shellcheck source=jdks.sh
source "$HERE/jdks.sh"

bench_classpath "$BUILD"
BASE=$(ls "$TARGET"/dependency/eryx-wasm-assets-*.jar | head -1)
# Each variant's class loader adds its own wasm-assets jar.
CP=$(tr ':' '\n' <<<"$CP" | grep -v '/eryx-wasm-assets-' | paste -sd:)

mkdir -p "$OUT/asm"
for a in asm asm-tree; do
  [[ -f $OUT/asm/$a-$ASM_VERSION.jar ]] || (cd "$HERE" && mvn -B -o -q dependency:copy \
      -Dartifact=org.ow2.asm:$a:$ASM_VERSION:jar -DoutputDirectory="$OUT/asm" >&2)
done
CHICORY=$(ls "$TARGET"/dependency/{runtime,wasm}-*.jar | tr '\n' ':')
TOOL_CP="$OUT/asm/asm-$ASM_VERSION.jar:$OUT/asm/asm-tree-$ASM_VERSION.jar:$CHICORY"

cp "$BASE" "$OUT/base.jar"
VARIANTS=(base="$OUT/base.jar" codegen="$OUT/codegen.jar")
log "Codegen: rewriting $(basename "$BASE")"
"$JAVA17" -Xmx3g -cp "$TOOL_CP" "$ROOT/wasm-assets/build/tools/Codegen.java" \
    "$OUT/base.jar" "$OUT/codegen.jar" --verify | tee "$OUT/codegen-report.txt"
if [[ $NOINT == 1 ]]; then
  "$JAVA17" -Xmx3g -cp "$TOOL_CP" "$ROOT/wasm-assets/build/tools/Codegen.java" \
      "$OUT/base.jar" "$OUT/codegen-noint.jar" --no-interrupt-checks --verify \
      | tee "$OUT/codegen-noint-report.txt"
  VARIANTS+=(codegen-noint="$OUT/codegen-noint.jar")
fi
if [[ $PAGED == 1 ]]; then
  for v in pagedloads:--inline-paged-loads paged:--inline-paged-loads,--inline-paged-stores \
      paged-bytes:--inline-paged-loads,--inline-paged-stores,--paged-bytes; do
    name=codegen-${v%%:*}
    IFS=, read -ra opts <<<"${v#*:}"
    "$JAVA17" -Xmx3g -cp "$TOOL_CP" "$ROOT/wasm-assets/build/tools/Codegen.java" \
        "$OUT/base.jar" "$OUT/$name.jar" "${opts[@]}" --verify | tee "$OUT/$name-report.txt"
    VARIANTS+=("$name=$OUT/$name.jar")
  done
fi

if [[ $DIFF == 1 ]]; then
  log "differential test (suite + corpus) on $("$JAVA17" -version 2>&1 | head -1)"
  "$JAVA17" -cp "$CP" dev.eryx.bench.CodegenAb diff "${VARIANTS[@]}" | tee "$OUT/diff.txt"
fi

ab() { # NAME JAVA
  log "A/B on $("$2" -version 2>&1 | head -1): $WORKLOADS, ${WARMUP_SECONDS}s warm-up, $ROUNDS rounds"
  nice -n 5 "$2" -cp "$CP" dev.eryx.bench.CodegenAb ab "$OUT/ab-$1.md" "$WARMUP_SECONDS" "$ROUNDS" \
      "$WORKLOADS" "${VARIANTS[@]}"
}
[[ $JDK17 == 1 ]] && ab jdk17 "$JAVA17"
[[ $JDK25 == 1 ]] && ab jdk25 "$JAVA25"
log "done: $OUT"
