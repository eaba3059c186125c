package dev.latent.gateway.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The gateway's own view of a phase, read from its Prometheus endpoint: the process's CPU time and
 * how many requests it answered ({@code latent_gateway_requests_total}, any status). Dividing one
 * by the other gives CPU per request the gateway actually served, whatever the load generator saw.
 * Falls back to the OS's CPU figure for the process when the scrape fails. Also the ledger's
 * flushes ({@code latent_gateway_ledger_batch_size_count}: one transaction each) and the writes
 * they held (its sum), which say how well group commit batched whatever the machine's load; and
 * the bytes the gateway allocated (counted by its collector's notifications: up to the last collection).
 */
record GatewayCounters(long cpuNanos, long answered, long ledgerFlushes, long ledgerWrites, long allocatedBytes) {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static GatewayCounters read(String base, ProcessHandle gateway) {
    if (gateway == null) {
      return new GatewayCounters(0, 0, 0, 0, 0);
    }
    long osCpu = gateway.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    try {
      HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/actuator/prometheus"))
          .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      double cpuSeconds = Double.NaN;
      double answered = 0;
      double flushes = 0;
      double writes = 0;
      double allocated = 0;
      for (String line : res.body().split("\n")) {
        if (line.startsWith("#")) {
          continue;
        }
        int space = line.lastIndexOf(' ');
        if (space < 0) {
          continue;
        }
        if (line.startsWith("latent_gateway_requests_total{")) {
          answered += Double.parseDouble(line.substring(space + 1));
        } else if (line.startsWith("latent_gateway_ledger_batch_size_count")) {
          flushes += Double.parseDouble(line.substring(space + 1));
        } else if (line.startsWith("latent_gateway_ledger_batch_size_sum")) {
          writes += Double.parseDouble(line.substring(space + 1));
        } else if (line.startsWith("jvm_gc_memory_allocated_bytes_total")) { // Micrometer's, from GC notifications
          allocated += Double.parseDouble(line.substring(space + 1));
        } else if (line.startsWith("process_cpu_time_")) { // Micrometer's process.cpu.time, unit in the name
          double value = Double.parseDouble(line.substring(space + 1));
          cpuSeconds = line.startsWith("process_cpu_time_ns") ? value / 1e9 : value;
        }
      }
      return new GatewayCounters(Double.isNaN(cpuSeconds) ? osCpu : (long) (cpuSeconds * 1e9), (long) answered,
          (long) flushes, (long) writes, (long) allocated);
    } catch (IOException | RuntimeException e) {
      return new GatewayCounters(osCpu, 0, 0, 0, 0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new GatewayCounters(osCpu, 0, 0, 0, 0);
    }
  }
}
