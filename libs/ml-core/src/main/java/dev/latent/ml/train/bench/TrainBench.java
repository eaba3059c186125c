package dev.latent.ml.train.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.train.AdamOptimizer;
import dev.latent.ml.train.LmBatch;
import dev.latent.ml.train.LoraAdapter;
import dev.latent.ml.train.LoraConfig;
import dev.latent.ml.train.LrSchedule;
import dev.latent.ml.train.Trainer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@code --shape 1m|15m|110m --method full|lora --seq N --batch B [--steps N] [--device cpu|gpu|auto]
 * [--recompute true|false] [--layer-chunk-rows N] [--release-freed true|false]}: AdamW steps on random weights and random tokens; prints one JSON line
 * with training tokens per second (total over the timed steps after one warm-up step) and memory,
 * so run one method per JVM.
 *
 * <p>{@code peak_memory_bytes} is the training's peak: the process's peak resident memory while
 * training ({@code VmHWM}, reset after the setup, see {@link #resetPeak}) minus its resident memory
 * before the model was built ({@code baseline_rss_bytes}: JVM and libtorch code, the same for every
 * method and not what a GPU's {@code max_memory_allocated} would count either). It holds the
 * weights, gradients, optimizer state, activations, the JVM heap's growth and whatever the native
 * allocator keeps. {@code process_peak_bytes} is the whole process's peak, baseline included.
 */
public final class TrainBench {

  private TrainBench() {}

  public static void main(String[] args) throws IOException {
    Map<String, String> a = new HashMap<>(Map.of("--shape", "15m", "--method", "full", "--seq", "256",
        "--batch", "8", "--steps", "3", "--device", "cpu", "--recompute", "true", "--layer-chunk-rows", "default",
        "--release-freed", "true"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i], args[i + 1]);
    }
    TransformerConfig config = switch (a.get("--shape")) {
      case "15m" -> TransformerConfig.llama(288, 6, 6, 6, 768, 32000);
      case "110m" -> TransformerConfig.llama(768, 12, 12, 12, 2048, 32000);
      // the first default model's (latent-chat-1m; the default is now latent-chat-2m): byte vocabulary, GQA
      case "1m" -> TransformerConfig.llama(128, 3, 4, 2, 384, 261);
      default -> throw new IllegalArgumentException("--shape must be 1m, 15m or 110m");
    };
    String method = a.get("--method");
    int seq = Integer.parseInt(a.get("--seq"));
    int batch = Integer.parseInt(a.get("--batch"));
    int steps = Integer.parseInt(a.get("--steps"));
    boolean recompute = Boolean.parseBoolean(a.get("--recompute"));
    Random random = new Random(1);
    List<LmBatch.Sequence> seqs = new ArrayList<>();
    for (int b = 0; b < batch; b++) {
      int[] tokens = new int[seq + 1];
      for (int t = 0; t < tokens.length; t++) {
        tokens[t] = random.nextInt(config.vocabSize());
      }
      seqs.add(LmBatch.Sequence.all(tokens));
    }
    List<LmBatch> data = List.of(LmBatch.of(seqs, 0));
    ModelOptions options = ModelOptions.of(a.get("--device"), "f32");
    try (NDManager warm = NDManager.newBaseManager()) {
      warm.ones(new Shape(1)).getFloat(); // loads the engine, so the baseline includes libtorch
    }
    long baseline = rss("VmRSS");
    try (Transformer model = Transformer.random(config, 1, options)) {
      long modelRss = rss("VmRSS");
      LoraAdapter lora = switch (method) {
        case "full" -> null;
        case "lora" -> LoraAdapter.attach(model, new LoraConfig(8, 16, 0,
            List.of("q_proj", "k_proj", "v_proj", "o_proj")), 1);
        default -> throw new IllegalArgumentException("--method must be full or lora");
      };
      long setupPeak = rss("VmHWM");
      boolean reset = resetPeak();
      try (Trainer trainer = new Trainer(model, lora, null, AdamOptimizer.Settings.of(AdamOptimizer.Kind.ADAMW, 0.01f),
          LrSchedule.of(LrSchedule.Kind.CONSTANT, 1e-4, 0, steps + 1), 1.0, 0)) {
        trainer.activationRecompute(recompute).releaseFreedMemory(Boolean.parseBoolean(a.get("--release-freed")));
        if (!a.get("--layer-chunk-rows").equals("default")) {
          trainer.layerChunkRows(Integer.parseInt(a.get("--layer-chunk-rows")));
        }
        double loss = trainer.step(data).loss();
        long t0 = System.nanoTime();
        long cpu0 = cpuNanos();
        for (int s = 0; s < steps; s++) {
          loss = trainer.step(data).loss();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpuSecs = (cpuNanos() - cpu0) / 1e9;
        long peak = rss("VmHWM");
        System.out.println(String.format(Locale.ROOT,
            "{\"bench\":\"train\",\"shape\":\"%s\",\"method\":\"%s\",\"seq\":%d,\"batch\":%d,\"steps\":%d,"
                + "\"device\":\"%s\",\"recompute\":%b,\"layer_chunk_rows\":\"%s\",\"tok_per_s\":%.1f,\"s_per_step\":%.3f,"
                + "\"cpu_s_per_step\":%.3f,\"malloc_mmap_threshold\":\"%s\",\"release_freed_memory\":%b,\"jvm_young\":\"%s\","
                + "\"peak_memory_bytes\":%d,\"process_peak_bytes\":%d,\"baseline_rss_bytes\":%d,"
                + "\"peak_reset_after_setup\":%b,\"setup_peak_bytes\":%d,\"model_rss_bytes\":%d,"
                + "\"parameter_bytes\":%d,\"loss\":%.4f}",
            a.get("--shape"), method, seq, batch, steps, options.device(), recompute, a.get("--layer-chunk-rows"),
            (double) batch * seq * steps / secs, secs / steps, cpuSecs / steps,
            System.getenv().getOrDefault("MALLOC_MMAP_THRESHOLD_", "glibc default"), trainer.releasesFreedMemory(),
            ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(f -> f.startsWith("-Xmn"))
                .reduce((x, y) -> y).orElse("JVM default"),
            peak - baseline, peak, baseline, reset, setupPeak,
            modelRss, model.parameterBytes(), loss));
      }
    }
  }

  /** CPU time of all the process's threads (JVM and libtorch): comparable under machine load, unlike wall time. */
  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /**
   * Resets VmHWM to the current RSS (Linux ≥ 4.0: "5" to clear_refs), so the peak printed is the
   * training's, not that of generating the random weights (Java arrays, direct-buffer copies and
   * the heap the JVM grows for them, the same for every method).
   */
  private static boolean resetPeak() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /** A {@code /proc/self/status} figure in bytes (-1 where there is no procfs). */
  private static long rss(String key) throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.exists(status)) {
      return -1;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith(key + ":")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }
}
