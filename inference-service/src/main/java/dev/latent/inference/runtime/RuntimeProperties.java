package dev.latent.inference.runtime;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code latent.inference.runtime.*}: how generation shares the machine.
 *
 * @param maxBatch sequences decoded together in one step
 * @param queue requests that may wait for admission; beyond it a 429
 * @param prefillChunk prompt tokens computed per step over all sequences, so a long prompt is
 *     split across steps and running streams keep getting tokens
 * @param kvCacheBudget bytes of KV cache per model; admission waits for blocks within it
 * @param blockSize tokens per KV block (the prefix cache's unit)
 * @param retryAfter what {@code Retry-After} says when the queue is full
 * @param device {@code cpu}, {@code gpu} or {@code auto}
 * @param dtype weights' dtype: {@code f32} or {@code bf16}
 * @param load models from the store to load at start (empty: all chat models found)
 * @param seeded when the store has no chat model, create and serve a small seeded one
 * @param seededShape {@code 15m} or {@code 110m}, the seeded model's shape
 * @param threads PyTorch intra-op threads the engine's steps use; 0 keeps PyTorch's default (one
 *     per core). Batched decode and prefill are GEMM-bound and gain from more; batch-1 decode is
 *     memory-bound and does not; on a CPU shared with other work, 1 avoids OpenMP threads waiting
 *     on each other (see docs/inference.md)
 * @param prefillMode how prompts are computed next to the running sequences ({@link PrefillMode}):
 *     {@code first} (default): each step computes its chunks first (at most {@code prefillChunk}
 *     tokens) with all the engine's threads, then decodes; {@code mixed}: one engine step carries
 *     the decode tokens and prompt chunks together, up to {@code stepTokenBudget} tokens;
 *     {@code beside}: chunks on their own thread (one engine thread) while the scheduler thread
 *     decodes. On a quiet machine (2026-11-30, 110m, c=16) first served 82.2 tok/s at 20.9 service
 *     CPU ms per token, mixed 71.4 at 23.2: the Java pass computes a 256-row prompt chunk beside
 *     16 decode rows at ~1.25x MKL's cost there (docs/inference.md, quiet re-measure 00:11)
 * @param kvCacheDtype how the KV cache stores K/V, apart from the weights' dtype (vLLM's
 *     {@code kv_cache_dtype}): {@code bf16} (default; on a GPU, whose attention cannot read a bf16
 *     pool, f16), {@code f16} (llama.cpp's default), {@code f32}, or {@code auto} (the model's
 *     compute dtype, f32). 16 bits hold twice the tokens in {@code kvCacheBudget} and halve what
 *     decode attention reads (a batch-16 step at context 320: bf16 ~12% less CPU than f32, f16
 *     not faster with the current kernel, docs/inference.md); attention computes in f32 from the
 *     widened values
 * @param f32Panels float32 weights multiply on a second copy in 16-row panels (the engine's
 *     {@code F32Panels} kernel: a batch-16 decode step ~12% faster on 110m) at the cost of one more
 *     copy of the matrices' bytes (438 MB for 110m); the copy never sees writes into the weights,
 *     which a served model never gets (adapters are applied per request, not merged)
 * @param stepTokenBudget tokens one engine step holds in the {@code mixed} prefill mode: every
 *     decoding sequence's next token, and prompt chunks up to the rest (vLLM's
 *     {@code max_num_batched_tokens}); must exceed {@code maxBatch} so prompts always progress.
 *     272 = a full batch of 16 + a 256-token chunk: the engine's cost per chunk row is at its
 *     floor from ~128 rows (docs/engine.md); a running stream waits at most one such step
 */
@ConfigurationProperties("latent.inference.runtime")
public record RuntimeProperties(
    @DefaultValue("16") int maxBatch,
    @DefaultValue("64") int queue,
    @DefaultValue("256") int prefillChunk,
    @DefaultValue("256MB") DataSize kvCacheBudget,
    @DefaultValue("16") int blockSize,
    @DefaultValue("2s") Duration retryAfter,
    @DefaultValue("auto") String device,
    @DefaultValue("f32") String dtype,
    @DefaultValue List<String> load,
    @DefaultValue("true") boolean seeded,
    @DefaultValue("15m") String seededShape,
    @DefaultValue("0") int threads,
    @DefaultValue("first") PrefillMode prefillMode,
    @DefaultValue("bf16") String kvCacheDtype,
    @DefaultValue("true") boolean f32Panels,
    @DefaultValue("272") int stepTokenBudget) {

  public RuntimeProperties {
    if (threads < 0) {
      throw new IllegalArgumentException("latent.inference.runtime.threads must be >= 0, got " + threads);
    }
    if (!List.of("auto", "f32", "f16", "bf16").contains(kvCacheDtype)) {
      throw new IllegalArgumentException(
          "latent.inference.runtime.kv-cache-dtype must be auto, f32, f16 or bf16, got " + kvCacheDtype);
    }
    if (prefillMode == PrefillMode.MIXED && stepTokenBudget <= maxBatch) {
      throw new IllegalArgumentException("latent.inference.runtime.step-token-budget (" + stepTokenBudget
          + ") must exceed max-batch (" + maxBatch + ") in the mixed prefill mode, or prompts wait"
          + " for a full batch of decoding sequences to end");
    }
  }
}
