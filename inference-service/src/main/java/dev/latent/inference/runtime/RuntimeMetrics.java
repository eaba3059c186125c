package dev.latent.inference.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * The serving metrics, per model (Prometheus names as vLLM's, under {@code latent_inference_}):
 * time to first token, time per output token, end-to-end latency, prompt / generation /
 * cache-hit tokens, running and waiting sequences, KV usage, prefix-cache hit rate, rejections.
 */
@Component
public class RuntimeMetrics {

  private final MeterRegistry registry;
  /** The gauges bound to each model's scheduler, removed when it closes (a reload binds new ones). */
  private final Map<String, List<Meter>> gauges = new ConcurrentHashMap<>();

  public RuntimeMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void register(String model, Scheduler scheduler) {
    gauges.put(model, List.of(
        Gauge.builder("latent.inference.sequences.running", scheduler, Scheduler::runningCount)
            .tag("model", model).register(registry),
        Gauge.builder("latent.inference.sequences.waiting", scheduler, Scheduler::waitingCount)
            .tag("model", model).register(registry),
        Gauge.builder("latent.inference.kv.cache.usage", scheduler, Scheduler::kvUsage)
            .description("fraction of KV blocks held by running sequences")
            .tag("model", model).register(registry),
        Gauge.builder("latent.inference.prefix.cache.hit.rate", scheduler, Scheduler::prefixHitRate)
            .description("prompt tokens served from the prefix cache per prompt token")
            .tag("model", model).register(registry),
        Gauge.builder("latent.inference.kv.cache.bytes.per.token", scheduler, Scheduler::kvBytesPerToken)
            .description("KV cache bytes one token takes over all layers, in the cache's dtype")
            .tag("model", model).register(registry),
        Gauge.builder("latent.inference.engine.threads", scheduler, Scheduler::engineThreads)
            .description("PyTorch threads of the decode steps; prompt chunks beside them take one")
            .tag("model", model).register(registry),
        Gauge.builder("latent.inference.model.f32.panel.bytes", scheduler, Scheduler::panelBytes)
            .description("bytes of the model's f32 panel copies (f32-panels): one more copy of its matrices")
            .tag("model", model).register(registry),
        FunctionCounter.builder("latent.inference.engine.java.steps", scheduler, Scheduler::javaSteps)
            .description("mixed steps that ran as one pass of the engine's Java kernels (the rest: its fallback)")
            .tag("model", model).register(registry)));
  }

  /**
   * Removes the model's gauges: Micrometer hands back the first gauge registered under a name and
   * tags, so without this a reloaded model's gauges would keep reading the closed scheduler.
   */
  void unregister(String model) {
    List<Meter> meters = gauges.remove(model);
    if (meters != null) {
      meters.forEach(registry::remove);
    }
  }

  private Timer timer(String name, String model, String description) {
    return Timer.builder(name).description(description).tag("model", model)
        .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofMinutes(5)).register(registry);
  }

  void admitted(String model, int promptTokens, int cachedTokens) {
    Counter.builder("latent.inference.prompt.tokens").tag("model", model).register(registry)
        .increment(promptTokens);
    Counter.builder("latent.inference.prompt.cached.tokens").tag("model", model)
        .register(registry).increment(cachedTokens);
  }

  void firstToken(String model, Sequence s) {
    timer("latent.inference.time.to.first.token", model, "submission to first token")
        .record(Duration.ofNanos(s.firstTokenNanos - s.submittedNanos));
  }

  void finished(String model, Sequence s, String reason) {
    long now = System.nanoTime();
    int generated = s.generated.size();
    Counter.builder("latent.inference.generation.tokens").tag("model", model).register(registry)
        .increment(generated);
    Counter.builder("latent.inference.requests.finished").tag("model", model)
        .tag("finish_reason", reason).register(registry).increment();
    timer("latent.inference.e2e.latency", model, "submission to last token")
        .record(Duration.ofNanos(now - s.submittedNanos));
    if (generated > 1) {
      timer("latent.inference.time.per.output.token", model, "decode time per token after the first")
          .record(Duration.ofNanos((now - s.firstTokenNanos) / (generated - 1)));
    }
  }

  /**
   * Engine time of one batched step: {@code decodeRows} sequences decoding one token each and
   * {@code promptTokens} prompt tokens of others (mixed prefill mode; 0 otherwise), tagged
   * {@code phase=decode} without prompt tokens, {@code mixed} with both, {@code prefill} with
   * prompt tokens only. {@code contextTokens} is what the decode rows' attention read: their
   * cached tokens summed (the step's cost grows with it, ~37 KB of bf16 K/V per token on 110m);
   * {@code scattered}: some sequence's KV blocks were not one run of the pool, so the engine took
   * its slower gather path. Recorded before the step's tokens are streamed, so a client that saw
   * them sees the step counted.
   */
  void engineStep(String model, int decodeRows, int promptTokens, long contextTokens,
      boolean scattered, long engineNanos) {
    String phase = promptTokens == 0 ? "decode" : decodeRows == 0 ? "prefill" : "mixed";
    Timer.builder("latent.inference.step.engine").tag("model", model).tag("phase", phase)
        .register(registry).record(Duration.ofNanos(engineNanos));
    if (decodeRows > 0) {
      registry.summary("latent.inference.step.batch", "model", model).record(decodeRows);
      registry.summary("latent.inference.step.context.tokens", "model", model).record(contextTokens);
    }
    stepPromptTokens(model, promptTokens);
    Counter.builder("latent.inference.step.scattered")
        .description("engine steps with a sequence whose KV blocks are not adjacent (engine gathers)")
        .tag("model", model).register(registry).increment(scattered ? 1 : 0);
  }

  /** The runtime's time to sample and stream one engine step's tokens. */
  void stepEmit(String model, long emitNanos) {
    Timer.builder("latent.inference.step.emit").description("sampling, detokenizing, streaming")
        .tag("model", model).register(registry).record(Duration.ofNanos(emitNanos));
  }

  /**
   * Prompt tokens one step computed, all chunks together (none: not recorded): a running stream
   * waits for at most this many between two of its tokens.
   */
  void stepPromptTokens(String model, int promptTokens) {
    if (promptTokens > 0) {
      registry.summary("latent.inference.step.prompt.tokens", "model", model).record(promptTokens);
    }
  }

  /**
   * Wall time of one whole scheduler step (admission, prefill chunks, decode, sampling and
   * streaming, bookkeeping); what the engine and emit timers do not cover is the runtime's own.
   */
  void step(String model, long nanos) {
    Timer.builder("latent.inference.step.wall").description("one scheduler step, all of it")
        .tag("model", model).register(registry).record(Duration.ofNanos(nanos));
  }

  /** Engine time of one prompt chunk and the PyTorch threads it ran with (1 beside decode). */
  void prefillChunk(String model, long engineNanos, int threads) {
    Timer.builder("latent.inference.step.engine").tag("model", model).tag("phase", "prefill")
        .register(registry).record(Duration.ofNanos(engineNanos));
    registry.summary("latent.inference.prefill.chunk.threads", "model", model).record(threads);
  }

  /** Time the scheduler thread waited for prefill chunks (the rest of their engine time ran beside decode). */
  void prefillWait(String model, long nanos) {
    Timer.builder("latent.inference.step.prefill.wait").tag("model", model).register(registry)
        .record(Duration.ofNanos(nanos));
  }

  void rejected(String model) {
    Counter.builder("latent.inference.requests.rejected").tag("model", model).register(registry)
        .increment();
  }
}
