#!/usr/bin/env bash
# ./platform bench train [--shape 1m|15m|110m] [--method full|lora] [--seq 256] [--batch 8] [--steps 3]
#   [--threads N] [--device cpu|gpu|auto] [--recompute true|false] [--layer-chunk-rows N]
#   [--mmap-threshold BYTES|default] [--release-freed true|false] [--jvm-young SIZE|default]
# 1m is the first default model's shape (latent-chat-1m: dim 128, 3 layers, vocabulary 261; the default
# model is now latent-chat-2m: dim 192, 4 layers).
# AdamW training steps on random weights: one JSON line per method (both when --method is not
# given), each from its own JVM so the memory figures (VmHWM) belong to that method.
# --mmap-threshold BYTES is exported as MALLOC_MMAP_THRESHOLD_: a fixed glibc mmap threshold, so
# freed tensors go back to the kernel instead of staying resident in fragmented arenas, at 35-45%
# more CPU per step (docs/training.md, Benchmark). The default leaves glibc's dynamic threshold,
# as the training-service runs, so the figures are what a job gets.
# --jvm-young SIZE caps the bench JVM's young generation (-Xmn), e.g. 16m: DJL makes ~12 MB of
# Java garbage per step at the 15m shape (array handles, shapes), which G1 on this 2 GB heap
# collects only after ~100 MB of eden, every touched page counted in both methods' resident peak;
# 16m keeps the Java heap at ~23 MB with a young GC about once a step. The default leaves G1's own
# sizing, as the training-service's JVM runs. --release-freed false: no malloc_trim between phases.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/jdk.sh"
jdk=$(latent_find_jdk25)
target="$ROOT/libs/ml-core/target"
jar="$target/ml-core-0.1.0-SNAPSHOT.jar"
cp="$target/bench-classpath.txt"
if [ ! -f "$jar" ] || [ ! -s "$cp" ] || ! unzip -l "$jar" | grep TrainBench >/dev/null; then
  echo "bench: building libs/ml-core (jar + classpath) ..." >&2
  (cd "$ROOT" && JAVA_HOME="$jdk" ./mvnw -q -B -ntp -pl libs/ml-core package -DskipTests \
    dependency:build-classpath -Dmdep.outputFile="$cp" >&2)
fi
threads=2 methods="" mmap=default young=default args=() prev=""
for arg in "$@"; do
  case "$prev" in
    --threads) threads=$arg ;;
    --method) methods=$arg ;;
    --mmap-threshold) mmap=$arg ;;
    --jvm-young) young=$arg ;;
    *) case "$arg" in --threads | --method | --mmap-threshold | --jvm-young) ;; *) args+=("$arg") ;; esac ;;
  esac
  prev=$arg
done
if [ "$mmap" = default ]; then
  unset MALLOC_MMAP_THRESHOLD_
else
  export MALLOC_MMAP_THRESHOLD_=$mmap
fi
jvm_young=()
[ "$young" = default ] || jvm_young=("-Xmn$young")
for method in ${methods:-full lora}; do
  DJL_CACHE_DIR=${DJL_CACHE_DIR:-$target/djl-cache} \
    "$jdk/bin/java" -Xmx2g "${jvm_young[@]}" -Dai.djl.offline=true --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -Dai.djl.pytorch.num_threads="$threads" -Dai.djl.pytorch.num_interop_threads=1 \
    -cp "$jar:$(cat "$cp")" dev.latent.ml.train.bench.TrainBench --method "$method" "${args[@]}" \
    2> >(grep -v -e WARN -e '^WARNING' >&2)
done
