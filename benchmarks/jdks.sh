# Sourced by the benchmark scripts (profile.sh, run.sh) after their options are read: the JDKs eryx
# runs on, and the benchmarks module's class path. Needs ROOT (the repository) and TARGET
# (benchmarks/target); sets JAVA17, JAVA25, JDK25=0 when there is no JDK 25, and bench_classpath.
#
# Environment: JAVA17_HOME, JAVA25_HOME (defaults: java on PATH / Temurin 25).

JAVA17=${JAVA17_HOME:+$JAVA17_HOME/bin/java}; JAVA17=${JAVA17:-java}
JAVA25=${JAVA25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
[[ -x $JAVA25 ]] || { echo "no Temurin 25 at $JAVA25: skipping JDK 25" >&2; JDK25=0; }

# bench_classpath BUILD: sets CP to the benchmarks module's jar and its runtime dependencies,
# building them first (mvn package, tests skipped) when BUILD is 1.
bench_classpath() {
  if [[ $1 == 1 ]]; then
    printf '\n== %s\n' "building eryx and the benchmarks module (mvn package, tests skipped)" >&2
    (cd "$ROOT" && mvn -B -q -pl benchmarks -am package dependency:copy-dependencies \
        -DskipTests -DincludeScope=runtime 2>&1 | grep -v 'using interpreted mode' >&2) || true
  fi
  local jar
  jar=$(ls "$TARGET"/eryx-benchmarks-*.jar 2>/dev/null | head -1) || true
  [[ -n $jar && -d $TARGET/dependency ]] || { echo "benchmarks module not built" >&2; exit 1; }
  CP="$jar:$(ls "$TARGET"/dependency/*.jar | tr '\n' ':')"
}
