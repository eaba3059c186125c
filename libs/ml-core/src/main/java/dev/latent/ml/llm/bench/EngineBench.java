package dev.latent.ml.llm.bench;

import static dev.latent.ml.llm.sampling.Sampler.argmax;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.Engines;
import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.TransformerConfig.Mla;
import dev.latent.ml.llm.cache.KvFormat;
import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.llm.kernel.F32Matrix;
import dev.latent.ml.llm.kernel.KernelWeights;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code decode} and {@code prefill} benchmarks on random weights of the shapes the issue names.
 * Each run measures this machine's memory read bandwidth with the same engine and threads, and
 * prints one JSON line. Figures, not assertions: the machines are shared and noisy.
 */
public final class EngineBench {

  private EngineBench() {}

  // With one intra-op thread PyTorch runs every op on the calling thread, so this thread's CPU
  // time is the engine's work without the time a loaded machine kept it waiting for a core.
  private static final java.lang.management.ThreadMXBean CPU =
      java.lang.management.ManagementFactory.getThreadMXBean();
  private static double lastCpuSeconds;
  // the whole process's CPU time (all engine threads, also GC and JIT): the figure for --threads 2
  private static final com.sun.management.OperatingSystemMXBean PROCESS =
      (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
  private static double lastProcessCpuSeconds;

  public static void main(String[] args) {
    Map<String, String> o = options(args);
    String mode = o.getOrDefault("mode", "decode");
    if (mode.equals("kv")) {
      KvSizes.print();
      return;
    }
    if (mode.equals("kv-accuracy")) {
      KvAccuracy.run(o);
      return;
    }
    String threads = o.getOrDefault("threads", "1");
    // float32 products on a panel copy (KernelWeights); read when the kernel classes load, below
    if (o.containsKey("panels")) {
      System.setProperty("latent.f32.panels", o.get("panels"));
    }
    // must be set before the engine starts
    System.setProperty("ai.djl.pytorch.num_threads", threads);
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    String shape = o.getOrDefault("shape", "110m");
    String attention = o.getOrDefault("attention", "mha");
    String dtypeName = o.getOrDefault("dtype", "f32");
    DataType dtype = ModelOptions.parseDtype(dtypeName);
    int batch = Integer.parseInt(o.getOrDefault("batch", "1"));
    int tokens = Integer.parseInt(o.getOrDefault("tokens", "64"));
    int prompt = Integer.parseInt(o.getOrDefault("prompt", mode.equals("prefill") ? "512" : "16"));
    TransformerConfig config = config(shape, attention);
    ModelOptions options;
    DataType kvDtype;
    try {
      options = new ModelOptions(Engines.device(o.getOrDefault("device", "auto")), dtype, true);
      // the cache's own dtype; auto = the model's compute dtype (f32 also under bf16 weights)
      kvDtype = KvFormat.dtype(o.getOrDefault("kv-dtype", "auto"), options.dtype());
    } catch (IllegalArgumentException e) {
      Map<String, Object> err = new LinkedHashMap<>();
      err.put("bench", mode);
      err.put("shape", shape);
      err.put("dtype", dtypeName);
      err.put("error", e.getMessage());
      System.out.println(json(err));
      System.exit(2);
      return;
    }

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("bench", mode);
    out.put("shape", shape);
    out.put("attention", attention);
    out.put("dtype", dtypeName);
    out.put("kv_dtype", KvFormat.of(kvDtype).name().toLowerCase(Locale.ROOT));
    out.put("device", options.device().toString());
    out.put("threads", Integer.parseInt(threads));
    try (Transformer model = Transformer.random(config, 1, options)) {
      // what a decode step reads: with bf16 weights the matrices are read as bf16 (the kernel's
      // twins), norms as f32; an untied embedding table is only gathered from
      int matrixBytes = options.weightDtype().getNumOfBytes();
      long weightBytes = model.parameters().values().stream().mapToLong(a -> a.getShape().size()
          * (a.getShape().dimension() == 2 ? matrixBytes : a.getDataType().getNumOfBytes())).sum()
          - (config.tieWordEmbeddings() ? 0 : (long) config.vocabSize() * config.hiddenSize() * matrixBytes);
      // which kernel the decode projections run in: the Java f32 / bf16 kernel, or DJL's
      var kernel = KernelWeights.of(model.parameters().get("model.layers.0.mlp.down_proj.weight"));
      out.put("matrix_kernel", kernel == null ? "djl" : kernel instanceof F32Matrix ? "f32" : "bf16");
      // how much of this process sits on 2 MB pages (the kernels ask for them for the weights)
      out.put("huge_pages_mb", hugePagesMb());
      SplittableRandom random = new SplittableRandom(42);
      if (o.containsKey("mixed") || o.containsKey("prefill-paths")) {
        out.put("f32_panels", model.options().f32Panels());
        out.put("uptime_load", load());
        int runs = Integer.parseInt(o.getOrDefault("steps", "8"));
        // mixed first: its batch prefill and warm-up steps leave the kernels compiled for what follows
        if (o.containsKey("mixed")) {
          MixedBench.mixed(model, kvDtype, o.containsKey("batch") ? batch : 16,
              Integer.parseInt(o.getOrDefault("prompt", "256")), ints(o.get("mixed")), runs, out, EngineBench::print);
        }
        if (o.containsKey("prefill-paths")) {
          MixedBench.prefillPaths(model, kvDtype, ints(o.get("prefill-paths")), runs, out, EngineBench::print);
        }
        return;
      }
      if (mode.equals("prefill")) {
        out.put("prompt", prompt);
        double seconds = prefill(model, random, prompt, kvDtype);
        out.put("tok_per_s", round(prompt / seconds));
        out.put("ms_per_prompt", round(seconds * 1000));
        if (threads.equals("1")) {
          out.put("cpu_tok_per_s", round(prompt / lastCpuSeconds));
        }
      } else {
        out.put("batch", batch);
        out.put("tokens", tokens);
        double[] steps = decode(model, random, batch, prompt, tokens, kvDtype);
        // K/V bytes the measured steps' attention read, per step on average (mean context)
        double meanContext = prompt + 4 + (tokens + 1) / 2.0;
        out.put("kv_mb_per_step", round(batch * meanContext * PagedKvCache.bytesPerToken(config, kvDtype) / 1e6));
        // measured after the run: a 512 MiB probe allocated first slowed the decode that followed
        double djlBandwidth = MemoryBandwidth.measure(options.device());
        double djlCpuBandwidth = MemoryBandwidth.lastCpuGbPerS;
        // the kernel reads four streams, which this machine serves faster than the DJL sum's one
        boolean vectorApi = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        double[] streamed = options.device().isGpu() || !vectorApi ? new double[] {0, 0}
            : StreamedRead.measure(Integer.parseInt(threads));
        double bandwidth = Math.max(djlBandwidth, streamed[0]);
        double cpuBandwidth = Math.max(djlCpuBandwidth, streamed[1]);
        // the median step: the machines are shared, and a neighbour's build should not be our figure
        double seconds = median(steps);
        double gbPerS = weightBytes / seconds / 1e9;
        out.put("tok_per_s", round(batch / seconds));
        out.put("ms_per_token", round(seconds * 1000));
        out.put("ms_per_token_mean", round(java.util.Arrays.stream(steps).average().orElse(0) * 1000));
        // the fastest step: what the engine does when no neighbour preempts it
        double fastest = java.util.Arrays.stream(steps).min().orElse(seconds);
        out.put("ms_per_token_min", round(fastest * 1000));
        if (threads.equals("1")) {
          // the same ratio in this thread's CPU time (decode step and bandwidth probe alike): what a
          // quiet machine would show, as far as a loaded one can tell
          out.put("cpu_ms_per_token", round(lastCpuSeconds * 1000));
          out.put("cpu_bandwidth_gb_per_s", round(cpuBandwidth));
          out.put("cpu_fraction_of_bandwidth", round(weightBytes / lastCpuSeconds / 1e9 / cpuBandwidth));
        }
        out.put("process_cpu_ms_per_step", round(lastProcessCpuSeconds * 1000));
        out.put("weight_bytes", weightBytes);
        out.put("gb_per_s", round(gbPerS));
        out.put("bandwidth_gb_per_s", round(bandwidth));
        out.put("bandwidth_djl_sum_gb_per_s", round(djlBandwidth));
        out.put("bandwidth_java_4_streams_gb_per_s", round(streamed[0]));
        out.put("fraction_of_bandwidth", round(gbPerS / bandwidth));
      }
      // the float32 panel copy (made at each matrix's first product) and the 2 MB pages now
      out.put("f32_panels", Boolean.getBoolean("latent.f32.panels"));
      out.put("f32_panel_mb", round(KernelWeights.panelBytes() / 1e6));
      out.put("huge_pages_mb_end", hugePagesMb());
      out.put("kv_bytes_per_token", PagedKvCache.bytesPerToken(config, kvDtype));
      out.put("params", model.parameters().values().stream().mapToLong(a -> a.getShape().size()).sum());
    }
    System.out.println(json(out));
  }

  private static void print(Map<String, Object> line) {
    line.put("f32_panel_mb", round(KernelWeights.panelBytes() / 1e6));
    line.put("uptime_load_end", load());
    System.out.println(json(line));
  }

  /** The 1-minute load average (what {@code uptime} shows first), or -1 where it cannot be read. */
  private static double load() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static int[] ints(String list) {
    return java.util.Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
  }

  static TransformerConfig config(String shape, String attention) {
    TransformerConfig base = switch (shape) {
      case "15m" -> TransformerConfig.llama(288, 6, 6, 6, 768, 32000);
      case "110m" -> TransformerConfig.llama(768, 12, 12, 12, 2048, 32000);
      default -> throw new IllegalArgumentException("--shape must be 15m or 110m, got " + shape);
    };
    int heads = base.numHeads();
    int headDim = base.headDim();
    return switch (attention) {
      case "mha" -> base;
      case "gqa" -> TransformerConfig.llama(base.hiddenSize(), base.numLayers(), heads,
          heads % 4 == 0 ? heads / 4 : heads / 3, base.intermediateSize(), base.vocabSize());
      case "mqa" -> TransformerConfig.llama(base.hiddenSize(), base.numLayers(), heads, 1,
          base.intermediateSize(), base.vocabSize());
      // DeepSeek-V2 proportions: r = 4 * headDim, rope half a head
      case "mla" -> base.withMla(new Mla(0, 4 * headDim, headDim, headDim / 2, headDim), null);
      default -> throw new IllegalArgumentException("--attention must be mha, gqa, mqa or mla, got " + attention);
    };
  }

  /** AnonHugePages of this process in MB (Linux), or -1 where it cannot be read. */
  private static long hugePagesMb() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/smaps_rollup"))) {
        if (line.startsWith("AnonHugePages:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  /** Seconds per decode step, one entry per step. */
  private static double[] decode(Transformer model, SplittableRandom random, int batch, int prompt, int tokens,
      DataType kvDtype) {
    int warmup = 4;
    int perSeq = prompt + warmup + tokens + 1;
    int blockSize = 16;
    try (PagedKvCache cache = model.newKvCache(batch * ((perSeq + blockSize - 1) / blockSize), blockSize, kvDtype)) {
      List<KvSequence> seqs = new ArrayList<>();
      int[] next = new int[batch];
      for (int b = 0; b < batch; b++) {
        KvSequence s = cache.newSequence();
        cache.reserve(s, perSeq); // the whole length at once, as the serving runtime does: adjacent blocks
        seqs.add(s);
        next[b] = argmax(model.prefill(s, randomTokens(random, prompt, model.config().vocabSize())));
      }
      for (int i = 0; i < warmup; i++) {
        next = argmaxRows(model.decode(seqs, next));
      }
      double[] steps = new double[tokens];
      long cpu0 = CPU.getCurrentThreadCpuTime();
      long process0 = PROCESS.getProcessCpuTime();
      for (int i = 0; i < tokens; i++) {
        long start = System.nanoTime();
        next = argmaxRows(model.decode(seqs, next));
        steps[i] = (System.nanoTime() - start) / 1e9;
      }
      lastCpuSeconds = (CPU.getCurrentThreadCpuTime() - cpu0) / 1e9 / tokens;
      lastProcessCpuSeconds = (PROCESS.getProcessCpuTime() - process0) / 1e9 / tokens;
      return steps;
    }
  }

  private static double prefill(Transformer model, SplittableRandom random, int prompt, DataType kvDtype) {
    int blockSize = 16;
    double best = Double.MAX_VALUE;
    try (PagedKvCache cache = model.newKvCache((prompt + blockSize - 1) / blockSize, blockSize, kvDtype)) {
      for (int run = 0; run < 3; run++) {
        KvSequence s = cache.newSequence();
        int[] ids = randomTokens(random, prompt, model.config().vocabSize());
        long start = System.nanoTime();
        long cpu0 = CPU.getCurrentThreadCpuTime();
        model.prefill(s, ids);
        best = Math.min(best, (System.nanoTime() - start) / 1e9);
        lastCpuSeconds = run == 0 ? Double.MAX_VALUE : lastCpuSeconds;
        lastCpuSeconds = Math.min(lastCpuSeconds, (CPU.getCurrentThreadCpuTime() - cpu0) / 1e9);
        cache.release(s);
      }
    }
    return best;
  }

  private static int[] randomTokens(SplittableRandom random, int n, int vocab) {
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = random.nextInt(vocab);
    }
    return ids;
  }

  private static int[] argmaxRows(float[][] logits) {
    int[] out = new int[logits.length];
    for (int i = 0; i < logits.length; i++) {
      out[i] = argmax(logits[i]);
    }
    return out;
  }


  private static Map<String, String> options(String[] args) {
    Map<String, String> o = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
      }
      o.put(args[i].substring(2), args[++i]);
    }
    return o;
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  static double round6(double v) {
    return Double.parseDouble(String.format(Locale.ROOT, "%.6g", v));
  }

  static String json(Map<String, Object> fields) {
    StringBuilder sb = new StringBuilder("{");
    fields.forEach((k, v) -> {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append('"').append(k).append("\": ");
      sb.append(v instanceof String s ? "\"" + s + "\"" : String.format(Locale.ROOT, "%s", v));
    });
    return sb.append('}').toString();
  }

  /** Read bandwidth of this machine, measured by the engine itself (sum over a 512 MiB array). */
  static final class MemoryBandwidth {

    private MemoryBandwidth() {}

    /** The same probe in this thread's CPU time (with one intra-op thread the sum runs on it). */
    static double lastCpuGbPerS;

    static double measure(ai.djl.Device device) {
      long floats = 128L << 20;
      try (NDManager m = NDManager.newBaseManager(device, "PyTorch")) {
        NDArray big = m.ones(new Shape(floats), DataType.FLOAT32);
        double best = Double.MAX_VALUE;
        double bestCpu = Double.MAX_VALUE;
        for (int i = 0; i < 6; i++) {
          try (NDManager step = m.newSubManager()) {
            long start = System.nanoTime();
            long cpu0 = CPU.getCurrentThreadCpuTime();
            NDArray sum = big.sum();
            sum.attach(step);
            sum.getFloat(); // forces completion on asynchronous devices
            best = Math.min(best, (System.nanoTime() - start) / 1e9);
            bestCpu = Math.min(bestCpu, (CPU.getCurrentThreadCpuTime() - cpu0) / 1e9);
          }
        }
        lastCpuGbPerS = floats * 4 / bestCpu / 1e9;
        return floats * 4 / best / 1e9;
      }
    }
  }
}
