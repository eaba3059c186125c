package dev.latent.ml.llm.bench;

import static dev.latent.ml.llm.sampling.Sampler.argmax;

import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The figures that decide mixed scheduling ({@link Transformer#step}): what a prompt chunk costs
 * in the Java pass against DJL/MKL's prefill, alone and riding on a batch of decode rows. Wall
 * times are medians; CPU times are this thread's (the engine's work with {@code --threads 1})
 * and the whole process's (for {@code --threads 2}), per step.
 */
final class MixedBench {

  private static final java.lang.management.ThreadMXBean CPU =
      java.lang.management.ManagementFactory.getThreadMXBean();
  private static final com.sun.management.OperatingSystemMXBean PROCESS =
      (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
  private static final int BLOCK = 16;

  private MixedBench() {}

  /** One timing: median wall, mean thread CPU and mean process CPU, in ms per run. */
  record Timing(double wallMs, double cpuMs, double processCpuMs) {}

  /**
   * {@code --prefill-paths 256,512}: each prompt length prefilled through the Java pass
   * ({@code step} with the whole prompt) and through DJL ({@code prefill}), best of {@code runs}
   * each, alternating; one JSON line per length via {@code print}.
   */
  static void prefillPaths(Transformer model, DataType kvDtype, int[] lengths, int runs, Map<String, Object> base,
      Consumer<Map<String, Object>> print) {
    SplittableRandom random = new SplittableRandom(7);
    int vocab = model.config().vocabSize();
    for (int length : lengths) {
      double[][] java = new double[runs][];
      double[][] djl = new double[runs][];
      try (PagedKvCache cache = model.newKvCache(2 * blocks(length), BLOCK, kvDtype)) {
        for (int r = -2; r < runs; r++) { // r < 0: warm-up of both paths
          int[] ids = randomTokens(random, length, vocab);
          long java0 = model.javaSteps();
          double[] j = time(() -> {
            KvSequence s = cache.newSequence();
            cache.reserveWhole(s, ids.length);
            model.step(List.of(s), List.of(ids), null);
            cache.release(s);
          });
          double[] d = time(() -> {
            KvSequence s = cache.newSequence();
            model.prefill(s, ids);
            cache.release(s);
          });
          if (model.javaSteps() != java0 + 1) {
            throw new IllegalStateException("the Java pass did not run (a sequence not one run of the pool)");
          }
          if (r >= 0) {
            java[r] = j;
            djl[r] = d;
          }
        }
      }
      Map<String, Object> out = new LinkedHashMap<>(base);
      out.put("bench", "prefill-paths");
      out.put("prompt", length);
      put(out, "java", best(java), length);
      put(out, "djl", best(djl), length);
      print.accept(out);
    }
  }

  /**
   * {@code --mixed 0,32,64,128,256}: {@code batch} sequences decoding at context {@code prompt}
   * plus, per chunk size C, one prompt of {@code prompt} tokens fed C tokens per step (a new one
   * when it is done): {@code steps} measured steps (after two warm-ups) of the mixed step, and
   * the same chunk alone through the Java pass and through DJL's prefill. One JSON line per C.
   */
  static void mixed(Transformer model, DataType kvDtype, int batch, int prompt, int[] chunks, int steps,
      Map<String, Object> base, Consumer<Map<String, Object>> print) {
    SplittableRandom random = new SplittableRandom(11);
    int vocab = model.config().vocabSize();
    int warmup = 2;
    int perDecode = prompt + chunks.length * (warmup + steps) + 1;
    int chunkBlocks = 2 * blocks(prompt);
    try (PagedKvCache cache = model.newKvCache(batch * blocks(perDecode) + 4 * chunkBlocks, BLOCK, kvDtype)) {
      List<KvSequence> decoding = new ArrayList<>();
      int[] next = new int[batch];
      for (int b = 0; b < batch; b++) {
        KvSequence s = cache.newSequence();
        cache.reserveWhole(s, perDecode); // packed from the start: the rest stays one free run
        decoding.add(s);
        next[b] = argmax(model.prefill(s, randomTokens(random, prompt, vocab)));
      }
      for (int chunk : chunks) {
        Prompts prompts = new Prompts(cache, random, prompt, vocab);
        double[][] mixed = new double[steps][];
        double[][] alone = new double[steps][];
        double[][] djl = new double[steps][];
        int mixedInJava = 0;
        int aloneInJava = 0;
        for (int i = -warmup; i < steps; i++) {
          int[] now = next;
          List<KvSequence> seqs = new ArrayList<>(decoding);
          List<int[]> tokens = new ArrayList<>();
          for (int t : now) {
            tokens.add(new int[] {t});
          }
          if (chunk > 0) {
            seqs.add(prompts.sequence(chunk));
            tokens.add(prompts.take(chunk));
          }
          float[][][] logits = new float[1][][];
          long java0 = model.javaSteps();
          double[] m = time(() -> logits[0] = model.step(seqs, tokens, null));
          long java1 = model.javaSteps();
          for (int b = 0; b < batch; b++) {
            next[b] = argmax(logits[0][b]);
          }
          double[] a = chunk == 0 ? null : prompts.alone(chunk, ids -> {
            KvSequence s = cache.newSequence();
            cache.reserveWhole(s, ids.length);
            double[] t = time(() -> model.step(List.of(s), List.of(ids), null));
            cache.release(s);
            return t;
          });
          double[] d = chunk == 0 ? null : prompts.alone(chunk, ids -> {
            KvSequence s = cache.newSequence();
            double[] t = time(() -> model.prefill(s, ids));
            cache.release(s);
            return t;
          });
          long java2 = model.javaSteps();
          if (i >= 0) {
            mixedInJava += (int) (java1 - java0);
            aloneInJava += (int) (java2 - java1);
            mixed[i] = m;
            alone[i] = a;
            djl[i] = d;
          }
        }
        prompts.close();
        Map<String, Object> out = new LinkedHashMap<>(base);
        out.put("bench", "mixed");
        out.put("batch", batch);
        out.put("context", prompt);
        out.put("chunk", chunk);
        out.put("steps", steps);
        Timing step = median(mixed);
        put(out, "mixed", step, batch + chunk);
        if (chunk > 0) {
          // the chunk's own cost as a one-sequence step (from position 0): Java pass and DJL prefill
          put(out, "chunk_java", median(alone), chunk);
          put(out, "chunk_djl", median(djl), chunk);
        }
        // how many measured steps ran as one Java pass (the rest ran separately: a sequence not one run)
        out.put("mixed_steps_in_java", mixedInJava);
        out.put("chunk_java_steps_in_java", aloneInJava);
        print.accept(out);
      }
    }
  }

  /** A prompt fed in chunks: a new sequence once the last one has all {@code prompt} tokens. */
  private static final class Prompts {
    private final PagedKvCache cache;
    private final SplittableRandom random;
    private final int prompt;
    private final int vocab;
    private KvSequence current;
    private int[] ids;
    private int fed;

    Prompts(PagedKvCache cache, SplittableRandom random, int prompt, int vocab) {
      this.cache = cache;
      this.random = random;
      this.prompt = prompt;
      this.vocab = vocab;
    }

    /** The sequence the next {@code chunk} tokens go to. */
    KvSequence sequence(int chunk) {
      if (current == null || fed + chunk > Math.max(prompt, chunk)) {
        close();
        current = cache.newSequence();
        cache.reserveWhole(current, Math.max(prompt, chunk));
        ids = randomTokens(random, Math.max(prompt, chunk), vocab);
        fed = 0;
      }
      return current;
    }

    int[] take(int chunk) {
      int[] out = Arrays.copyOfRange(ids, fed, fed + chunk);
      fed += chunk;
      return out;
    }

    /** Times {@code run} on a chunk of fresh tokens (a sequence of its own, from position 0). */
    double[] alone(int chunk, java.util.function.Function<int[], double[]> run) {
      return run.apply(randomTokens(random, chunk, vocab));
    }

    void close() {
      if (current != null) {
        cache.release(current);
        current = null;
      }
    }
  }

  private static void put(Map<String, Object> out, String name, Timing t, int rows) {
    out.put(name + "_ms", round(t.wallMs()));
    out.put(name + "_cpu_ms", round(t.cpuMs()));
    out.put(name + "_process_cpu_ms", round(t.processCpuMs()));
    out.put(name + "_ms_per_row", round(t.wallMs() / rows));
    out.put(name + "_process_cpu_ms_per_row", round(t.processCpuMs() / rows));
    out.put(name + "_tok_per_s", round(rows / t.wallMs() * 1000));
  }

  /** {wall, thread CPU, process CPU} seconds of {@code run}. */
  private static double[] time(Runnable run) {
    long cpu0 = CPU.getCurrentThreadCpuTime();
    long process0 = PROCESS.getProcessCpuTime();
    long start = System.nanoTime();
    run.run();
    return new double[] {(System.nanoTime() - start) / 1e9, (CPU.getCurrentThreadCpuTime() - cpu0) / 1e9,
        (PROCESS.getProcessCpuTime() - process0) / 1e9};
  }

  /** Median wall and mean CPU times in ms. */
  private static Timing median(double[][] runs) {
    double[] wall = Arrays.stream(runs).mapToDouble(r -> r[0]).sorted().toArray();
    return new Timing(wall[wall.length / 2] * 1000, Arrays.stream(runs).mapToDouble(r -> r[1]).average().orElse(0) * 1000,
        Arrays.stream(runs).mapToDouble(r -> r[2]).average().orElse(0) * 1000);
  }

  /** The fastest run (wall, and its CPU times): what a loaded machine lets through at best. */
  private static Timing best(double[][] runs) {
    double[] min = Arrays.stream(runs).min(java.util.Comparator.comparingDouble(r -> r[0])).orElseThrow();
    return new Timing(min[0] * 1000, Arrays.stream(runs).mapToDouble(r -> r[1]).min().orElse(0) * 1000,
        Arrays.stream(runs).mapToDouble(r -> r[2]).min().orElse(0) * 1000);
  }

  private static int blocks(int tokens) {
    return (tokens + BLOCK - 1) / BLOCK;
  }

  private static int[] randomTokens(SplittableRandom random, int n, int vocab) {
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = random.nextInt(vocab);
    }
    return ids;
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
