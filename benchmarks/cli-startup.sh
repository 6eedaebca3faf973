#!/usr/bin/env bash
# CLI cold start, for docs/performance.md "CLI cold start": wall time of whole processes.
#
#   benchmarks/cli-startup.sh [--reps N] [--launcher PATH] [--cp CLASSPATH]
#
# Every round runs each configuration once, in turn (so a burst of load on a shared machine hits
# them alike), after one untimed run per configuration (which also writes the launcher's start-up
# cache). Configurations: the launcher (./eryx) with `-c pass` and `-c 'print(1)'`, on JDK 17
# (java on PATH, or JAVA17_HOME) and Temurin 25 (JAVA25_HOME), with its start-up cache and with
# ERYX_STARTUP_CACHE=off; native CPython (the harness's build, if present); and, with --cp (the
# benchmarks module's class path), a library user's first Sandbox in a fresh JVM
# (dev.eryx.bench.StartupBreakdown first, no JVM flags). Prints medians (min-max) in ms.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPS=9
LAUNCHER="$HERE/../eryx"
CP=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --reps) REPS="$2"; shift 2 ;;
    --launcher) LAUNCHER="$2"; shift 2 ;;
    --cp) CP="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
[[ $REPS =~ ^[1-9][0-9]*$ ]] || { echo "--reps must be a positive number: $REPS" >&2; exit 2; }
[[ -x $LAUNCHER ]] || { echo "no launcher at $LAUNCHER" >&2; exit 2; }

JAVA17_HOME=${JAVA17_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
JAVA25_HOME=${JAVA25_HOME:-$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -1)}
NATIVE_PY=${NATIVE_PY:-${ERYX_BENCH_CACHE:-$HOME/.cache/eryx-bench}/cpython-3.14.7/bin/python3.14}

names=(); commands=()
add() { names+=("$1"); commands+=("$2"); }
for jdk in 17 25; do
  home=$JAVA17_HOME; [[ $jdk == 25 ]] && home=$JAVA25_HOME
  [[ -x $home/bin/java ]] || { echo "skipping JDK $jdk: no $home/bin/java" >&2; continue; }
  for cache in on off; do
    add "eryx -c pass, JDK $jdk, cache $cache" \
        "JAVA_HOME='$home' ERYX_STARTUP_CACHE=$cache '$LAUNCHER' -c pass"
    add "eryx -c 'print(1)', JDK $jdk, cache $cache" \
        "JAVA_HOME='$home' ERYX_STARTUP_CACHE=$cache '$LAUNCHER' -c 'print(1)'"
  done
  if [[ -n $CP ]]; then
    add "library: first Sandbox to print(1), JDK $jdk, no flags" \
        "'$home/bin/java' -cp '$CP' dev.eryx.bench.StartupBreakdown first"
  fi
done
if [[ -x $NATIVE_PY ]]; then
  add "native python3.14 -c pass" "'$NATIVE_PY' -c pass"
  add "native python3.14 -c 'print(1)'" "'$NATIVE_PY' -c 'print(1)'"
fi

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $REPS rounds" >&2
declare -A samples
for i in "${!names[@]}"; do
  start=$(date +%s%N)
  bash -c "${commands[$i]}" >/dev/null 2>&1 || { echo "failed: ${names[$i]}" >&2; exit 1; }
  echo "untimed first run (${names[$i]}): $(( ($(date +%s%N) - start) / 1000000 )) ms" >&2
done
for ((round = 1; round <= REPS; round++)); do
  for i in "${!names[@]}"; do
    start=$(date +%s%N)
    bash -c "${commands[$i]}" >/dev/null 2>&1 || { echo "failed: ${names[$i]}" >&2; exit 1; }
    samples[$i]+="$(( ($(date +%s%N) - start) / 1000000 )) "
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

echo "| command | median ms | min-max ms |"
echo "|---|---:|---:|"
for i in "${!names[@]}"; do
  read -ra xs <<<"${samples[$i]}"
  mapfile -t sorted < <(printf '%s\n' "${xs[@]}" | sort -n)
  n=${#sorted[@]}
  if (( n % 2 )); then median=${sorted[n / 2]}; else median=$(( (sorted[n / 2 - 1] + sorted[n / 2]) / 2 )); fi
  echo "| ${names[$i]} | $median | ${sorted[0]}-${sorted[n - 1]} |"
done
