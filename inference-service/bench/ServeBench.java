import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load generator for `./platform bench serve`: real HTTP + SSE against a running inference
 * service, JDK only (run as `java ServeBench.java ...`). For each concurrency level, that many
 * clients stream completions of distinct random prompts (so the prefix cache cannot help) and
 * one JSON line is printed: aggregate generated tokens per second, TTFT and TPOT percentiles.
 * By default each level runs 4 × concurrency requests (at least 4), so most of the run is the
 * steady state with every client busy rather than the ramp and the tail. The service's step
 * metrics (Prometheus) over the level are added: decode steps, mean batch, mean engine time per
 * decode step, engine time in prefill, the runtime's emit time per decode step (sampling,
 * detokenizing, handing events to the stream), and the scheduler's wall time in steps minus the
 * engine and emit time (its own bookkeeping). With {@code --pid} the service process's CPU time
 * over the level is added (from /proc): {@code service_cpu_s} and {@code cpu_ms_per_token}, the
 * figure to compare under machine load.
 *
 * Args: --url U --model M --concurrency 1,4,16 --prompt 256 --tokens 128 [--requests N]
 *   [--pid P --clk-tck 100] [--json extra]
 */
public class ServeBench {

  record Result(long ttftNanos, long endNanos, long startNanos, int tokens) {}

  private static final Pattern COMPLETION_TOKENS = Pattern.compile("\"completion_tokens\":(\\d+)");

  public static void main(String[] args) throws Exception {
    String url = "http://localhost:8081";
    String model = "latent-seeded-15m";
    String levels = "1,4,16";
    int prompt = 256;
    int tokens = 128;
    int requestsArg = 0;
    String extra = "";
    long pid = 0;
    int clkTck = 100;
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--url" -> url = args[i + 1];
        case "--model" -> model = args[i + 1];
        case "--concurrency" -> levels = args[i + 1];
        case "--prompt" -> prompt = Integer.parseInt(args[i + 1]);
        case "--tokens" -> tokens = Integer.parseInt(args[i + 1]);
        case "--requests" -> requestsArg = Integer.parseInt(args[i + 1]);
        case "--json" -> extra = args[i + 1];
        case "--pid" -> pid = Long.parseLong(args[i + 1]);
        case "--clk-tck" -> clkTck = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    Random random = new Random(7);
    // Warm-up: JIT and the first native allocations, not measured.
    run(http, url, model, randomPrompt(random, prompt), 8);
    for (String level : levels.split(",")) {
      int c = Integer.parseInt(level.trim());
      int requests = requestsArg > 0 ? requestsArg : Math.max(4 * c, 4);
      double[] before = stepMetrics(http, url);
      double cpuBefore = cpuSeconds(pid, clkTck);
      java.util.Map<String, Double> threadsBefore = threadCpu(pid, clkTck);
      List<String> prompts = new ArrayList<>();
      for (int i = 0; i < requests; i++) {
        prompts.add(randomPrompt(random, prompt));
      }
      AtomicInteger next = new AtomicInteger();
      final String u = url;
      final String m = model;
      final int t = tokens;
      long start = System.nanoTime();
      List<Result> results = new ArrayList<>();
      try (ExecutorService pool = Executors.newFixedThreadPool(c)) {
        List<Future<List<Result>>> workers = new ArrayList<>();
        for (int w = 0; w < c; w++) {
          workers.add(pool.submit(() -> {
            List<Result> mine = new ArrayList<>();
            int i;
            while ((i = next.getAndIncrement()) < prompts.size()) {
              mine.add(run(http, u, m, prompts.get(i), t));
            }
            return mine;
          }));
        }
        for (var f : workers) {
          results.addAll(f.get());
        }
      }
      double wall = (System.nanoTime() - start) / 1e9;
      double[] after = stepMetrics(http, url);
      double cpu = cpuSeconds(pid, clkTck) - cpuBefore;
      java.util.Map<String, Double> threadsAfter = threadCpu(pid, clkTck);
      double steps = after[1] - before[1];
      double[] d = new double[after.length];
      for (int k = 0; k < d.length; k++) {
        d[k] = after[k] - before[k];
      }
      long generated = results.stream().mapToLong(Result::tokens).sum();
      String stepJson = String.format(Locale.ROOT,
          ",\"decode_steps\":%d,\"mean_batch\":%.2f,\"decode_step_ms\":%.1f,\"prefill_engine_s\":%.2f"
              + ",\"emit_ms_per_step\":%.2f,\"step_wall_s\":%.2f,\"runtime_other_s\":%.2f"
              + ",\"decode_context_mean\":%.0f,\"prefill_wait_s\":%.2f,\"prefill_chunks\":%d"
              + ",\"prefill_threads_mean\":%.2f,\"engine_threads\":%.0f,\"kv_bytes_per_token\":%.0f"
              + ",\"decode_steps_scattered\":%d,\"mixed_steps\":%d,\"mixed_step_ms\":%.1f"
              + ",\"prompt_tokens_per_step\":%.1f,\"java_steps\":%d,\"f32_panel_mb\":%.0f",
          (long) steps, steps == 0 ? 0 : d[0] / steps, d[13] == 0 ? 0 : d[2] / d[13] * 1000, d[3],
          steps == 0 ? 0 : d[4] / steps * 1000, d[5], d[5] - d[2] - d[14] - (d[9] == 0 ? d[3] : 0) - d[7] - d[4],
          d[0] == 0 ? 0 : d[6] / d[0], d[7], (long) d[9], d[9] == 0 ? 0 : d[8] / d[9], after[10], after[11],
          (long) d[12], (long) d[15], d[15] == 0 ? 0 : d[14] / d[15] * 1000,
          d[17] == 0 ? 0 : d[16] / d[17], (long) d[18], after[19] / 1e6);
      if (pid > 0 && cpu >= 0) {
        stepJson += String.format(Locale.ROOT, ",\"service_cpu_s\":%.2f,\"cpu_ms_per_token\":%.2f",
            cpu, generated == 0 ? 0 : cpu * 1000 / generated);
        // by thread group; threads that ended during the level (idle pool threads) count as "ended"
        var groups = new java.util.TreeMap<String, Double>();
        threadsAfter.forEach((tid, now) -> groups.merge(group(tid), now
            - threadsBefore.getOrDefault(tid, 0.0), Double::sum));
        groups.put("ended", cpu - groups.values().stream().mapToDouble(Double::doubleValue).sum());
        var byGroup = new StringBuilder();
        groups.forEach((g, v) -> byGroup.append(byGroup.isEmpty() ? "" : ",")
            .append(String.format(Locale.ROOT, "\"%s\":%.2f", g, v)));
        stepJson += ",\"cpu_s_by_thread\":{" + byGroup + "}";
      }
      double[] ttft = results.stream().mapToDouble(r -> (r.ttftNanos - r.startNanos) / 1e6).toArray();
      double[] tpot = results.stream().filter(r -> r.tokens > 1)
          .mapToDouble(r -> (r.endNanos - r.ttftNanos) / 1e6 / (r.tokens - 1)).toArray();
      double[] e2e = results.stream().mapToDouble(r -> (r.endNanos - r.startNanos) / 1e6).toArray();
      System.out.println(String.format(Locale.ROOT,
          "{\"bench\":\"serve\",%s\"concurrency\":%d,\"requests\":%d,\"prompt_tokens\":%d,"
              + "\"max_tokens\":%d,\"generated_tokens\":%d,\"wall_s\":%.2f,"
              + "\"aggregate_tok_per_s\":%.1f,\"ttft_p50_ms\":%.1f,\"ttft_p99_ms\":%.1f,"
              + "\"tpot_p50_ms\":%.2f,\"tpot_p99_ms\":%.2f,\"e2e_p50_ms\":%.1f%s}",
          extra.isEmpty() ? "" : extra + ",", c, results.size(), prompt, tokens, generated, wall,
          generated / wall, pct(ttft, 50), pct(ttft, 99), pct(tpot, 50), pct(tpot, 99),
          pct(e2e, 50), stepJson));
    }
  }

