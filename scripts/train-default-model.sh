#!/usr/bin/env bash
# ./platform train default-model [--out models/latent-chat-2m] [--port 18083] [--KEY VALUE ...]
# Reproduces the platform's default chat model end to end through the training-service's HTTP API:
# starts a private training-service (its own LATENT_HOME under target/), then
# dev.latent.training.defaultmodel.DefaultModelPipeline uploads the generated files, runs the
# pretrain → supervised → dpo jobs, follows their events, evaluates each stage on held-out tasks and
# writes the final model, recipe.json and RESULTS.md to --out. Recipe keys (seed, dim, layers,
# sft_examples, …) are listed in DefaultModelPipeline.DEFAULTS and can be overridden here.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/jdk.sh"
jdk=$(latent_find_jdk25)
SRC=${LATENT_TRAIN_SRC:-$ROOT}   # the source tree to build and run from
out="$ROOT/models/latent-chat-2m" port=18083 args=() prev=""
for arg in "$@"; do
  [ "$prev" = "--out" ] && out=$(realpath -m "$arg")
  [ "$prev" = "--port" ] && port=$arg
  [ "$arg" != "--out" ] && [ "$prev" != "--out" ] && [ "$arg" != "--port" ] && [ "$prev" != "--port" ] && args+=("$arg")
  prev=$arg
done
target="$SRC/training-service/target"
jar="$target/training-service.jar"
cp="$target/default-model-classpath.txt"
if [ -z "${LATENT_TRAIN_NO_BUILD:-}" ] || [ ! -f "$jar" ] || [ ! -s "$cp" ]; then
  echo "train: building training-service (jar + classpath) ..." >&2
  (cd "$SRC" && JAVA_HOME="$jdk" ./mvnw -q -B -ntp -pl training-service -am package -DskipTests \
    dependency:build-classpath -Dmdep.outputFile="$cp" >&2)
fi
home="$target/default-model-home"
[ -n "${LATENT_TRAIN_KEEP_HOME:-}" ] || rm -rf "$home"   # keep it to resume (--resume_sft NAME)
mkdir -p "$home/models" "$out"
log="$home/training-service.log"
DJL_CACHE_DIR=${DJL_CACHE_DIR:-$target/djl-cache} "$jdk/bin/java" -Xmx3g --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector \
  -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 -jar "$jar" --server.port="$port" --latent.home="$home" \
  --latent.training.jobs.checkpoint-every=100000 >"$log" 2>&1 &
svc=$!
trap 'kill "$svc" 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do
  curl -sf -m 2 "http://127.0.0.1:$port/actuator/health/readiness" >/dev/null 2>&1 && break
  kill -0 "$svc" 2>/dev/null || { tail -30 "$log" >&2; echo "train: training-service exited" >&2; exit 1; }
  sleep 2
done
echo "train: training-service up on :$port (log $log), load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
DJL_CACHE_DIR=${DJL_CACHE_DIR:-$target/djl-cache} "$jdk/bin/java" -Xmx2g --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector \
  -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$target/classes:$(cat "$cp")" dev.latent.training.defaultmodel.DefaultModelPipeline \
  --url "http://127.0.0.1:$port" --store "$home/models" --work "$home/work" --out "$out" "${args[@]}" \
  2> >(grep -v -e WARN -e '^WARNING' >&2)
echo "train: done, load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
