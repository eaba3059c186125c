package dev.latent.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.gateway.support.Admin;
import dev.latent.gateway.support.Containers;
import dev.latent.gateway.support.NoBlocking;
import dev.latent.gateway.support.StubBackend;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import tools.jackson.databind.JsonNode;

/**
 * The bill path end to end: a real gateway on PostgreSQL in front of a real streaming HTTP
 * backend, with BlockHound watching every event-loop thread.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "30s")
class MeteringTest {

  static final StubBackend backend;
  static final StubBackend overloaded;

  static {
    NoBlocking.install();
    backend = new StubBackend();
    overloaded = new StubBackend(503);
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    Containers.freshDatabase("metering").forEach((k, v) -> registry.add(k, () -> v));
    registry.add("latent.gateway.keys.admin-key", () -> Admin.KEY);
    for (String pool : List.of("inference", "vision", "training")) {
      registry.add("latent.gateway.routing.backends." + pool + ".urls[0]", backend::url);
    }
    // A pool nobody listens on: its circuit opens after two failures.
    registry.add("latent.gateway.routing.backends.down.urls[0]", () -> "http://127.0.0.1:1");
    registry.add("latent.gateway.routing.backends.down.retries", () -> "0");
    registry.add("latent.gateway.routing.backends.down.circuit-breaker.minimum-calls", () -> "2");
    registry.add("latent.gateway.routing.backends.down.circuit-breaker.sliding-window", () -> "2");
    registry.add("latent.gateway.routing.backends.down.circuit-breaker.open-for", () -> "30s");
    // A pool whose first instance is overloaded: 503s are retried on the other one.
    registry.add("latent.gateway.routing.backends.pair.urls[0]", overloaded::url);
    registry.add("latent.gateway.routing.backends.pair.urls[1]", backend::url);
    registry.add("latent.gateway.routing.backends.pair.retries", () -> "3");
    registry.add("latent.gateway.routing.models[2].name", () -> "pair-model");
    registry.add("latent.gateway.routing.models[2].backend", () -> "pair");
    registry.add("latent.gateway.routing.models[0].name", () -> "down-model");
    registry.add("latent.gateway.routing.models[0].backend", () -> "down");
    registry.add("latent.gateway.routing.models[1].name", () -> "flaky-model");
    registry.add("latent.gateway.routing.models[1].backend", () -> "down");
    registry.add("latent.gateway.routing.models[1].fallbacks[0]", () -> "stub-model");
    price(registry, 0, "stub-model", "0.14", "0.56", "2.19");
    price(registry, 1, "budget-model", "1000000", "1000000", "1000000"); // one unit per token
  }

  static void price(DynamicPropertyRegistry registry, int i, String model, String hit, String miss, String out) {
    String p = "latent.gateway.pricing.models[" + i + "].";
    registry.add(p + "model", () -> model);
    registry.add(p + "input-cache-hit", () -> hit);
    registry.add(p + "input-cache-miss", () -> miss);
    registry.add(p + "output", () -> out);
    registry.add(p + "currency", () -> "USD");
  }

  @AfterAll
  static void stop() {
    overloaded.close();
    backend.close();
  }

  @Autowired
  WebTestClient client;

  @Autowired
  DatabaseClient db;

  @LocalServerPort
  int port;

  String key(Map<String, Object> spec) {
    var full = new java.util.HashMap<String, Object>(Map.of("name", "test", "tenant", "acme"));
    full.putAll(spec);
    return Admin.createKey(client, full).get("key").asString();
  }

  @Test
  void clientThatDisconnectsMidStreamIsBilledTheBackendsCountOnce() throws Exception {
    String key = key(Map.of());
    String id = "disconnect-" + UUID.randomUUID();
    String body = "{\"model\":\"stub-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    List<String> received = HttpClient.create()
        .headers(h -> h.set("Authorization", "Bearer " + key).set("X-Request-Id", id)
            .set("Content-Type", "application/json").set("X-Stub-Chunks", "200").set("X-Stub-Interval-Ms", "20"))
        .post().uri("http://127.0.0.1:" + port + "/v1/chat/completions")
        .send(Mono.just(io.netty.buffer.Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8))))
        .responseContent().asString()
        .filter(s -> s.contains("chat.completion.chunk"))
        .take(3) // then the client goes away
        .collectList().block(Duration.ofSeconds(10));
    assertThat(received).hasSize(3);

    JsonNode row = awaitUsage(id);
    StubBackend.Record truth = backend.usage(id);
    assertThat(truth).isNotNull();
    assertThat(truth.status()).isEqualTo("final");
    assertThat(truth.completion()).isBetween(3L, 100L); // stopped long before the 200 asked for
    assertThat(row.get("completion_tokens").asLong()).isEqualTo(truth.completion());
    assertThat(row.get("prompt_cache_miss_tokens").asLong()).isEqualTo(truth.prompt());
    assertThat(row.get("status").asString()).isEqualTo("final");
    Thread.sleep(300);
    assertThat(count(id)).isEqualTo(1);
    assertThat(backend.timesSeen(id)).isEqualTo(1);
  }

  @Test
  void streamGetsUsageChunkOnlyWhenItAskedAndIsBilledFromIt() {
    String key = key(Map.of());
    String quiet = stream(key, "{\"model\":\"stub-model\",\"stream\":true,\"messages\":[]}", "quiet-" + UUID.randomUUID());
    assertThat(quiet).contains("[DONE]").doesNotContain("\"usage\"");
    assertThat(backend.bodies().getLast().path("stream_options").path("include_usage").asBoolean()).isTrue();

    String id = "asked-" + UUID.randomUUID();
    String asked = stream(key, "{\"model\":\"stub-model\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        + "\"messages\":[]}", id);
    assertThat(asked).contains("\"usage\"").contains("[DONE]");
    JsonNode row = awaitUsage(id);
    assertThat(row.get("completion_tokens").asLong()).isEqualTo(5);
    assertThat(row.get("status").asString()).isEqualTo("final");
  }

  @Test
  void cacheHitTokensArePricedAtTheHitPrice() {
    String key = key(Map.of());
    String id = "cached-" + UUID.randomUUID();
    client.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key).header("X-Request-Id", id)
        .header("X-Stub-Prompt", "1000000").header("X-Stub-Cached", "600000").header("X-Stub-Chunks", "100000")
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"stub-model\",\"messages\":[]}")
        .exchange().expectStatus().isOk();
    JsonNode row = awaitUsage(id);
    // 0.6M × 0.14 + 0.4M × 0.56 + 0.1M × 2.19 = 0.084 + 0.224 + 0.219
    assertThat(new BigDecimal(row.get("cost").asString())).isEqualByComparingTo("0.527");
    assertThat(row.get("prompt_cache_hit_tokens").asLong()).isEqualTo(600000);
    assertThat(new BigDecimal(row.get("price_input_cache_hit").asString())).isEqualByComparingTo("0.14");
  }

  @Test
  void aLoraAdapterIsRecordedUnderItsOwnNameAtItsBasesPrice() {
    String key = key(Map.of());
    String id = "adapter-" + UUID.randomUUID();
    client.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key).header("X-Request-Id", id)
        .header("X-Stub-Prompt", "1000000").header("X-Stub-Chunks", "100000")
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"stub-model:support-bot\",\"messages\":[]}")
        .exchange().expectStatus().isOk();
    JsonNode row = awaitUsage(id);
    assertThat(row.get("model").asString()).isEqualTo("stub-model:support-bot");
    // unpriced adapter → stub-model's prices: 1M × 0.56 + 0.1M × 2.19
    assertThat(new BigDecimal(row.get("cost").asString())).isEqualByComparingTo("0.779");
    // Counted just after the record is committed.
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        client.get().uri("/actuator/prometheus").exchange().expectStatus().isOk().expectBody(String.class)
            .value(body -> assertThat(body.lines()).anyMatch(line -> line.startsWith("latent_gateway_tokens_total{")
                && line.contains("model=\"stub-model:support-bot\""))));
  }

  @Test
  void fiftyConcurrentRequestsAgainstABudgetForTenNeverOverspend() {
    String body = "{\"model\":\"budget-model\",\"max_tokens\":100,\"stream\":true,\"messages\":[]}";
    long worst = body.getBytes(StandardCharsets.UTF_8).length + 100; // one unit per token
    BigDecimal budget = BigDecimal.valueOf(worst * 10 + worst / 2);
    String key = key(Map.of("budget", Map.of("amount", budget, "currency", "USD", "period", "day")));
    List<Integer> statuses = Flux.range(0, 50)
        .flatMap(i -> WebClientLike.post(port, key, body, Map.of("X-Stub-Interval-Ms", "100")), 50)
        .collectList().block(Duration.ofSeconds(60));
    long ok = statuses.stream().filter(s -> s == 200).count();
    long refused = statuses.stream().filter(s -> s == 402).count();
    assertThat(ok + refused).isEqualTo(50);
    assertThat(ok).isGreaterThanOrEqualTo(10);
    assertThat(refused).isPositive();
    awaitNoReservations("budget-model");
    BigDecimal spent = db.sql("select coalesce(sum(cost), 0) as s from usage_records where model = 'budget-model'")
        .map(r -> r.get("s", BigDecimal.class)).one().block();
    assertThat(spent).isLessThanOrEqualTo(budget);
    JsonNode state = db.sql("select spent, reserved from budget_usage b join api_keys k on k.id = b.key_id "
            + "where k.key_prefix = :p").bind("p", key.substring(0, 10))
        .map(r -> (JsonNode) tools.jackson.databind.node.JsonNodeFactory.instance.objectNode()
            .put("spent", r.get("spent", BigDecimal.class)).put("reserved", r.get("reserved", BigDecimal.class)))
        .one().block();
    assertThat(state.get("reserved").decimalValue()).isEqualByComparingTo("0");
    assertThat(state.get("spent").decimalValue()).isEqualByComparingTo(spent);
  }

  @Test
  void backendThatDiesMidStreamBillsTheDeliveredTokensAsEstimated() {
    String key = key(Map.of());
    String id = "dies-" + UUID.randomUUID();
    String text = client.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key)
        .header("X-Request-Id", id).header("X-Stub-Die-After", "4")
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"stub-model\",\"stream\":true,\"messages\":[]}")
        .exchange().expectStatus().isOk().returnResult(String.class).getResponseBody()
        .collectList().map(l -> String.join("", l)).block(Duration.ofSeconds(10));
    assertThat(text).contains("backend_stream_broken");
    JsonNode row = awaitUsage(id);
    assertThat(row.get("status").asString()).isEqualTo("estimated");
    assertThat(row.get("completion_tokens").asLong()).isEqualTo(4);
  }

  @Test
  void badKeysAndForbiddenModelsAndMalformedBodiesAreProblems() {
    client.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
        .exchange().expectStatus().isUnauthorized()
        .expectBody().jsonPath("$.error.type").isEqualTo("authentication_error");
    client.post().uri("/v1/chat/completions").header("Authorization", "Bearer sk-lt-nope")
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{}")
        .exchange().expectStatus().isUnauthorized().expectBody().jsonPath("$.error.code").isEqualTo("invalid_api_key");
    JsonNode created = Admin.createKey(client, Map.of("name", "r", "tenant", "acme", "models", List.of("other")));
    String key = created.get("key").asString();
    client.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key)
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"stub-model\",\"messages\":[]}")
        .exchange().expectStatus().isForbidden().expectBody().jsonPath("$.error.code").isEqualTo("model_not_allowed");
    client.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key)
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\": ")
        .exchange().expectStatus().isBadRequest().expectBody().jsonPath("$.error.message").isNotEmpty();
    client.delete().uri("/admin/keys/" + created.get("id").asString()).header("Authorization", "Bearer " + Admin.KEY)
        .exchange().expectStatus().isOk().expectBody().jsonPath("$.revoked_at").isNotEmpty();
    client.get().uri("/v1/models").header("Authorization", "Bearer " + key)
        .exchange().expectStatus().isUnauthorized();
    client.get().uri("/admin/keys").header("Authorization", "Bearer wrong").exchange().expectStatus().isUnauthorized();
    String poor = key(Map.of("budget", Map.of("amount", "0.000001", "currency", "USD", "period", "month")));
    client.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + poor)
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"budget-model\",\"messages\":[]}")
        .exchange().expectStatus().isEqualTo(402)
        .expectBody().jsonPath("$.error.code").isEqualTo("insufficient_quota")
        .jsonPath("$.error.type").isEqualTo("insufficient_quota");
  }

  @Test
  void openCircuitIsA503WithRetryAfterAndFallbacksServe() {
    String key = key(Map.of());
    for (int i = 0; i < 2; i++) {
      client.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key)
          .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"down-model\",\"messages\":[]}")
          .exchange().expectStatus().is5xxServerError();
    }
    client.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key)
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"down-model\",\"messages\":[]}")
        .exchange().expectStatus().isEqualTo(503).expectHeader().exists("Retry-After")
        .expectBody().jsonPath("$.error.code").isEqualTo("backend_unavailable");
    String id = "fallback-" + UUID.randomUUID();
    client.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key).header("X-Request-Id", id)
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"flaky-model\",\"messages\":[]}")
        .exchange().expectStatus().isOk();
    assertThat(awaitUsage(id).get("model").asString()).isEqualTo("stub-model");
    assertThat(backend.bodies().getLast().path("model").asString()).isEqualTo("stub-model");
  }

  @Test
  void a503BeforeTheFirstByteIsRetriedOnAnotherInstance() {
    String key = key(Map.of());
    // Ties start at a random instance: 12 tries miss the overloaded one with p = 1/4096.
    for (int i = 0; i < 12; i++) {
      String id = "pair-" + i + "-" + UUID.randomUUID();
      client.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key).header("X-Request-Id", id)
          .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"pair-model\",\"stream\":true,\"messages\":[]}")
          .exchange().expectStatus().isOk();
      assertThat(backend.timesSeen(id)).isEqualTo(1);
      assertThat(awaitUsage(id).get("status").asString()).isEqualTo("final");
    }
    assertThat(overloaded.requests()).isPositive(); // it was tried, and its 503 never reached the client
  }

  @Test
  void officialOpenAiClientWorksWithAVirtualKey() {
    String key = key(Map.of());
    var openai = com.openai.client.okhttp.OpenAIOkHttpClient.builder()
        .apiKey(key).baseUrl("http://127.0.0.1:" + port + "/v1").maxRetries(0).build();
    var params = com.openai.models.chat.completions.ChatCompletionCreateParams.builder()
        .model("stub-model").addUserMessage("Say hello").build();
    var completion = openai.chat().completions().create(params);
    assertThat(completion.choices().getFirst().message().content()).contains("hello");
    assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(5);
    StringBuilder streamed = new StringBuilder();
    try (var stream = openai.chat().completions().createStreaming(params)) {
      stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(streamed::append)));
    }
    assertThat(streamed.toString()).startsWith("t0 t1");
    var bad = com.openai.client.okhttp.OpenAIOkHttpClient.builder()
        .apiKey("sk-lt-wrong").baseUrl("http://127.0.0.1:" + port + "/v1").maxRetries(0).build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> bad.chat().completions().create(params))
        .isInstanceOf(com.openai.errors.UnauthorizedException.class)
        .hasMessageContaining("Incorrect API key");
  }

  @Test
  void usageApiTotalsPagesAndCsvPerTenant() {
    String tenant = "t" + UUID.randomUUID().toString().substring(0, 8);
    String key = Admin.createKey(client, Map.of("name", "u", "tenant", tenant)).get("key").asString();
    for (int i = 0; i < 3; i++) {
      String id = tenant + "-" + i;
      client.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key).header("X-Request-Id", id)
          .header("X-Stub-Cached", "5").contentType(MediaType.APPLICATION_JSON)
          .bodyValue("{\"model\":\"stub-model\",\"messages\":[]}").exchange().expectStatus().isOk();
      awaitUsage(id);
    }
    client.get().uri("/v1/usage?group_by=model").header("Authorization", "Bearer " + key).exchange()
        .expectStatus().isOk().expectBody()
        .jsonPath("$.data.length()").isEqualTo(1)
        .jsonPath("$.data[0].group").isEqualTo("stub-model")
        .jsonPath("$.data[0].requests").isEqualTo(3)
        .jsonPath("$.data[0].prompt_cache_hit_tokens").isEqualTo(15)
        .jsonPath("$.data[0].completion_tokens").isEqualTo(15);
    client.get().uri("/v1/usage?group_by=day&tenant=" + tenant).header("Authorization", "Bearer " + Admin.KEY)
        .exchange().expectStatus().isOk().expectBody().jsonPath("$.data[0].requests").isEqualTo(3);
    JsonNode page = client.get().uri("/v1/usage/requests?limit=2").header("Authorization", "Bearer " + key)
        .exchange().expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
    assertThat(page.get("has_more").asBoolean()).isTrue();
    assertThat(page.get("data").size()).isEqualTo(2);
    assertThat(page.get("data").get(0).get("status").asString()).isEqualTo("final");
    String last = page.get("data").get(1).get("request_id").asString();
    client.get().uri("/v1/usage/requests?limit=2&after=" + last).header("Authorization", "Bearer " + key)
        .exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.data.length()").isEqualTo(1).jsonPath("$.has_more").isEqualTo(false);
    String csv = client.get().uri("/v1/usage/requests?format=csv&request_id=" + tenant + "-0")
        .header("Authorization", "Bearer " + key).exchange().expectStatus().isOk()
        .expectHeader().contentTypeCompatibleWith("text/csv")
        .expectBody(String.class).returnResult().getResponseBody();
    assertThat(csv.lines().toList()).hasSize(2);
    assertThat(csv.lines().findFirst().orElseThrow()).startsWith("request_id,key_id,tenant,model,prompt_cache_hit_tokens");
    client.get().uri("/v1/usage?group_by=color").header("Authorization", "Bearer " + key).exchange()
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("group_by");
    client.get().uri("/v1/usage?tenant=someone-else").header("Authorization", "Bearer " + key).exchange()
        .expectStatus().isForbidden();
    client.get().uri("/v1/usage").exchange().expectStatus().isUnauthorized();

    String metrics = client.get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
        .expectBody(String.class).returnResult().getResponseBody();
    assertThat(metrics).contains("latent_gateway_requests_total{", "latent_gateway_added_latency_seconds",
        "latent_gateway_tokens_total{", "latent_gateway_spend_total{", "latent_gateway_rejections_total{",
        "latent_gateway_circuit_state{");
    assertThat(metrics).contains("tenant=\"" + tenant + "\"");
  }

  private String stream(String key, String body, String id) {
    return client.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key)
        .header("X-Request-Id", id).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange().expectStatus().isOk().returnResult(String.class).getResponseBody()
        .collectList().map(l -> String.join("\n", l)).block(Duration.ofSeconds(10));
  }

  private JsonNode awaitUsage(String id) {
    return org.awaitility.Awaitility.await("usage record of " + id).atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20)).until(() -> usageRow(id), java.util.Objects::nonNull);
  }

  private @Nullable JsonNode usageRow(String id) {
    return db.sql("select * from usage_records where request_id = :id").bind("id", id)
        .map((row, meta) -> {
          var node = tools.jackson.databind.node.JsonNodeFactory.instance.objectNode();
          for (var column : meta.getColumnMetadatas()) {
            Object value = row.get(column.getName());
            node.put(column.getName().toLowerCase(), value == null ? null : value.toString());
          }
          return (JsonNode) node;
        }).one().block();
  }

  private long count(String id) {
    return db.sql("select count(*) as n from usage_records where request_id = :id").bind("id", id)
        .map(r -> r.get("n", Long.class)).one().block();
  }

  private void awaitNoReservations(String model) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      Long open = db.sql("select count(*) as n from reservations where model = :m").bind("m", model)
          .map(r -> r.get("n", Long.class)).one().block();
      if (open != null && open == 0) {
        return;
      }
      sleep(50);
    }
    throw new AssertionError("reservations still open for " + model);
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A raw client: status of a request whose body (a stream) is read to the end. */
  static final class WebClientLike {
    static Mono<Integer> post(int port, String key, String body, Map<String, String> headers) {
      return HttpClient.create()
          .headers(h -> {
            h.set("Authorization", "Bearer " + key).set("Content-Type", "application/json");
            headers.forEach(h::set);
          })
          .post().uri("http://127.0.0.1:" + port + "/v1/chat/completions")
          .send(Mono.just(io.netty.buffer.Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8))))
          .responseSingle((res, content) -> content.asString().defaultIfEmpty("").thenReturn(res.status().code()));
    }
  }
}
