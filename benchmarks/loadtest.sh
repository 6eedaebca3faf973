#!/usr/bin/env bash
# Bounded loopback load test of the execution server (EryxServer, as `eryx serve` runs it), started
# in-process on 127.0.0.1 with a bearer token: POST /v1/execute, then POST /v1/sessions/{id}/execute
# (a session per client). Prints requests/s and p50/p90/p99 latency of each at N concurrent clients;
# exits 1 if any request failed.
#
#   benchmarks/loadtest.sh [--no-build] [--clients 8] [--requests 400] [--seconds 60] [--warmup 20]
#                          [--pool-size N] [--code 'print(1)'] [--markdown]
#
#   --no-build   reuse the last build of the benchmarks module (as benchmarks/run.sh leaves it)
#   --markdown   also print a table row for docs/performance.md
# Environment: JAVA17_HOME (the JDK to run on; default: java on PATH), ERYX_LOADTEST_OPTS (JVM options).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
TARGET=$HERE/target

BUILD=1
ARGS=()
for arg in "$@"; do
  if [[ $arg == --no-build ]]; then BUILD=0; else ARGS+=("$arg"); fi
done

if [[ $BUILD == 1 ]]; then
  echo "building the benchmarks module and what it needs (mvn package, tests skipped)" >&2
  (cd "$ROOT" && mvn -B -q -pl benchmarks -am package dependency:copy-dependencies \
      -DskipTests -DincludeScope=runtime 2>&1 | grep -v 'using interpreted mode' >&2) || true
fi
JAR=$(ls "$TARGET"/eryx-benchmarks-*.jar 2>/dev/null | head -1)
[[ -n $JAR && -d $TARGET/dependency ]] || { echo "benchmarks module not built" >&2; exit 1; }
ls "$TARGET"/dependency/eryx-server-*.jar >/dev/null 2>&1 \
  || { echo "no eryx-server jar in $TARGET/dependency: rebuild without --no-build" >&2; exit 1; }
CP="$JAR:$(ls "$TARGET"/dependency/*.jar | tr '\n' ':')"

JAVA=${JAVA17_HOME:+$JAVA17_HOME/bin/java}; JAVA=${JAVA:-java}
# shellcheck disable=SC2086 # ERYX_LOADTEST_OPTS is a list of JVM options
exec "$JAVA" ${ERYX_LOADTEST_OPTS:-} -cp "$CP" dev.eryx.bench.ServiceLoadTest "${ARGS[@]}"
