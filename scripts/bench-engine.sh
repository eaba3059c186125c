# Sourced by bench-decode.sh and bench-prefill.sh: runs dev.latent.ml.llm.bench.EngineBench from
# ml-core's jar and its dependency classpath, building them with ./mvnw when missing.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/jdk.sh"

latent_engine_bench() { # MODE ARGS...
  local mode=$1; shift
  local jdk; jdk=$(latent_find_jdk25)
  local target="$ROOT/libs/ml-core/target"
  local jar="$target/ml-core-0.1.0-SNAPSHOT.jar"
  local cp="$target/bench-classpath.txt"
  if [ ! -f "$jar" ] || [ ! -s "$cp" ]; then
    echo "bench: building libs/ml-core (jar + classpath) ..." >&2
    (cd "$ROOT" && JAVA_HOME="$jdk" ./mvnw -q -B -ntp -pl libs/ml-core package -DskipTests \
      dependency:build-classpath -Dmdep.outputFile="$cp" >&2)
  fi
  local threads=1 arg prev=""
  for arg in "$@"; do
    [ "$prev" = "--threads" ] && threads=$arg
    prev=$arg
  done
  DJL_CACHE_DIR=${DJL_CACHE_DIR:-$target/djl-cache} \
    "$jdk/bin/java" -Xmx4g -Dai.djl.offline=true --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -Dai.djl.pytorch.num_threads="$threads" -Dai.djl.pytorch.num_interop_threads=1 \
    -cp "$jar:$(cat "$cp")" dev.latent.ml.llm.bench.EngineBench --mode "$mode" "$@" 2> >(grep -v -e WARN -e '^WARNING' >&2)
}
