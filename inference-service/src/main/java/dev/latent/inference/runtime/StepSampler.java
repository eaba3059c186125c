package dev.latent.inference.runtime;

import dev.latent.ml.llm.sampling.SampledToken;
import dev.latent.ml.llm.sampling.Sampler;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;

/**
 * Picks the next token of every sequence of a decode step, half of them on a helper thread: the
 * engine's step is over, so the other core is idle while the scheduler samples (~0.4 ms per
 * sequence over a 32k vocabulary, on the critical path between two steps). Each sequence's
 * sampler is used by one thread per step, so seeded outputs do not depend on the split.
 */
final class StepSampler implements AutoCloseable {

  /** Below this many sequences the hand-off costs more than it saves. */
  static final int MIN_PARALLEL = 4;

  private final @Nullable ExecutorService helper; // null on one core

  StepSampler(String modelId) {
    this.helper = Runtime.getRuntime().availableProcessors() > 1
        ? Executors.newSingleThreadExecutor(Thread.ofPlatform().name("sampler-" + modelId).daemon().factory())
        : null;
  }

  /** {@code samplers.get(i).next(logits[i])} for every i. */
  SampledToken[] sample(List<Sampler> samplers, float[][] logits) {
    int n = samplers.size();
    SampledToken[] picks = new SampledToken[n];
    int split = helper == null || n < MIN_PARALLEL ? n : n / 2;
    Future<?> rest = split == n ? null : helper.submit(() -> pick(samplers, logits, picks, split, n));
    pick(samplers, logits, picks, 0, split);
    if (rest != null) {
      try {
        rest.get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while sampling", e);
      }
    }
    return picks;
  }

  private static void pick(List<Sampler> samplers, float[][] logits, SampledToken[] picks, int from,
      int to) {
    for (int i = from; i < to; i++) {
      picks[i] = samplers.get(i).next(logits[i]);
    }
  }

  @Override
  public void close() {
    if (helper != null) {
      helper.shutdownNow();
    }
  }
}
