package dev.latent.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.latent.gateway.ledger.BudgetLedger;
import dev.latent.gateway.ledger.Reservation;
import dev.latent.gateway.support.Admin;
import dev.latent.gateway.support.Gateways;
import dev.latent.gateway.support.NoBlocking;
import dev.latent.gateway.support.StubBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * Work not priced by tokens, end to end on the embedded ledger: vision per image per task (held
 * at admission against the budget, billed on a 2xx, released otherwise) and fine-tuning per
 * trained token (billed once, by the reconciler, when the job has finished).
 */
class UnitMeteringTest {

  static StubBackend backend;
  static ConfigurableApplicationContext gateway;
  static WebTestClient client;

  @BeforeAll
  static void start() throws Exception {
    NoBlocking.install();
    backend = new StubBackend();
    Path home = Files.createTempDirectory(Path.of("target"), "unit-metering-home");
    gateway = Gateways.start(backend, Map.ofEntries(
        Map.entry("latent.home", home.toAbsolutePath().toString()),
        Map.entry("latent.gateway.pricing.vision.faces-verify", "0.5"),
        Map.entry("latent.gateway.pricing.vision.default", "0.25"),
        Map.entry("latent.gateway.pricing.training.default", "8"),
        Map.entry("latent.gateway.pricing.training.big-base", "20"),
        // No timed rounds: the tests run reconciler rounds themselves (production: every minute).
        Map.entry("latent.gateway.metering.reconcile-interval", "1h")));
    client = Gateways.client(gateway);
    reconciler = gateway.getBean(Reconciler.class);
    ledger = gateway.getBean(BudgetLedger.class);
  }

  static Reconciler reconciler;
  static BudgetLedger ledger;

  /** One reconciler round over the open fine-tuning jobs (they are looked at on every round). */
  static void reconcileRound() {
    reconciler.reconcile(Instant.EPOCH).block(Duration.ofSeconds(30));
  }

  static boolean open(String ledgerId) {
    return Boolean.TRUE.equals(ledger.openBefore(Instant.EPOCH, UnitMeteringFilter.JOB_PREFIX)
        .map(Reservation::requestId).any(ledgerId::equals).block(Duration.ofSeconds(30)));
  }

  @AfterAll
  static void stop() {
    gateway.close();
    backend.close();
  }

  static String key(Map<String, Object> spec) {
    var full = new java.util.HashMap<String, Object>(Map.of("name", "units", "tenant", "vision-co"));
    full.putAll(spec);
    return Admin.createKey(client, full).get("key").asString();
  }

