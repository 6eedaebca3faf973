#!/usr/bin/env bash
# One command for the side-by-side benchmark table (issue 4): workload x runtime, median ms,
# ratio to native CPython 3.14.7 and to the same python.wasm under Node's WASI (V8).
# Prints the table and writes it to benchmarks/target/results.md (raw JSON in target/raw/).
#
#   benchmarks/run.sh [--quick] [--no-build] [--graalpy] [--jmh] [--loadtest|--server] [--startup] [--limits] [--pool] [--https] [--no-jdk17] [--no-jdk25] [--no-interleave]
#                     [--workloads fib,loops,...]
#   benchmarks/run.sh --soak [minutes] [--no-build] [--soak-exclude attack,...]
#   benchmarks/run.sh --spark [rows] [--no-build] [--rounds N]
#
#   --quick       fewer repetitions and shorter warm-ups (a smoke run, not for the docs)
#   --no-interleave  run each runtime on all workloads in turn (the old order) instead of every
#                 runtime on one workload, then the next (the default: each ratio to native then has
#                 its baseline from the same minutes; start-up samples come from the first round)
#   --no-build    reuse the last build of the benchmarks module (target/ and target/dependency/)
#   --graalpy     also run GraalPy 25.0.1 (fetches ~190 MB of jars once; slow to warm up)
#   --jmh         also run the JMH benchmarks (in-JVM figures; adds ~10 minutes)
#   --loadtest    also run the loopback load test of the execution server, 8 clients on /v1/execute and
#                 on session executes (benchmarks/loadtest.sh; --server is the same)
#   --startup     also measure CLI cold start (benchmarks/cli-startup.sh) and guest memory per sandbox
#                 (dev.eryx.bench.GuestMemoryMeasurements); needs the launcher built (mvn install)
#   --limits      also measure how late timeouts and cancel() stop hard-to-interrupt guest work
#                 (dev.eryx.bench.StopLatency, ~2 minutes; docs/security.md "Stop latency")
#   --pool        also measure pool and snapshot latencies (dev.eryx.bench.PoolMeasurements, ~2 minutes
#                 per JDK; docs/performance.md "Pools and snapshots")
#   --https       also measure urllib.request.urlopen of a 1 MiB HTTPS response on loopback, eryx vs the
#                 machine's python3 (or $ERYX_NATIVE_PYTHON) in one run (dev.eryx.bench.HttpsFetch;
#                 docs/performance.md "HTTPS fetch")
#   --soak [min]  only the soak (dev.eryx.bench.Soak; docs/security.md "Soak"): a pool of 4 under 8
#                 clients, benign requests and attacks, for min minutes (default 10), on the default
#                 JDK; exits non-zero on a lost or wrong answer or growth. Output in target/soak.txt.
#                 --soak-exclude names attacks to leave out (the names are printed at the start).
#   --spark [rows] only the Spark measurement (dev.eryx.bench.SparkScaling; docs/scale-out.md
#                 "Measured"): rows (default 2000) through PythonEvaluation in local[1] and local[2]
#                 against the same rows through a SandboxPool of the same size in the same JVM,
#                 alternated pool, Spark, Spark, pool; --rounds N repeats that (default 1). On the
#                 default JDK (JAVA17_HOME). Output in target/spark-scaling.md.
#
# Environment overrides:
#   ERYX_PYTHON_WASM      python.wasm for the Node runner (default: the committed one; it must export eryx_exec)
#   ERYX_CPYTHON_TARBALL  a local python3.14_3.14.7.orig.tar.xz instead of downloading it
#   ERYX_BENCH_CACHE      cache of the native build and GraalPy jars (default ~/.cache/eryx-bench)
#   JAVA17_HOME, JAVA25_HOME  the JDKs eryx runs on (defaults: java on PATH / Temurin 25)
#   REPS, WARMUP, WARMUP_SECONDS, STARTUP_REPS   repetition counts (see the defaults below)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
TARGET=$HERE/target
RAW=$TARGET/raw
CACHE=${ERYX_BENCH_CACHE:-$HOME/.cache/eryx-bench}
export ERYX_BENCH_CACHE=$CACHE

