#!/usr/bin/env bash
# ./platform bench serve [--shape tiny|15m|110m] [--concurrency 1,4,16] [--prompt 256] [--tokens 128]
#   [--requests N] [--device cpu|gpu|auto] [--max-batch 16] [--threads N] [--dtype f32|bf16]
#   [--prefill-mode first|beside|mixed] [--step-token-budget N] [--panels true|false]
#   [--kv-dtype auto|f32|f16|bf16] [--prefill-beside true|false (= --prefill-mode beside|first)]
# Options not given keep the service's defaults (latent.inference.runtime.*, docs/inference.md).
# Serving throughput over real HTTP + SSE: starts the inference service on a free port with the
# seeded model of the named shape (random weights, created once under $LATENT_HOME/bench-models),
# streams completions of distinct random prompts from N concurrent clients, and prints one JSON
# line per concurrency level (aggregate_tok_per_s, ttft_p50/p99_ms, tpot_p50/p99_ms, requests —
# 4 x concurrency by default, so most of a level is the steady state — and the service's step
# metrics over the level: decode_steps (steps with decoding sequences), mean_batch (their decode
# rows), decode_step_ms (engine time of a step with decode rows only), mixed_steps and mixed_step_ms
# (steps with decode rows and prompt chunks, --prefill-mode mixed), prompt_tokens_per_step (over
# the steps that computed prompt tokens), java_steps (mixed-mode steps that ran as one pass of the
# engine's Java kernels; the rest ran on its fallback), f32_panel_mb (the panel copy of the
# weights, --panels), prefill_engine_s,
# emit_ms_per_step, step_wall_s, runtime_other_s, prefill_wait_s (the scheduler thread waiting for
# prompt chunks; the rest of prefill_engine_s ran beside decode), decode_context_mean (cached tokens each decoding
# sequence's attention read; compare decode_step_ms with `bench decode --prompt` of that size, not
# the default 16), prefill_chunks and prefill_threads_mean (PyTorch threads per prompt chunk: one
# beside decode, engine_threads alone), engine_threads (the decode steps' count),
# kv_bytes_per_token (the KV cache's dtype: 73728 for 110m in f32, half in f16/bf16),
# decode_steps_scattered (steps with a sequence whose KV blocks are not adjacent: the engine's
# slower gather path instead of its Java decode kernels; 0 is the healthy figure) — and the
# service process's CPU time over the
# level, service_cpu_s and cpu_ms_per_token, the figure to compare when the machine is loaded, and
# cpu_s_by_thread: that CPU time by thread group — scheduler (decode), prefill (with its OpenMP
# workers), matrix-kernel (decode's row-split helpers), sampler, parallel (Reactor: chunk JSON and
# SSE), reactor-http (Netty), tokenize, gc, jit; "ended" is the CPU of threads gone by the end).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/jdk.sh"
JAVA_HOME="$(latent_find_jdk25)"
JAVA="$JAVA_HOME/bin/java"

shape=15m concurrency=1,4,16 prompt=256 tokens=128 requests=0 device=auto max_batch=16 threads=0 dtype=f32
prefill_mode= step_budget= panels= kv_dtype=
while [ $# -gt 0 ]; do
  case "$1" in
    --shape) shape=$2 ;;
    --concurrency) concurrency=$2 ;;
    --prompt) prompt=$2 ;;
    --tokens) tokens=$2 ;;
    --requests) requests=$2 ;;
    --device) device=$2 ;;
    --max-batch) max_batch=$2 ;;
    --threads) threads=$2 ;;
    --dtype) dtype=$2 ;;
    --prefill-mode) prefill_mode=$2 ;;
    --prefill-beside) case "$2" in true) prefill_mode=beside ;; false) prefill_mode=first ;;
      *) echo "--prefill-beside true|false" >&2; exit 2 ;; esac ;;
    --step-token-budget) step_budget=$2 ;;
    --panels) panels=$2 ;;
    --kv-dtype) kv_dtype=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done

jar="${BENCH_SERVE_JAR:-$ROOT/inference-service/target/inference-service.jar}" # another build for an A/B
# (Re)build when the jar is missing or older than the sources it is made of: Spring Boot's
# repackage keeps an existing jar when only a library changed, so it is removed first.
if [ -z "${BENCH_SERVE_JAR:-}" ] && { [ ! -f "$jar" ] || [ -n "$(find "$ROOT/inference-service/src" \
    "$ROOT/libs/ml-core/src/main" "$ROOT/libs/service-support/src/main" -newer "$jar" -type f 2>/dev/null | head -1)" ]; }; then
  echo "building $jar" >&2
  [ -f "$jar" ] && mv "$jar" "$jar.prev"
  if ! (cd "$ROOT" && ./mvnw -q -B -ntp -pl inference-service -am package -DskipTests) >&2; then
    [ -f "$jar.prev" ] && mv "$jar.prev" "$jar"
    echo "build failed; the previous jar (if any) is back in place" >&2
    exit 1
  fi
  rm -f "$jar.prev"
fi

home="${LATENT_HOME:-$ROOT/data}"
store="$home/bench-models/$shape"
logs="$home/logs"
mkdir -p "$store" "$logs"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log="$logs/bench-serve-$shape.log"

# BENCH_SERVE_JAVA_OPTS: extra JVM options for the service (e.g. -XX:StartFlightRecording=...)
# shellcheck disable=SC2086
"$JAVA" -XX:+UseG1GC ${BENCH_SERVE_JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector -Dai.djl.offline=true \
  -DDJL_CACHE_DIR="${DJL_CACHE_DIR:-$home/djl-cache}" -jar "$jar" \
  --server.port="$port" \
  --latent.inference.model-store="$store" \
  --latent.inference.runtime.seeded-shape="$shape" \
  --latent.inference.runtime.device="$device" \
  --latent.inference.runtime.max-batch="$max_batch" \
  --latent.inference.runtime.threads="$threads" \
  --latent.inference.runtime.dtype="$dtype" \
  ${prefill_mode:+--latent.inference.runtime.prefill-mode="$prefill_mode"} \
  ${step_budget:+--latent.inference.runtime.step-token-budget="$step_budget"} \
  ${panels:+--latent.inference.runtime.f32-panels="$panels"} \
  ${kv_dtype:+--latent.inference.runtime.kv-cache-dtype="$kv_dtype"} \
  --latent.inference.runtime.queue=256 \
  --latent.inference.runtime.kv-cache-budget=1GB \
  --latent.inference.embeddings.enabled=false \
  --logging.level.root=WARN >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT

for _ in $(seq 1 600); do
  if python3 - "$port" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/actuator/health/readiness", timeout=2)
PY
  then break; fi
  kill -0 $pid 2>/dev/null || { echo "service exited; see $log" >&2; tail -20 "$log" >&2; exit 1; }
  sleep 0.5
done

"$JAVA" "$ROOT/inference-service/bench/ServeBench.java" --url "http://127.0.0.1:$port" \
  --model "latent-seeded-$shape" --concurrency "$concurrency" --prompt "$prompt" \
  --tokens "$tokens" --requests "$requests" --pid "$pid" --clk-tck "$(getconf CLK_TCK)" \
  --json "\"shape\":\"$shape\",\"device\":\"$device\",\"max_batch\":$max_batch,\"kv_dtype\":\"${kv_dtype:-default}\",\"prefill_mode\":\"${prefill_mode:-default}\",\"step_token_budget\":\"${step_budget:-default}\",\"panels\":\"${panels:-default}\",\"cpus\":$(nproc)"
