package dev.latent.gateway.bench;

import dev.latent.gateway.support.StubBackend;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.resources.ConnectionProvider;

/**
 * {@code ./platform bench gateway}: the same open-loop load (fixed arrival rate) against the stub
 * backend alone ({@code direct}), through a gateway that only routes ({@code routed}, keys off), and
 * through a gateway that authenticates, limits, reserves, meters and bills into its H2 ledger
 * ({@code metered}). Prints one JSON line per mode.
 */
public final class GatewayBench {

  private record Sample(long totalNanos, long firstByteNanos, boolean ok) {}

  /** What one load phase did: the answers, and how late the generator sent (it shares the CPUs). */
  private record Phase(List<Sample> samples, long sent, double sendSeconds, double sendLagP99Ms) {}

  /**
   * @param gatewayCpuMs CPU time the gateway process used (user + system, its own
   *     {@code process_cpu_time}) per request it answered in the measured phase (its own
   *     {@code latent_gateway_requests_total}): a figure that, unlike latency, hardly depends on what
   *     else runs, and that a backlog of timed-out requests cannot dilute
   * @param gatewayCpuByThread the same split by thread group ({@link ThreadCpu}): event loops,
   *     ledger, JIT compiler, GC, other
   * @param gatewayAnswered requests the gateway itself counted as answered in that phase
   * @param ledgerFlushesPerRequest ledger transactions (group-commit flushes) per answered request
   * @param ledgerBatchMean ledger writes (holds, captures, releases) per flush
   * @param benchCpuMs CPU of this process (load generator + stub backend) per request sent
   * @param machineBusy share of all CPUs busy during the phase (/proc/stat; NaN where unknown)
   * @param busy CPUs kept busy during the phase by the gateway, by this process, and by everything
   *     else on the machine (machine busy minus those two)
   * @param safepoints the gateway's stop-the-world pauses in the phase (GC pauses among them)
   * @param allocKbPerRequest what the gateway allocated per answered request (its collector's count)
   * @param rssMb the gateway's resident memory at the end of the phase
   * @param warning why the latency / throughput figures of this line do not measure the gateway alone, or null
   */
  private record Result(String mode, double rps, double p50, double p99, double fb50, long errors,
      double gatewayCpuMs, Map<String, Double> gatewayCpuByThread, long gatewayAnswered, double ledgerFlushesPerRequest,
      double ledgerBatchMean, double benchCpuMs,
      double sendRps, double sendLagP99Ms, double machineBusy, Busy busy, SafepointLog safepoints,
      double allocKbPerRequest, double rssMb, String warning) {

    double gatewayCpuMsWithoutJit() {
      return gatewayCpuMs - gatewayCpuByThread.getOrDefault("jit", 0.0);
    }
  }

  /** CPUs busy (1.0 = one CPU all the time) during a phase, per party. */
  private record Busy(double gateway, double bench, double others) {}

  /** Where the processes may run ({@code --gateway-cpus}, {@code --bench-cpus}: taskset lists; null = anywhere). */
  private record Pinning(String gateway, String bench) {

    /** CPUs the gateway may use: its list's size, else the whole machine's. */
    int gatewayCpuCount() {
      return gateway == null ? MachineCpu.count() : cpuCount(gateway);
    }

    static int cpuCount(String list) {
      int n = 0;
      for (String part : list.split(",")) {
        String[] range = part.split("-");
        n += range.length == 1 ? 1 : Integer.parseInt(range[1].trim()) - Integer.parseInt(range[0].trim()) + 1;
      }
      return n;
    }
  }