  static WebTestClient.ResponseSpec post(String key, String path, String id, int stubStatus, String body) {
    return client.post().uri(path).header("Authorization", "Bearer " + key).header("X-Request-Id", id)
        .header("X-Stub-Status", Integer.toString(stubStatus)).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body).exchange();
  }

  static JsonNode records(String requestId) {
    return client.get().uri(u -> u.path("/v1/usage/requests").queryParam("request_id", requestId).build())
        .header("Authorization", "Bearer " + Admin.KEY).exchange().expectStatus().isOk()
        .expectBody(JsonNode.class).returnResult().getResponseBody();
  }

  /** Reads the records of {@code requestId} until {@code done} holds (settlement runs after the answer). */
  static JsonNode awaitRecords(String requestId, Predicate<JsonNode> done) {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
        .until(() -> records(requestId), done::test);
  }

  @Test
  void visionIsBilledPerImagePerTaskAndTheBudgetHolds() throws Exception {
    // 0.5 per image, verify takes two: 1.0 a call; the budget covers three.
    String key = key(Map.of("budget", Map.of("amount", "3", "currency", "USD", "period", "total")));
    for (int i = 0; i < 3; i++) {
      String id = "verify-" + i + "-" + UUID.randomUUID();
      post(key, "/v1/vision/faces/verify", id, 200, "{\"image1\":\"x\",\"image2\":\"y\"}").expectStatus().isOk();
      JsonNode record = awaitRecords(id, p -> p.path("data").size() == 1).path("data").get(0);
      assertThat(record.path("model").asString()).isEqualTo("vision/faces-verify");
      assertThat(record.path("images").asLong()).isEqualTo(2);
      assertThat(record.path("trained_tokens").asLong()).isZero();
      assertThat(record.path("cost").decimalValue()).isEqualByComparingTo("1.0");
    }
    post(key, "/v1/vision/faces/verify", "verify-over-" + UUID.randomUUID(), 200, "{}")
        .expectStatus().isEqualTo(402)
        .expectBody().jsonPath("$.error.code").isEqualTo("insufficient_quota");
  }

  @Test
  void aFailedVisionCallIsNotBilledAndItsHoldIsReleased() {
    // detect: one image at the default 0.25; the budget covers exactly one.
    String key = key(Map.of("budget", Map.of("amount", "0.25", "currency", "USD", "period", "total")));
    String failed = "detect-failed-" + UUID.randomUUID();
    post(key, "/v1/vision/faces/detect", failed, 500, "{}").expectStatus().isEqualTo(500);
    // Had the failed call kept its hold, this one would not fit.
    String[] ok = new String[1];
    // The release is written just after the 500 went out: until then this call is refused (402).
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
      String id = "detect-ok-" + UUID.randomUUID();
      int status = post(key, "/v1/vision/faces/detect", id, 200, "{}").returnResult(String.class).getStatus().value();
      assertThat(status).isIn(200, 402);
      ok[0] = id;
      return status == 200;
    });
    JsonNode record = awaitRecords(ok[0], p -> p.path("data").size() == 1).path("data").get(0);
    assertThat(record.path("images").asLong()).isEqualTo(1);
    assertThat(record.path("cost").decimalValue()).isEqualByComparingTo("0.25");
    assertThat(records(failed).path("data").size()).isZero();
  }

  @Test
  void aFineTuningJobIsBilledPerTrainedTokenOnceWhenItFinishes() throws Exception {
    String key = key(Map.of("budget", Map.of("amount", "100", "currency", "USD", "period", "month")));
    JsonNode job = post(key, "/v1/fine_tuning/jobs", "create-job-" + UUID.randomUUID(), 200,
        "{\"model\":\"big-base\",\"training_file\":\"file-1\"}")
        .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
    String jobId = job.path("id").asString();
    String ledgerId = UnitMeteringFilter.JOB_PREFIX + jobId;
    await().atMost(Duration.ofSeconds(30)).until(() -> open(ledgerId));
    // While it runs, a round looks at it and bills nothing.
    reconcileRound();
    assertThat(records(ledgerId).path("data").size()).isZero();
    assertThat(open(ledgerId)).isTrue();

    backend.finishJob(jobId, "succeeded", 250_000L);
    reconcileRound(); // completes once the bill is committed
    JsonNode record = records(ledgerId).path("data").get(0);
    assertThat(record.path("model").asString()).isEqualTo("fine-tuning/big-base");
    assertThat(record.path("trained_tokens").asLong()).isEqualTo(250_000);
    assertThat(record.path("cost").decimalValue()).isEqualByComparingTo("5"); // 0.25M × 20 per 1M
    reconcileRound(); // more rounds: still one record
    reconcileRound();
    assertThat(records(ledgerId).path("data").size()).isEqualTo(1);
    assertThat(open(ledgerId)).isFalse();

    JsonNode totals = client.get().uri("/v1/usage?group_by=model").header("Authorization", "Bearer " + key)
        .exchange().expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
    JsonNode group = null;
    for (JsonNode g : totals.path("data")) {
      if (g.path("group").asString().equals("fine-tuning/big-base")) {
        group = g;
      }
    }
    assertThat(group).isNotNull();
    assertThat(group.path("trained_tokens").asLong()).isEqualTo(250_000);
  }

  @Test
  void aJobThatTrainedNothingIsNotBilled() throws Exception {
    String key = key(Map.of());
    JsonNode job = post(key, "/v1/fine_tuning/jobs", "create-job-" + UUID.randomUUID(), 200,
        "{\"model\":\"small-base\",\"training_file\":\"file-1\"}")
        .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
    String jobId = job.path("id").asString();
    String ledgerId = UnitMeteringFilter.JOB_PREFIX + jobId;
    await().atMost(Duration.ofSeconds(30)).until(() -> open(ledgerId));
    backend.finishJob(jobId, "failed", null);
    reconcileRound();
    assertThat(open(ledgerId)).isFalse(); // released by that round
    assertThat(records(ledgerId).path("data").size()).isZero();
  }

  @Test
  void visionAndTrainingNeedAKey() {
    client.post().uri("/v1/vision/faces/detect").contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
        .exchange().expectStatus().isUnauthorized();
    client.post().uri("/v1/fine_tuning/jobs").contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
        .exchange().expectStatus().isUnauthorized();
  }
}
