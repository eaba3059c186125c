#!/usr/bin/env bash
# ./platform bench gateway [--rps 1000] [--seconds 30]
# Open-loop load against a stub backend: direct, through a routing-only gateway, and through a
# metering gateway (keys + limits + budget reservation + ledger). One JSON line per mode.
# Options: --modes direct,routed,metered  --warmup <s> (default half of --seconds)  --ledger postgres
#   --gateway-cpus 1 --bench-cpus 0: pin the gateways and the load generator + stub to separate CPUs
#   (taskset lists), so that the gateway's latency is not the generator's queue.
# Set LATENT_BENCH_SKIP_BUILD=1 to reuse gateway/target (jar, test classes, bench.classpath).
# LATENT_BENCH_GATEWAY_OPTS="…": extra JVM options for the gateways (a -XX:+Use…GC there replaces
#   the shipped collector; %m → routed/metered), e.g. -XX:StartFlightRecording=filename=/tmp/gw-%m.jfr
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/jdk.sh"
JAVA_HOME=$(latent_find_jdk25)
export JAVA_HOME
cd "$ROOT"
if [ "${LATENT_BENCH_SKIP_BUILD:-0}" != 1 ] || [ ! -f gateway/target/bench.classpath ]; then
  ./mvnw -q -B -ntp -pl gateway -am package dependency:build-classpath -DskipTests \
    -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
fi
# A copy of the classes and the jar: a build of the module during the run (it takes minutes) would
# otherwise change them under the running bench and gateways.
SNAPSHOT=$(mktemp -d "${TMPDIR:-/tmp}/latent-bench-gateway.XXXXXX")
trap 'rm -rf "$SNAPSHOT"' EXIT
cp -r gateway/target/test-classes gateway/target/classes gateway/target/gateway.jar "$SNAPSHOT/"
CP="$SNAPSHOT/test-classes:$SNAPSHOT/classes:$(cat gateway/target/bench.classpath)"
# The gateways run with the JVM options ./platform up gives the gateway (its heap + gateway/jvm.options).
. "$ROOT/scripts/platform-services.sh"
"$JAVA_HOME/bin/java" -Xmx512m -cp "$CP" dev.latent.gateway.bench.GatewayBench \
  --jar "$SNAPSHOT/gateway.jar" --java "$JAVA_HOME/bin/java" --gateway-jvm "$(service_java_opts gateway)" "$@"
