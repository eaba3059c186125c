package dev.latent.ml.llm.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Splits a matrix product's output rows (or decode attention's sequences) over the engine's
 * threads (the caller's included). One call's hand-offs cost ~10–30 µs, so a matrix is only split
 * when each part reads at least {@link #MIN_BYTES_PER_THREAD} of weights.
 */
public final class RowSplit {

  /** Computes output rows {@code [from, to)}. */
  @FunctionalInterface
  public interface Rows {
    void run(int from, int to);
  }

  static final long MIN_BYTES_PER_THREAD = 256 * 1024;

  private static final ExecutorService HELPERS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "matrix-kernel");
    t.setDaemon(true);
    return t;
  });

  private RowSplit() {}

  /**
   * Runs {@code rows} over up to {@code threads} parts of whole {@code block}s of rows, the first
   * part on the calling thread; {@code bytes} is what the whole matrix reads.
   */
  public static void run(int rows, int block, long bytes, int threads, Rows task) {
    int parts = (int) Math.max(1, Math.min(threads, bytes / MIN_BYTES_PER_THREAD));
    if (parts == 1) {
      task.run(0, rows);
      return;
    }
    int per = (rows + parts - 1) / parts;
    per = (per + block - 1) / block * block;
    List<Future<?>> helpers = new ArrayList<>(parts - 1);
    for (int from = per; from < rows; from += per) {
      int f = from;
      int t = Math.min(rows, from + per);
      helpers.add(HELPERS.submit(() -> task.run(f, t)));
    }
    task.run(0, Math.min(rows, per));
    for (Future<?> h : helpers) {
      try {
        h.get();
      } catch (ExecutionException e) {
        throw new IllegalStateException("matrix kernel thread failed", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted in a matrix kernel", e);
      }
    }
  }
}
