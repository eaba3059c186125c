package dev.latent.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.gateway.ledger.BudgetLedger;
import dev.latent.gateway.ledger.Reservation;
import dev.latent.gateway.support.Admin;
import dev.latent.gateway.support.Gateways;
import dev.latent.gateway.support.StubBackend;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * The embedded default (an H2 file under {@code $LATENT_HOME}) across a restart: reservations a
 * gateway left open are billed from the backend's record by the next one. Also: the off-peak
 * multiplier applies end to end (this gateway is off-peak all day).
 */
class ReconcilerTest {

  static StubBackend backend;
  static Path home;

  @BeforeAll
  static void start() throws Exception {
    backend = new StubBackend();
    home = Files.createTempDirectory(Path.of("target"), "reconcile-home");
  }

  @AfterAll
  static void stop() {
    backend.close();
  }

  Map<String, String> properties() {
    return Map.ofEntries(
        Map.entry("latent.home", home.toAbsolutePath().toString()),
        Map.entry("logging.level.dev.latent.gateway.metering", "DEBUG"),
        Map.entry("latent.gateway.pricing.models[0].model", "stub-model"),
        Map.entry("latent.gateway.pricing.models[0].input-cache-hit", "1"),
        Map.entry("latent.gateway.pricing.models[0].input-cache-miss", "2"),
        Map.entry("latent.gateway.pricing.models[0].output", "4"),
        Map.entry("latent.gateway.pricing.models[0].currency", "USD"),
        Map.entry("latent.gateway.pricing.off-peak[0].start", "00:00"),
        Map.entry("latent.gateway.pricing.off-peak[0].end", "23:59:59.999"),
        Map.entry("latent.gateway.pricing.off-peak[0].multiplier", "0.5"));
  }

  @Test
  void aRestartedGatewayBillsWhatItsPredecessorLeftOpen() {
    String keyId;
    try (ConfigurableApplicationContext before = Gateways.start(backend, properties())) {
      var client = Gateways.client(before);
      var key = Admin.createKey(client, Map.of("name", "k", "tenant", "acme",
          "budget", Map.of("amount", "100", "currency", "USD", "period", "total")));
      keyId = key.get("id").asString();
      client.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key.get("key").asString())
          .header("X-Request-Id", "offpeak-1").contentType(MediaType.APPLICATION_JSON)
          .bodyValue("{\"model\":\"stub-model\",\"messages\":[]}").exchange().expectStatus().isOk();
      DatabaseClient db = before.getBean(DatabaseClient.class);
      // 20 miss × 2 + 5 out × 4 = 60 per 1M, at half price: 0.00003
      assertThat(await(db, "select cost from usage_records where request_id = 'offpeak-1'")).isEqualByComparingTo("0.00003");

      // What a crash leaves: admitted, sent, never settled.
      BudgetLedger ledger = before.getBean(BudgetLedger.class);
      Instant period = Instant.EPOCH;
      ledger.reserve(new Reservation("crashed-1", keyId, "acme", "stub-model", "inference", period,
          new BigDecimal("1"), Instant.now()), new BigDecimal("100")).block();
      ledger.reserve(new Reservation("crashed-2", keyId, "acme", "stub-model", "inference", period,
          new BigDecimal("1"), Instant.now()), new BigDecimal("100")).block();
      backend.remember("crashed-1", new StubBackend.Record("stub-model", "final", 100, 40, 7));
      backend.remember("crashed-2", new StubBackend.Record("stub-model", "running", 100, 0, 3));
    }

    try (ConfigurableApplicationContext after = Gateways.start(backend, properties())) {
      DatabaseClient db = after.getBean(DatabaseClient.class);
      // 40 hit × 1 + 60 miss × 2 + 7 out × 4 = 188 per 1M, at half price
      assertThat(await(db, "select cost from usage_records where request_id = 'crashed-1'")).isEqualByComparingTo("0.000094");
      assertThat(db.sql("select status from usage_records where request_id = 'crashed-1'")
          .map(r -> r.get("status", String.class)).one().block()).isEqualTo("final");
      // Still running on the backend: left open for a later round.
      assertThat(db.sql("select count(*) as n from reservations where request_id = 'crashed-2'")
          .map(r -> r.get("n", Long.class)).one().block()).isEqualTo(1);
      BigDecimal reserved = db.sql("select reserved from budget_usage where key_id = :k").bind("k", keyId)
          .map(r -> r.get("reserved", BigDecimal.class)).one().block();
      assertThat(reserved).isEqualByComparingTo("1");
    }
  }

  private static BigDecimal await(DatabaseClient db, String sql) {
    // Awaitility, not MeteringTest.sleep: touching MeteringTest would run its static initializer,
    // which installs BlockHound in the middle of this test — after Reactor's parallel workers
    // had parked in code BlockHound had not instrumented yet, which broke those workers (their
    // next idle park failed with an IllegalMonitorStateException) and hung later ledger reads.
    return Awaitility.await("row for " + sql).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> db.sql(sql).map(r -> r.get(0, BigDecimal.class)).one().block(), java.util.Objects::nonNull);
  }
}