  // Printable ASCII: one token per character with the seeded byte-level tokenizer.
  private static String randomPrompt(Random random, int length) {
    var sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append((char) ('a' + random.nextInt(26)));
    }
    return sb.toString();
  }

  private static Result run(HttpClient http, String url, String model, String prompt, int tokens)
      throws Exception {
    String body = "{\"model\":\"" + model + "\",\"prompt\":\"" + prompt + "\",\"max_tokens\":"
        + tokens + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
    var request = HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
        .header("Content-Type", "application/json").header("Accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    long start = System.nanoTime();
    HttpResponse<java.util.stream.Stream<String>> response =
        http.send(request, HttpResponse.BodyHandlers.ofLines());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("HTTP " + response.statusCode());
    }
    long[] first = {0};
    int[] generated = {0};
    response.body().forEach(line -> {
      if (!line.startsWith("data:")) {
        return;
      }
      if (first[0] == 0 && line.contains("\"text\"")) {
        first[0] = System.nanoTime();
      }
      Matcher m = COMPLETION_TOKENS.matcher(line);
      if (m.find()) {
        generated[0] = Integer.parseInt(m.group(1));
      }
    });
    long end = System.nanoTime();
    return new Result(first[0] == 0 ? end : first[0], end, start, generated[0]);
  }

  /**
   * The service's step metrics so far: batch sum, steps with decode rows, decode engine seconds,
   * prefill engine seconds, emit seconds, scheduler step wall seconds, cached tokens the decode
   * steps' attention read, seconds the scheduler waited for prefill chunks, PyTorch threads summed
   * over prompt chunks and the chunk count, the decode steps' thread count, KV bytes per token,
   * scattered steps, decode-only steps, mixed steps' engine seconds and count, prompt tokens per
   * step (sum, count), steps through the engine's Java pass, the panel copy's bytes (all models
   * together; zeros when the endpoint does not answer).
   */
  private static double[] stepMetrics(HttpClient http, String url) {
    double[] out = new double[20];
    try {
      String text = http.send(HttpRequest.newBuilder(URI.create(url + "/actuator/prometheus")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      for (String line : text.split("\n")) {
        if (line.startsWith("#")) {
          continue;
        }
        int space = line.lastIndexOf(' ');
        if (space < 0) {
          continue;
        }
        double value;
        try {
          value = Double.parseDouble(line.substring(space + 1));
        } catch (NumberFormatException e) {
          continue;
        }
        if (line.startsWith("latent_inference_step_batch_sum")) {
          out[0] += value;
        } else if (line.startsWith("latent_inference_step_batch_count")) {
          out[1] += value;
        } else if (line.startsWith("latent_inference_step_engine_seconds_sum") && line.contains("phase=\"decode\"")) {
          out[2] += value;
        } else if (line.startsWith("latent_inference_step_engine_seconds_sum") && line.contains("phase=\"prefill\"")) {
          out[3] += value;
        } else if (line.startsWith("latent_inference_step_emit_seconds_sum")) {
          out[4] += value;
        } else if (line.startsWith("latent_inference_step_wall_seconds_sum")) {
          out[5] += value;
        } else if (line.startsWith("latent_inference_step_context_tokens_sum")) {
          out[6] += value;
        } else if (line.startsWith("latent_inference_step_prefill_wait_seconds_sum")) {
          out[7] += value;
        } else if (line.startsWith("latent_inference_prefill_chunk_threads_sum")) {
          out[8] += value;
        } else if (line.startsWith("latent_inference_prefill_chunk_threads_count")) {
          out[9] += value;
        } else if (line.startsWith("latent_inference_engine_threads")) {
          out[10] = Math.max(out[10], value);
        } else if (line.startsWith("latent_inference_kv_cache_bytes_per_token")) {
          out[11] = Math.max(out[11], value);
        } else if (line.startsWith("latent_inference_step_scattered_total")) {
          out[12] += value;
        } else if (line.startsWith("latent_inference_step_engine_seconds_count") && line.contains("phase=\"decode\"")) {
          out[13] += value;
        } else if (line.startsWith("latent_inference_step_engine_seconds_sum") && line.contains("phase=\"mixed\"")) {
          out[14] += value;
        } else if (line.startsWith("latent_inference_step_engine_seconds_count") && line.contains("phase=\"mixed\"")) {
          out[15] += value;
        } else if (line.startsWith("latent_inference_step_prompt_tokens_sum")) {
          out[16] += value;
        } else if (line.startsWith("latent_inference_step_prompt_tokens_count")) {
          out[17] += value;
        } else if (line.startsWith("latent_inference_engine_java_steps_total")) {
          out[18] += value;
        } else if (line.startsWith("latent_inference_model_f32_panel_bytes")) {
          out[19] += value;
        }
      }
    } catch (Exception e) {
      // figures without the step metrics
    }
    return out;
  }

  /** User + system CPU seconds of process {@code pid} so far; -1 when it cannot be read. */
  private static double cpuSeconds(long pid, int clkTck) {
    if (pid <= 0) {
      return -1;
    }
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) clkTck; // utime, stime
    } catch (Exception e) {
      return -1;
    }
  }

  /**
   * CPU seconds of each thread of {@code pid} so far, keyed by {@code tid:name} (the name as the
   * kernel keeps it: 15 characters; native threads a JVM thread starts, like PyTorch's OpenMP
   * workers, carry their creator's name); empty when /proc cannot be read.
   */
  private static java.util.Map<String, Double> threadCpu(long pid, int clkTck) {
    var out = new java.util.HashMap<String, Double>();
    if (pid <= 0) {
      return out;
    }
    try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/" + pid + "/task"))) {
      for (var task : tasks.toList()) {
        try {
          String stat = java.nio.file.Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          out.put(task.getFileName() + ":" + name,
              (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) clkTck);
        } catch (Exception e) {
          // the thread ended meanwhile
        }
      }
    } catch (Exception e) {
      // no per-thread figures
    }
    return out;
  }

  /** The group of a {@code tid:name} thread: its name without the model, index or number. */
  private static String group(String thread) {
    String name = thread.substring(thread.indexOf(':') + 1);
    for (String prefix : new String[] {"scheduler", "prefill", "sampler", "matrix-kernel", "parallel",
        "reactor-http", "tokenize", "HttpClient"}) {
      if (name.startsWith(prefix)) {
        return prefix;
      }
    }
    if (name.startsWith("GC ") || name.startsWith("G1 ")) {
      return "gc";
    }
    return name.contains("Compiler") ? "jit" : "other";
  }

  private static double pct(double[] values, int p) {
    if (values.length == 0) {
      return 0;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }
}