QUICK=0 BUILD=1 GRAALPY=0 JMH=0 LOADTEST=0 STARTUP=0 LIMITS=0 POOL=0 HTTPS=0 JDK17=1 JDK25=1 WORKLOADS=""
SOAK=0 SOAK_MINUTES=10 SOAK_EXCLUDE=""
SPARK=0 SPARK_ROWS=2000 SPARK_ROUNDS=1 INTERLEAVE=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) QUICK=1 ;;
    --no-build) BUILD=0 ;;
    --graalpy) GRAALPY=1 ;;
    --jmh) JMH=1 ;;
    --loadtest|--server) LOADTEST=1 ;;
    --startup) STARTUP=1 ;;
    --limits) LIMITS=1 ;;
    --pool) POOL=1 ;;
    --https) HTTPS=1 ;;
    --no-jdk17) JDK17=0 ;;
    --no-jdk25) JDK25=0 ;;
    --no-interleave) INTERLEAVE=0 ;;
    --workloads) WORKLOADS=$2; shift ;;
    --soak) SOAK=1; if [[ ${2:-} =~ ^[0-9]+([.][0-9]+)?$ ]]; then SOAK_MINUTES=$2; shift; fi ;;
    --soak-exclude) SOAK_EXCLUDE=$2; shift ;;
    --spark) SPARK=1; if [[ ${2:-} =~ ^[0-9]+$ ]]; then SPARK_ROWS=$2; shift; fi ;;
    --rounds) SPARK_ROUNDS=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [[ $QUICK == 1 ]]; then
  REPS=${REPS:-3} WARMUP=${WARMUP:-1} WARMUP_SECONDS=${WARMUP_SECONDS:-1} STARTUP_REPS=${STARTUP_REPS:-3}
else
  REPS=${REPS:-7} WARMUP=${WARMUP:-3} WARMUP_SECONDS=${WARMUP_SECONDS:-10} STARTUP_REPS=${STARTUP_REPS:-11}
fi

# shellcheck source=jdks.sh
source "$HERE/jdks.sh"

WASM_DIR=$ROOT/wasm-assets/src/main/resources/dev/eryx/wasm
PYTHON_WASM=${ERYX_PYTHON_WASM:-$WASM_DIR/python.wasm}
WORKLOAD_DIR=$HERE/src/main/resources/workloads
if [[ -n $WORKLOADS ]]; then
  FILES=(); IFS=, read -ra names <<<"$WORKLOADS"
  for n in "${names[@]}"; do FILES+=("$WORKLOAD_DIR/$n.py"); done
