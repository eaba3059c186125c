package dev.latent.gateway.bench;

import dev.latent.gateway.support.StubBackend;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
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
   * @param gatewayAnswered requests the gateway itself counted as answered in that phase
   * @param benchCpuMs CPU of this process (load generator + stub backend) per request sent
   * @param machineBusy share of all CPUs busy during the phase (/proc/stat; NaN where unknown)
   * @param warning why the latency / throughput figures of this line do not measure the gateway alone, or null
   */
  private record Result(String mode, double rps, double p50, double p99, double fb50, long errors,
      double gatewayCpuMs, long gatewayAnswered, double benchCpuMs, double sendRps, double sendLagP99Ms,
      double machineBusy, String warning) {}

  public static void main(String[] args) throws Exception {
    // A starved run times out thousands of client requests; count them, do not log each one.
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("reactor.netty"))
        .setLevel(ch.qos.logback.classic.Level.ERROR);
    Map<String, String> options = parse(args);
    int rps = Integer.parseInt(options.getOrDefault("rps", "1000"));
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "30"));
    Path jar = Path.of(options.getOrDefault("jar", "gateway/target/gateway.jar"));
    String java = options.getOrDefault("java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    int warmup = Integer.parseInt(options.getOrDefault("warmup", Integer.toString(Math.max(2, seconds / 5))));

    // --modes direct,routed,metered (default all; direct always runs: the others are compared to it)
    List<String> modes = List.of(options.getOrDefault("modes", "direct,routed,metered").split(","));
    try (StubBackend stub = new StubBackend()) {
      List<Result> results = new ArrayList<>();
      String ledgerName = options.getOrDefault("ledger", "h2");
      Result direct = run("direct", stub.url(), null, rps, seconds, warmup, null);
      results.add(direct);
      Result routed = null;
      if (modes.contains("routed")) {
        try (Gateway gateway = Gateway.start(java, jar, stub.url(), false, Map.of())) {
          routed = run("routed", gateway.url(), null, rps, seconds, warmup, gateway.process().toHandle());
          results.add(routed);
        }
      }
      if (modes.contains("metered")) {
        // --ledger postgres: the metered gateway's ledger on a PostgreSQL 16 container (Testcontainers)
        Map<String, String> ledger = "postgres".equals(options.get("ledger"))
            ? dev.latent.gateway.support.Containers.freshDatabase("bench" + System.nanoTime()) : Map.of();
        try (Gateway metered = Gateway.start(java, jar, stub.url(), true, ledger)) {
          String key = metered.createKey();
          results.add(run("metered", metered.url(), key, rps, seconds, warmup, metered.process().toHandle()));
        }
      }
      double routedRps = routed == null ? Double.NaN : routed.rps();
      double routedCpu = routed == null ? Double.NaN : routed.gatewayCpuMs();
      for (Result r : results) {
        System.out.printf(Locale.ROOT, "{\"mode\":\"%s\",\"rps_target\":%d,\"seconds\":%d,\"rps_achieved\":%.1f,"
                + "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p50_added_ms\":%.3f,\"p99_added_ms\":%.3f,"
                + "\"throughput_ratio\":%.3f,\"first_byte_p50_ms\":%.3f,\"first_byte_added_ms\":%.3f,\"errors\":%d,"
                + "\"ledger\":\"%s\",\"gateway_cpu_ms_per_request\":%.3f,\"gateway_cpu_ratio\":%.3f,"
                + "\"gateway_answered\":%d,\"bench_cpu_ms_per_request\":%.3f,"
                + "\"send_rps\":%.1f,\"send_lag_p99_ms\":%.1f,\"machine_cpu_busy\":%.2f,"
                + "\"cpus\":%d,\"load_average\":%.2f,\"warning\":%s}%n",
            r.mode(), rps, seconds, r.rps(), r.p50(), r.p99(), r.p50() - direct.p50(), r.p99() - direct.p99(),
            r.rps() / routedRps, r.fb50(), r.fb50() - direct.fb50(), r.errors(), ledgerName, r.gatewayCpuMs(),
            r.gatewayCpuMs() / routedCpu, r.gatewayAnswered(), r.benchCpuMs(), r.sendRps(), r.sendLagP99Ms(),
            r.machineBusy(), Runtime.getRuntime().availableProcessors(),
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
            r.warning() == null ? "null" : "\"" + r.warning().replace("\"", "'") + "\"");
        if (r.warning() != null) {
          System.err.println("bench gateway, " + r.mode() + ": " + r.warning());
        }
      }
    }
    System.exit(0);
  }

  /** Warm up, then the measured JSON phase, then a shorter streamed phase for the first byte. */
  private static Result run(String mode, String base, String key, int rps, int seconds, int warmup,
      ProcessHandle gateway) {
    ConnectionProvider pool = ConnectionProvider.builder("bench-" + mode).maxConnections(512)
        .pendingAcquireMaxCount(-1).build();
    reactor.netty.http.client.HttpClient client = reactor.netty.http.client.HttpClient.create(pool)
        .baseUrl(base).responseTimeout(Duration.ofSeconds(10));
    try {
      load(client, key, rps, warmup, false);
      GatewayCounters before = GatewayCounters.read(base, gateway);
      long start = System.nanoTime();
      long benchCpu0 = cpuNanos(ProcessHandle.current());
      long[] machine0 = MachineCpu.read();
      Phase phase = load(client, key, rps, seconds, false);
      double elapsed = (System.nanoTime() - start) / 1e9;
      long benchCpu = cpuNanos(ProcessHandle.current()) - benchCpu0;
      double busy = MachineCpu.busy(machine0, MachineCpu.read());
      GatewayCounters after = GatewayCounters.read(base, gateway);
      Phase streams = load(client, key, Math.max(1, rps / 4), Math.max(2, seconds / 3), true);
      List<Sample> json = phase.samples();
      long okCount = json.stream().filter(Sample::ok).count();
      long errors = json.size() - okCount + streams.samples().stream().filter(s -> !s.ok()).count();
      long answered = after.answered() - before.answered();
      double gatewayCpuMs = gateway == null ? 0 : (after.cpuNanos() - before.cpuNanos()) / 1e6 / Math.max(1, answered);
      double sendRps = phase.sent() / Math.max(1e-9, phase.sendSeconds());
      return new Result(mode, okCount / elapsed, percentile(json, 0.50, false), percentile(json, 0.99, false),
          percentile(streams.samples(), 0.50, true), errors, gatewayCpuMs, gateway == null ? okCount : answered,
          benchCpu / 1e6 / Math.max(1, phase.sent()), sendRps, phase.sendLagP99Ms(), busy,
          warning(rps, sendRps, phase.sendLagP99Ms(), busy));
    } finally {
      pool.dispose();
    }
  }

  /** Why a line's latency and throughput describe the machine rather than the gateway, or null. */
  private static String warning(int rps, double sendRps, double lagP99Ms, double busy) {
    List<String> why = new ArrayList<>();
    if (sendRps < 0.95 * rps || lagP99Ms > 50) {
      why.add(String.format(Locale.ROOT, "the load generator was starved (sent %.0f of %d RPS, p99 %.0f ms late)",
          sendRps, rps, lagP99Ms));
    }
    if (busy > 0.90) {
      why.add(String.format(Locale.ROOT, "all %d CPUs were %.0f%% busy (load generator, stub, gateway and any other "
          + "work share them)", Runtime.getRuntime().availableProcessors(), 100 * busy));
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

  /** A gateway process from the built jar, with its own ledger under a temporary LATENT_HOME. */
  private record Gateway(Process process, int port, Path home) implements AutoCloseable {

    static final String ADMIN = "bench-admin-key";

    static Gateway start(String java, Path jar, String backend, boolean metered, Map<String, String> properties)
        throws IOException {
      Path home = Files.createTempDirectory("latent-bench");
      List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-XX:+UseParallelGC"));
      // e.g. LATENT_BENCH_GATEWAY_OPTS="-XX:StartFlightRecording=filename=/tmp/gw.jfr" to profile the gateway
      String extra = System.getenv("LATENT_BENCH_GATEWAY_OPTS");
      if (extra != null && !extra.isBlank()) {
        command.addAll(List.of(extra.trim().split("\\s+")));
      }
      // Port 0 and the port read back from the log: a port picked here could be taken (by anyone's
      // process on a shared machine) before the gateway binds it, and a readiness probe on it would
      // then measure that other process.
      command.addAll(List.of("-jar", jar.toString(), "--server.port=0", "--latent.http.access-log=false",
          "--logging.level.root=WARN", "--logging.level.org.springframework.boot.reactor.netty.NettyWebServer=INFO",
          "--latent.gateway.keys.enabled=" + metered,
          "--latent.gateway.pricing.models[0].model=stub-model",
          "--latent.gateway.pricing.models[0].input-cache-hit=0.07",
          "--latent.gateway.pricing.models[0].input-cache-miss=0.27",
          "--latent.gateway.pricing.models[0].output=1.10",
          "--latent.gateway.pricing.models[0].currency=USD"));
      if (extra != null && extra.contains("%m")) {
        command.replaceAll(arg -> arg.replace("%m", metered ? "metered" : "routed"));
      }
      properties.forEach((name, value) -> command.add("--" + name + "=" + value));
      for (String pool : List.of("inference", "vision", "training")) {
        command.add("--latent.gateway.routing.backends." + pool + ".urls[0]=" + backend);
      }
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(home.resolve("gateway.log").toFile());
      builder.environment().put("LATENT_HOME", home.toString());
      builder.environment().put("LATENT_ADMIN_KEY", ADMIN);
      Process process = builder.start();
      Gateway gateway = new Gateway(process, listeningPort(process, home.resolve("gateway.log")), home);
      try {
        gateway.awaitReady();
      } catch (RuntimeException e) {
        gateway.close(); // never leave a gateway running behind a failed bench
        throw e;
      }
      return gateway;
    }

    /** The port the gateway bound, from its log line {@code Netty started on port N}. */
    static int listeningPort(Process process, Path log) {
      Pattern started = Pattern.compile("Netty started on port (\\d+)");
      AtomicInteger port = new AtomicInteger();
      try {
        whileAlive(process, log, "listening").until(() -> {
          Matcher m = started.matcher(Files.readString(log, StandardCharsets.UTF_8));
          if (m.find()) {
            port.set(Integer.parseInt(m.group(1)));
          }
          return port.get() > 0;
        });
      } catch (RuntimeException e) {
        process.destroyForcibly();
        throw e;
      }
      return port.get();
    }

    /**
     * Polls a condition on the gateway every 250 ms for up to 10 minutes; fails at once when its
     * process exits.
     */
    static ConditionFactory whileAlive(Process process, Path log, String what) {
      return Awaitility.await("gateway " + what + "; see " + log).atMost(Duration.ofMinutes(10))
          .pollInterval(Duration.ofMillis(250))
          .failFast("gateway exited; see " + log, () -> !process.isAlive());
    }

    String url() {
      return "http://127.0.0.1:" + port;
    }

    void awaitReady() {
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest readiness = HttpRequest.newBuilder(URI.create(url() + "/actuator/health/readiness")).build();
      whileAlive(process, home.resolve("gateway.log"), "ready").until(() -> {
        try {
          return http.send(readiness, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
          return false; // not listening yet
        }
      });
    }

    String createKey() throws IOException, InterruptedException {
      String spec = "{\"name\":\"bench\",\"tenant\":\"bench\",\"rpm\":100000000,\"tpm\":100000000000,"
          + "\"budget\":{\"amount\":1000000,\"currency\":\"USD\",\"period\":\"total\"}}";
      HttpResponse<String> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url() + "/admin/keys"))
          .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(spec)).build(), HttpResponse.BodyHandlers.ofString());
      if (res.statusCode() != 201) {
        throw new IllegalStateException("could not create a key: " + res.statusCode() + " " + res.body());
      }
      String body = res.body();
      int at = body.indexOf("\"key\":\"") + 7;
      return body.substring(at, body.indexOf('"', at));
    }

    @Override
    public void close() {
      process.destroy();
      try {
        process.waitFor(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process.destroyForcibly();
    }
  }
}
