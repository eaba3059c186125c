package dev.latent.gateway.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/** A gateway process from the built jar, with its own ledger under a temporary LATENT_HOME. */
record GatewayProcess(Process process, int port, Path home) implements AutoCloseable {

  static final String ADMIN = "bench-admin-key";

  /**
   * @param jvm the JVM options ({@link JvmOptions}): the ones the gateway ships with plus the bench's extras
   * @param cpus the CPUs the gateway may run on ({@code taskset -c} list), or null for all: the
   *     bench's {@code --gateway-cpus}, so that the load generator and stub cannot queue it
   */
  static GatewayProcess start(String java, List<String> jvm, Path jar, String backend, boolean metered,
      Map<String, String> properties, String cpus) throws IOException {
    Path home = Files.createTempDirectory("latent-bench");
    List<String> command = new ArrayList<>();
    if (cpus != null) {
      command.addAll(List.of("taskset", "-c", cpus)); // taskset execs the JVM: same process, same pid
    }
    // Compiler threads kept alive: HotSpot ends idle ones, and the JIT's CPU would leave the
    // bench's per-thread account (ThreadCpu) with them.
    command.addAll(List.of(java, "-XX:-UseDynamicNumberOfCompilerThreads"));
    command.addAll(jvm);
    // Every safepoint (GC pauses of any collector among them), to count the time the event loops stood still.
    command.add("-Xlog:safepoint=info:file=" + home.resolve(SafepointLog.FILE) + ":uptime");
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
    if (jvm.stream().anyMatch(o -> o.contains("%m"))) {
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
    GatewayProcess gateway = new GatewayProcess(process, listeningPort(process, home.resolve("gateway.log")), home);
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

  /** Resident memory of the gateway now ({@code VmRSS} of /proc/<pid>/status), 0 where unknown. */
  double rssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or gone
    }
    return 0;
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
