package dev.latent.inference.runtime;

import dev.latent.ml.llm.Transformer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Prompt chunks on their own thread, one at a time, so the scheduler thread keeps decoding the
 * running sequences while a new prompt is computed: the two cores work on both instead of taking
 * turns with two threads each (a batch-16 decode step and a 256-token prefill both scale ~1.6x
 * from one thread to two here). While decode runs beside it a chunk uses one PyTorch thread,
 * alone it uses the engine's count; prefill logits are bit-identical either way (measured on
 * 110m), so batching stays invisible. The chunk writes only its own sequence's KV blocks.
 */
final class PrefillWorker implements AutoCloseable {

  /**
   * A finished chunk: the logits of its last token, or why it failed; {@code threads}: the
   * PyTorch threads it ran with.
   */
  record Chunk(Sequence sequence, float @Nullable [] logits, long engineNanos, int threads,
      @Nullable RuntimeException error) {}

  private final Transformer model;
  private final int alone; // the engine's full thread count, for a chunk with no decode beside it
  private final ExecutorService executor;
  private List<Sequence> computing = List.of();
  private @Nullable Future<List<Chunk>> inFlight;

  /** {@code threads} is the engine's thread count for a chunk that runs alone (0: PyTorch's). */
  PrefillWorker(String modelId, Transformer model, int threads) {
    this.model = model;
    this.alone = EngineThreads.full(threads);
    this.executor = Executors.newSingleThreadExecutor(
        Thread.ofPlatform().name("prefill-" + modelId).daemon().factory());
  }

  boolean busy() {
    return inFlight != null;
  }

  /** Whether {@code s} has a chunk in flight (its KV sequence is not the scheduler's to touch). */
  boolean computing(Sequence s) {
    return computing.contains(s);
  }

  /**
   * Starts the next chunk of each prefilling sequence in {@code running} order, at most
   * {@code budget} prompt tokens in all; {@code beside}: a decode step runs meanwhile. Returns the
   * prompt tokens started.
   */
  int start(List<Sequence> prefilling, int budget, boolean beside) {
    if (inFlight != null) {
      throw new IllegalStateException("prefill chunks are already in flight");
    }
    List<Sequence> seqs = new ArrayList<>();
    List<int[]> chunks = new ArrayList<>();
    int started = 0;
    for (Sequence s : prefilling) {
      if (budget == 0) {
        break;
      }
      int from = s.computed();
      int to = Math.min(s.promptLength(), from + budget);
      budget -= to - from;
      started += to - from;
      seqs.add(s);
      chunks.add(Arrays.copyOfRange(s.request.prompt(), from, to));
    }
    if (seqs.isEmpty()) {
      return 0;
    }
    computing = seqs;
    inFlight = executor.submit(() -> {
      int used = EngineThreads.use(beside ? 1 : alone);
      List<Chunk> out = new ArrayList<>(seqs.size());
      for (int i = 0; i < seqs.size(); i++) {
        Sequence s = seqs.get(i);
        long t0 = System.nanoTime();
        try {
          out.add(new Chunk(s, model.prefill(s.kv, chunks.get(i), s.lora()), System.nanoTime() - t0, used, null));
        } catch (RuntimeException e) {
          out.add(new Chunk(s, null, System.nanoTime() - t0, used, e));
        }
      }
      return out;
    });
    return started;
  }

  /** The finished chunks; none while they run ({@code wait}: blocks until they are done). */
  List<Chunk> poll(boolean wait) throws InterruptedException {
    Future<List<Chunk>> f = inFlight;
    if (f == null || (!wait && !f.isDone())) {
      return List.of();
    }
    try {
      return f.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("prefill task failed", e.getCause()); // the task catches its own
    } finally {
      inFlight = null;
      computing = List.of();
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