else
  FILES=("$WORKLOAD_DIR"/*.py)
fi

log() { printf '\n== %s\n' "$*" >&2; }
mkdir -p "$RAW"
rm -f "$RAW"/*.json
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u +%Y-%m-%dT%H:%MZ)

# --- build ------------------------------------------------------------------------------------
bench_classpath "$BUILD"

if [[ $SOAK == 1 ]]; then
  log "soak: $SOAK_MINUTES minutes on $("$JAVA17" -version 2>&1 | head -1)"
  SOAK_ARGS=("$SOAK_MINUTES"); [[ -n $SOAK_EXCLUDE ]] && SOAK_ARGS+=(--exclude "$SOAK_EXCLUDE")
  # The host heap holds the sandboxes' guest memory (4 x 256 MiB at most) and the attacks' results.
  "$JAVA17" -Xmx4g -cp "$CP" dev.eryx.bench.Soak "${SOAK_ARGS[@]}" | tee "$TARGET/soak.txt"
  exit "${PIPESTATUS[0]}"
fi

if [[ $SPARK == 1 ]]; then
  log "Spark local[1] and local[2] vs a pool of the same size: $SPARK_ROWS rows, $SPARK_ROUNDS round(s)"
  # The add-opens Spark's launcher passes its JVMs on JDK 17, kept in one place: the root pom.
  OPENS=$(sed -n 's:.*<spark.test.opens>\(.*\)</spark.test.opens>.*:\1:p' "$ROOT/pom.xml")
  [[ -n $OPENS ]] || { echo "no spark.test.opens in pom.xml" >&2; exit 1; }
  # shellcheck disable=SC2086 # OPENS is a list of JVM flags
  "$JAVA17" -Xmx6g $OPENS -cp "$CP" dev.eryx.bench.SparkScaling "$SPARK_ROWS" "$SPARK_ROUNDS" \
    "$TARGET/spark-scaling.md"
  exit $?
fi

log "native CPython 3.14.7 (built from the pinned source, cached in $CACHE)"
NATIVE_PY=$("$HERE/native/build-cpython.sh" | tail -1)

# --- runners ----------------------------------------------------------------------------------
if ! node -e "const m=new WebAssembly.Module(require('fs').readFileSync(process.argv[1]));
    process.exit(WebAssembly.Module.exports(m).some(e=>e.name==='eryx_exec')?0:1)" "$PYTHON_WASM"; then
  echo "$PYTHON_WASM does not export eryx_exec: set ERYX_PYTHON_WASM to a reactor build" >&2
  exit 1
fi
NODE_ROOT=$TARGET/node-root
rm -rf "$NODE_ROOT"; mkdir -p "$NODE_ROOT/usr/local/lib/python3.14" "$NODE_ROOT/usr/local/lib/eryx"
unzip -q "$WASM_DIR/stdlib.zip" -d "$NODE_ROOT/usr/local/lib/python3.14"
cp -r "$ROOT/wasm-assets/src/main/python/eryx" "$NODE_ROOT/usr/local/lib/eryx/eryx"
G=$CACHE/graalpy-25.0.1
if [[ $GRAALPY == 1 && ! -f $G/compiler/compiler-25.0.1.jar ]]; then
  log "fetching GraalPy 25.0.1 jars (Maven Central, ~190 MB, once)"
  mkdir -p "$G/lib" "$G/compiler"
  (cd "$HERE/graalpy" && mvn -B -q dependency:copy-dependencies -DoutputDirectory="$G/all" -DincludeTypes=jar)
  mv "$G"/all/compiler-25.0.1.jar "$G/compiler/" && mv "$G"/all/*.jar "$G/lib/" && rm -rf "$G/all"
fi

# Each runner: <out.json> <start-up samples> <workload file>...
run_native() {
  local out=$1 startup=$2; shift 2
  "$NATIVE_PY" "$HERE/native/runner.py" "$WARMUP" "$REPS" "$startup" "$@" >"$out" || echo "native runner failed" >&2
}
# Node 20.20's V8 crashed intermittently in this runner (segfaults, corrupted JS bindings) when one
# process held several python.wasm instances; it ran reliably with at most three instances (two
# start-up samples + the warm one) and TurboFan only (--no-liftoff, V8's best steady-state code).
run_node() {
  local out=$1; shift 2
  for attempt in 1 2 3; do
    node --no-warnings --no-liftoff "$HERE/node/run.mjs" --wasm "$PYTHON_WASM" --root "$NODE_ROOT" --warmup "$WARMUP" \
      --warmup-seconds "$(( WARMUP_SECONDS / 2 ))" --reps "$REPS" --startup-reps 1 "$@" >"$out" && return
    echo "node runner failed (attempt $attempt)" >&2; : >"$out"
  done
}
run_eryx() {
  local java=$1 out=$2 startup=$3; shift 3
  local names; names=$(for f in "$@"; do basename "$f" .py; done | paste -sd,)
  "$java" -cp "$CP" dev.eryx.bench.EryxRunner "$out" "$WARMUP" "$REPS" "$startup" "$WARMUP_SECONDS" "$names" \
    || echo "eryx runner ($java) failed" >&2
}
run_graalpy() {
  local out=$1 startup=$2; shift 2
  "$JAVA25" --module-path "$G/lib" --upgrade-module-path "$G/compiler" \
    --add-modules org.graalvm.polyglot,org.graalvm.py --enable-native-access=org.graalvm.truffle \
    -XX:+UnlockExperimentalVMOptions -XX:+EnableJVMCI \
    "$HERE/graalpy/GraalPyRunner.java" "$out" "$WARMUP" "$REPS" "$(( startup < 4 ? startup : 4 ))" \
    "$(( WARMUP_SECONDS * 2 ))" "$@" 2> >(grep -v '^WARNING' >&2) || echo "GraalPy runner failed" >&2
}
# One round: every runtime on the given workloads, native first and again last (brackets the drift).
run_round() {
  local tag=$1 startup=$2; shift 2
  log "native [$tag]: $NATIVE_PY"
  run_native "$RAW/parts/native.$tag.json" "$startup" "$@"
  log "node WASI (V8) [$tag]: $PYTHON_WASM"
  run_node "$RAW/parts/node.$tag.json" "$startup" "$@"
  if [[ $JDK17 == 1 ]]; then
    log "eryx [$tag] on $("$JAVA17" -version 2>&1 | head -1) (no JVM flags)"
    run_eryx "$JAVA17" "$RAW/parts/eryx-jdk17.$tag.json" "$startup" "$@"
  fi
  if [[ $JDK25 == 1 ]]; then
    log "eryx [$tag] on $("$JAVA25" -version 2>&1 | head -1) (no JVM flags)"
    run_eryx "$JAVA25" "$RAW/parts/eryx-jdk25.$tag.json" "$startup" "$@"
  fi
  if [[ $GRAALPY == 1 ]]; then
    log "GraalPy 25.0.1 [$tag] on Temurin 25, optimizing runtime (Graal JIT through JVMCI)"
    run_graalpy "$RAW/parts/graalpy.$tag.json" "$startup" "$@"
  fi
  log "native again [$tag] (brackets the machine's load drift)"
  run_native "$RAW/parts/native-rerun.$tag.json" 1 "$@"
}
rm -rf "$RAW/parts"; mkdir -p "$RAW/parts"
if [[ $INTERLEAVE == 1 ]]; then
  # Every runtime on one workload, then the next: each ratio's baseline comes from the same minutes.
  # The first round takes the start-up samples; the others take one each (left out of the report).
  round=0
  for f in "${FILES[@]}"; do
    startup=1; [[ $round == 0 ]] && startup=$STARTUP_REPS
    run_round "$(printf '%02d' "$round")-$(basename "$f" .py)" "$startup" "$f"
    round=$((round + 1))
  done
else
  run_round all "$STARTUP_REPS" "${FILES[@]}"
fi
# Per runtime, one JSON: the first part's start-up figures and every part's workloads.
for rt in native node eryx-jdk17 eryx-jdk25 graalpy native-rerun; do
  python3 - "$RAW/$rt.json" "$RAW"/parts/"$rt".*.json <<'PY' || echo "merging $rt failed" >&2
import json, sys
merged = None
for path in sorted(sys.argv[2:]):
    try:
        with open(path, encoding="utf-8") as f:
            part = json.load(f)
    except (OSError, ValueError):
        continue  # a failed runner wrote nothing: its workloads show as missing
    if merged is None:
        merged = part
    else:
        merged.setdefault("workloads", {}).update(part.get("workloads", {}))
if merged is not None:
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(merged, f)
PY
done

# --- report -----------------------------------------------------------------------------------
HEADER=$TARGET/header.md
if [[ $INTERLEAVE == 1 ]]; then
  ORDER="interleaved: every runtime on one workload in a process of its own, native first and again last, then the next workload"
else
  ORDER="in one interpreter per runtime, runtime after runtime"
fi
cat >"$HEADER" <<HDR
## Side-by-side results ($STARTED)

Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'),
$(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM; load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)
(other builds share this machine: treat differences under ~20% as noise).
Repetitions: $REPS timed per workload and runtime after a warm-up of at least $WARMUP executions
(and at least ${WARMUP_SECONDS} s for eryx, $(( WARMUP_SECONDS / 2 )) s for V8, $(( WARMUP_SECONDS * 2 )) s for GraalPy), $ORDER;
start-up: $STARTUP_REPS samples. python.wasm sha256 $(sha256sum "$PYTHON_WASM" | cut -c1-16)….
HDR
REPORT_ARGS=("native=native CPython=$RAW/native.json" "node=V8 (Node WASI)=$RAW/node.json"
             "native2=native CPython (again, after the others)=$RAW/native-rerun.json"
             "eryx17=eryx JDK 17=$RAW/eryx-jdk17.json" "eryx25=eryx JDK 25=$RAW/eryx-jdk25.json")
if [[ -f $RAW/graalpy.json ]]; then
  MODE=$(sed -n 's/.*"mode": *"\([^"]*\)".*/\1/p' "$RAW/graalpy.json")
  [[ $MODE == Interpreted ]] && MODE="NOT optimizing: fallback runtime"
  REPORT_ARGS+=("graalpy=GraalPy ($MODE)=$RAW/graalpy.json")
fi
log "report"
"$JAVA17" -cp "$CP" dev.eryx.bench.Report "$TARGET/results.md" "$HEADER" "${REPORT_ARGS[@]}"

if [[ $JMH == 1 ]]; then
  log "JMH (in-JVM figures, Temurin 25 if present)"
  JMH_JAVA=$JAVA17; [[ $JDK25 == 1 ]] && JMH_JAVA=$JAVA25
  JMH_OPTS=(); [[ $QUICK == 1 ]] && JMH_OPTS=(-wi 1 -w 2s -i 2 -r 2s)
  "$JMH_JAVA" -cp "$CP" org.openjdk.jmh.Main "${JMH_OPTS[@]}" -rf json -rff "$TARGET/jmh.json" \
    'dev.eryx.bench.jmh.*' | tee "$TARGET/jmh.txt"
fi
if [[ $LOADTEST == 1 ]]; then
  log "loopback load test of the execution server (POST /v1/execute, session executes; 8 clients)"
  LT_OPTS=(--markdown --clients 8); [[ $QUICK == 1 ]] && LT_OPTS+=(--requests 100 --warmup 5)
  "$HERE/loadtest.sh" --no-build "${LT_OPTS[@]}" | tee "$TARGET/loadtest.txt" || echo "load test failed" >&2
fi
if [[ $STARTUP == 1 ]]; then
  log "CLI cold start (whole processes) and guest memory per sandbox"
  ST_REPS=9; [[ $QUICK == 1 ]] && ST_REPS=3
  "$HERE/cli-startup.sh" --reps "$ST_REPS" --cp "$CP" | tee "$TARGET/cli-startup.txt" || echo "CLI start-up run failed" >&2
  "$JAVA17" -cp "$CP" dev.eryx.bench.GuestMemoryMeasurements | tee "$TARGET/guest-memory.txt" \
    || echo "guest memory measurements failed" >&2
fi
# Runs a harness class on each JDK the run uses: on_each_jdk <output file> <class> [args...]
on_each_jdk() {
  local out=$1 java; shift
  local javas=(); [[ $JDK17 == 1 ]] && javas+=("$JAVA17"); [[ $JDK25 == 1 ]] && javas+=("$JAVA25")
  : >"$out"
  for java in "${javas[@]}"; do
    "$java" -cp "$CP" "$@" | tee -a "$out" || echo "$1 ($java) failed" >&2
  done
}
if [[ $LIMITS == 1 ]]; then
  log "stop latency of timeouts and cancel() (on each JDK the run uses)"
  SL_ARGS=(11); [[ $QUICK == 1 ]] && SL_ARGS=(3)
  on_each_jdk "$TARGET/stop-latency.txt" dev.eryx.bench.StopLatency "${SL_ARGS[@]}"
fi
if [[ $POOL == 1 ]]; then
  log "pool and snapshot latencies (on each JDK the run uses)"
  PM_ARGS=(50 3 30); [[ $QUICK == 1 ]] && PM_ARGS=(10 1 0)
  on_each_jdk "$TARGET/pool.txt" dev.eryx.bench.PoolMeasurements "${PM_ARGS[@]}"
fi
if [[ $HTTPS == 1 ]]; then
  log "HTTPS fetch of 1 MiB on loopback, eryx vs native python3 (on each JDK the run uses)"
  HF_ARGS=(15 5); [[ $QUICK == 1 ]] && HF_ARGS=(3 1)
  on_each_jdk "$TARGET/https-fetch.txt" dev.eryx.bench.HttpsFetch "${HF_ARGS[@]}"
fi
echo "written: $TARGET/results.md" >&2