  public static void main(String[] args) throws Exception {
    // A starved run times out thousands of client requests; count them, do not log each one.
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("reactor.netty"))
        .setLevel(ch.qos.logback.classic.Level.ERROR);
    Map<String, String> options = parse(args);
    int rps = Integer.parseInt(options.getOrDefault("rps", "1000"));
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "30"));
    Path jar = Path.of(options.getOrDefault("jar", "gateway/target/gateway.jar"));
    String java = options.getOrDefault("java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // A warm-up long enough for the JIT to have compiled the request path (a 30 s run: 15 s).
    int warmup = Integer.parseInt(options.getOrDefault("warmup", Integer.toString(Math.max(2, seconds / 2))));
    Pinning pinning = new Pinning(options.get("gateway-cpus"), options.get("bench-cpus"));
    // --gateway-jvm: the options the gateway ships with (bench-gateway.sh passes the launcher's)
    List<String> jvm = JvmOptions.of(options.getOrDefault("gateway-jvm", "@gateway/jvm.options -Xmx512m"),
        System.getenv("LATENT_BENCH_GATEWAY_OPTS"));
    if (pinning.bench() != null) {
      pin(ProcessHandle.current().pid(), pinning.bench());
    }

    // --modes direct,routed,metered (default all; direct always runs: the others are compared to it)
    List<String> modes = List.of(options.getOrDefault("modes", "direct,routed,metered").split(","));
    try (StubBackend stub = new StubBackend()) {
      List<Result> results = new ArrayList<>();
      String ledgerName = options.getOrDefault("ledger", "h2");
      Result direct = run("direct", stub.url(), null, rps, seconds, warmup, null, pinning);
      results.add(direct);
      Result routed = null;
      if (modes.contains("routed")) {
        try (GatewayProcess gateway = GatewayProcess.start(java, jvm, jar, stub.url(), false, Map.of(), pinning.gateway())) {
          routed = run("routed", gateway.url(), null, rps, seconds, warmup, gateway, pinning);
          results.add(routed);
        }
      }
      if (modes.contains("metered")) {
        // --ledger postgres: the metered gateway's ledger on a PostgreSQL 16 container (Testcontainers)
        Map<String, String> ledger = "postgres".equals(options.get("ledger"))
            ? dev.latent.gateway.support.Containers.freshDatabase("bench" + System.nanoTime()) : Map.of();
        try (GatewayProcess metered = GatewayProcess.start(java, jvm, jar, stub.url(), true, ledger, pinning.gateway())) {
          String key = metered.createKey();
          results.add(run("metered", metered.url(), key, rps, seconds, warmup, metered, pinning));
        }
      }
      double routedRps = routed == null ? Double.NaN : routed.rps();
      double routedCpu = routed == null ? Double.NaN : routed.gatewayCpuMs();
      double routedCpuWithoutJit = routed == null ? Double.NaN : routed.gatewayCpuMsWithoutJit();
      for (Result r : results) {
        StringBuilder byThread = new StringBuilder("{");
        r.gatewayCpuByThread().forEach((group, ms) -> byThread.append(byThread.length() > 1 ? "," : "")
            .append(String.format(Locale.ROOT, "\"%s\":%.3f", group, ms)));
        byThread.append('}');
        System.out.printf(Locale.ROOT, "{\"mode\":\"%s\",\"rps_target\":%d,\"seconds\":%d,\"warmup_s\":%d,\"rps_achieved\":%.1f,"
                + "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p50_added_ms\":%.3f,\"p99_added_ms\":%.3f,"
                + "\"throughput_ratio\":%.3f,\"first_byte_p50_ms\":%.3f,\"first_byte_added_ms\":%.3f,\"errors\":%d,"
                + "\"ledger\":\"%s\",\"gateway_cpu_ms_per_request\":%.3f,\"gateway_cpu_ratio\":%.3f,"
                + "\"gateway_cpu_ms_per_request_without_jit\":%.3f,\"gateway_cpu_ratio_without_jit\":%.3f,"
                + "\"gateway_cpu_ms_per_request_by_thread\":%s,"
                + "\"gateway_answered\":%d,\"ledger_flushes_per_request\":%.3f,\"ledger_batch_mean\":%.2f,"
                + "\"bench_cpu_ms_per_request\":%.3f,"
                + "\"send_rps\":%.1f,\"send_lag_p99_ms\":%.1f,\"machine_cpu_busy\":%.2f,"
                + "\"gateway_cpus_busy\":%.2f,\"bench_cpus_busy\":%.2f,\"other_cpus_busy\":%.2f,"
                + "\"gateway_cpus\":%s,\"bench_cpus\":%s,"
                + "\"safepoints\":%d,\"gc_pauses\":%d,\"safepoint_ms_total\":%.1f,\"safepoint_ms_max\":%.1f,"
                + "\"gateway_alloc_kb_per_request\":%.1f,\"gateway_rss_mb\":%.0f,\"gateway_jvm\":%s,"
                + "\"cpus\":%d,\"load_average\":%.2f,\"warning\":%s}%n",
            r.mode(), rps, seconds, warmup, r.rps(), r.p50(), r.p99(), r.p50() - direct.p50(), r.p99() - direct.p99(),
            r.rps() / routedRps, r.fb50(), r.fb50() - direct.fb50(), r.errors(), ledgerName, r.gatewayCpuMs(),
            r.gatewayCpuMs() / routedCpu, r.gatewayCpuMsWithoutJit(), r.gatewayCpuMsWithoutJit() / routedCpuWithoutJit,
            byThread, r.gatewayAnswered(), r.ledgerFlushesPerRequest(), r.ledgerBatchMean(), r.benchCpuMs(), r.sendRps(), r.sendLagP99Ms(),
            r.machineBusy(), r.busy().gateway(), r.busy().bench(), r.busy().others(),
            quoted(pinning.gateway()), quoted(pinning.bench()), r.safepoints().count(), r.safepoints().gcCount(),
            r.safepoints().totalMs(), r.safepoints().maxMs(), r.allocKbPerRequest(), r.rssMb(),
            quoted(r.mode().equals("direct") ? null : String.join(" ", jvm)), MachineCpu.count(),
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), quoted(r.warning()));
        if (r.warning() != null) {
          System.err.println("bench gateway, " + r.mode() + ": " + r.warning());
        }
      }
    }
    System.exit(0);
  }

  /** Warm up, then the measured JSON phase, then a shorter streamed phase for the first byte. */
  private static Result run(String mode, String base, String key, int rps, int seconds, int warmup,
      GatewayProcess process, Pinning pinning) {
    ProcessHandle gateway = process == null ? null : process.process().toHandle();
    Path home = process == null ? null : process.home();
    ConnectionProvider pool = ConnectionProvider.builder("bench-" + mode).maxConnections(512)
        .pendingAcquireMaxCount(-1).build();
    reactor.netty.http.client.HttpClient client = reactor.netty.http.client.HttpClient.create(pool)
        .baseUrl(base).responseTimeout(Duration.ofSeconds(10));
    try {
      load(client, key, rps, warmup, false);
      GatewayCounters before = GatewayCounters.read(base, gateway);
      ThreadCpu threadsBefore = ThreadCpu.read(gateway);
      int safepointMark = SafepointLog.mark(home);
      long start = System.nanoTime();
      long benchCpu0 = cpuNanos(ProcessHandle.current());
      long[] machine0 = MachineCpu.read();
      Phase phase = load(client, key, rps, seconds, false);
      double elapsed = (System.nanoTime() - start) / 1e9;
      long benchCpu = cpuNanos(ProcessHandle.current()) - benchCpu0;
      double machineBusy = MachineCpu.busy(machine0, MachineCpu.read());
      ThreadCpu threadsAfter = ThreadCpu.read(gateway);
      SafepointLog safepoints = SafepointLog.since(home, safepointMark);
      double rssMb = process == null ? 0 : process.rssMb();
      GatewayCounters after = GatewayCounters.read(base, gateway);
      Phase streams = load(client, key, Math.max(1, rps / 4), Math.max(2, seconds / 3), true);
      List<Sample> json = phase.samples();
      long okCount = json.stream().filter(Sample::ok).count();
      long errors = json.size() - okCount + streams.samples().stream().filter(s -> !s.ok()).count();
      long answered = after.answered() - before.answered();
      long gatewayCpuNanos = gateway == null ? 0 : after.cpuNanos() - before.cpuNanos();
      double gatewayCpuMs = gatewayCpuNanos / 1e6 / Math.max(1, answered);
      double sendRps = phase.sent() / Math.max(1e-9, phase.sendSeconds());
      Busy busy = new Busy(gatewayCpuNanos / 1e9 / elapsed, benchCpu / 1e9 / elapsed,
          Math.max(0, machineBusy * MachineCpu.count() - (gatewayCpuNanos + benchCpu) / 1e9 / elapsed));
      return new Result(mode, okCount / elapsed, percentile(json, 0.50, false), percentile(json, 0.99, false),
          percentile(streams.samples(), 0.50, true), errors, gatewayCpuMs,
          withEnded(threadsAfter.msPerRequestSince(threadsBefore, answered), gatewayCpuMs), gateway == null ? okCount : answered,
          (after.ledgerFlushes() - before.ledgerFlushes()) / (double) Math.max(1, answered),
          (after.ledgerWrites() - before.ledgerWrites()) / (double) Math.max(1, after.ledgerFlushes() - before.ledgerFlushes()),
          benchCpu / 1e6 / Math.max(1, phase.sent()), sendRps, phase.sendLagP99Ms(), machineBusy, busy,
          safepoints, (after.allocatedBytes() - before.allocatedBytes()) / 1024.0 / Math.max(1, answered), rssMb,
          warning(rps, sendRps, phase.sendLagP99Ms(), machineBusy, busy, pinning));
    } finally {
      pool.dispose();
    }
  }

  /** Adds {@code ended}: the process's CPU that no living thread accounts for (threads that ended in the phase). */
  private static Map<String, Double> withEnded(Map<String, Double> byThread, double totalMs) {
    double counted = byThread.values().stream().mapToDouble(Double::doubleValue).sum();
    Map<String, Double> all = new LinkedHashMap<>(byThread);
    all.put("ended", Math.max(0, totalMs - counted));
    return all;
  }

  /** Why a line's latency and throughput describe the machine rather than the gateway, or null. */
  private static String warning(int rps, double sendRps, double lagP99Ms, double machineBusy, Busy busy,
      Pinning pinning) {
    List<String> why = new ArrayList<>();
    if (sendRps < 0.95 * rps || lagP99Ms > 50) {
      why.add(String.format(Locale.ROOT, "the load generator was starved (sent %.0f of %d RPS, p99 %.0f ms late)",
          sendRps, rps, lagP99Ms));
    }
    if (pinning.gateway() != null) {
      // Pinned: the gateway's own CPUs are what can queue it, and other processes landing on them.
      int cpus = pinning.gatewayCpuCount();
      if (busy.gateway() > 0.90 * cpus) {
        why.add(String.format(Locale.ROOT, "the gateway kept its %d CPU(s) %.0f%% busy (it queues on its own CPU)",
            cpus, 100 * busy.gateway() / cpus));
      }
      if (busy.others() > 0.25) {
        why.add(String.format(Locale.ROOT, "other processes used %.2f CPUs", busy.others()));
      }
    } else if (machineBusy > 0.90) {
      why.add(String.format(Locale.ROOT, "all %d CPUs were %.0f%% busy (load generator, stub, gateway and any other "
          + "work share them)", MachineCpu.count(), 100 * machineBusy));
    }
    return why.isEmpty() ? null : String.join("; ", why)
        + ": latency and RPS measure queueing on this machine; compare gateway_cpu_ms_per_request";
  }

  private static Phase load(reactor.netty.http.client.HttpClient client, String key, int rps,
      int seconds, boolean stream) {
    String body = stream
        ? "{\"model\":\"stub-model\",\"stream\":true,\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
        : "{\"model\":\"stub-model\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
    long total = (long) rps * seconds;
    CountDownLatch done = new CountDownLatch((int) total);
    long periodNanos = 1_000_000_000L / rps;
    long[] lagMicros = new long[(int) total];
    AtomicLong sentCount = new AtomicLong();
    AtomicLong lastSent = new AtomicLong();
    long begin = System.nanoTime();
    Flux.interval(Duration.ofNanos(periodNanos)).take(total).onBackpressureDrop(t -> done.countDown())
        .subscribe(tick -> {
          long sent = System.nanoTime();
          // How late this request left compared with the fixed schedule (a starved generator sends in bursts).
          lagMicros[(int) sentCount.getAndIncrement()] = Math.max(0, (sent - begin - (tick + 1) * periodNanos) / 1000);
          lastSent.set(sent);
          AtomicLong firstByte = new AtomicLong();
          client.headers(h -> {
                h.set("Content-Type", "application/json").set("X-Request-Id", UUID.randomUUID().toString())
                    .set("X-Stub-Chunks", "5").set("X-Stub-Interval-Ms", "1");
                if (key != null) {
                  h.set("Authorization", "Bearer " + key);
                }
              })
              .post().uri("/v1/chat/completions")
              .send(Mono.fromSupplier(() -> io.netty.buffer.Unpooled.wrappedBuffer(bytes)))
              .response((res, content) -> content.doOnNext(b -> firstByte.compareAndSet(0, System.nanoTime()))
                  .then(Mono.just(res.status().code())))
              .next()
              .subscribe(status -> samples.add(new Sample(System.nanoTime() - sent,
                      firstByte.get() == 0 ? 0 : firstByte.get() - sent, status == 200)),
                  error -> {
                    samples.add(new Sample(System.nanoTime() - sent, 0, false));
                    done.countDown();
                  },
                  done::countDown);
        });
    try {
      done.await(seconds + 30L, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long n = sentCount.get();
    long[] lags = java.util.Arrays.copyOf(lagMicros, (int) n);
    java.util.Arrays.sort(lags);
    double lagP99 = n == 0 ? Double.NaN : lags[(int) Math.min(n - 1, Math.ceil(0.99 * n) - 1)] / 1e3;
    return new Phase(new ArrayList<>(samples), n, (Math.max(lastSent.get(), begin) - begin) / 1e9, lagP99);
  }

  /** Moves every thread of process {@code pid} onto {@code cpus} (threads it starts later inherit it). */
  private static void pin(long pid, String cpus) throws IOException, InterruptedException {
    Process taskset = new ProcessBuilder("taskset", "-a", "-p", "-c", cpus, Long.toString(pid))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (taskset.waitFor() != 0) {
      throw new IllegalStateException("taskset -a -p -c " + cpus + " " + pid + " failed (exit " + taskset.exitValue() + ")");
    }
  }

  private static String quoted(String text) {
    return text == null ? "null" : "\"" + text.replace("\"", "'") + "\"";
  }

  private static long cpuNanos(ProcessHandle process) {
    return process == null ? 0 : process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  private static double percentile(List<Sample> samples, double q, boolean firstByte) {
    long[] values = samples.stream().filter(Sample::ok)
        .mapToLong(s -> firstByte ? s.firstByteNanos() : s.totalNanos()).sorted().toArray();
    if (values.length == 0) {
      return Double.NaN;
    }
    return values[Math.min(values.length - 1, (int) Math.ceil(q * values.length) - 1)] / 1e6;
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    return options;
  }
}
