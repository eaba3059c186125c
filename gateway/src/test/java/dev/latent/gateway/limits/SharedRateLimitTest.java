package dev.latent.gateway.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.gateway.support.Admin;
import dev.latent.gateway.support.Containers;
import dev.latent.gateway.support.Gateways;
import dev.latent.gateway.support.NoBlocking;
import dev.latent.gateway.support.StubBackend;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Two gateway replicas on one ledger and one Redis hold a key's limits together. */
class SharedRateLimitTest {

  static StubBackend backend;
  static ConfigurableApplicationContext first;
  static ConfigurableApplicationContext second;

  @BeforeAll
  static void start() {
    NoBlocking.install();
    backend = new StubBackend();
    Map<String, String> shared = new HashMap<>(Containers.freshDatabase("limits"));
    shared.putAll(Containers.redisProperties());
    first = Gateways.start(backend, shared);
    second = Gateways.start(backend, shared);
  }

  @AfterAll
  static void stop() {
    second.close();
    first.close();
    backend.close();
  }

  @Test
  void twoReplicasHoldAnRpmLimitExactly() {
    awayFromAWindowEdge();
    WebTestClient a = Gateways.client(first);
    WebTestClient b = Gateways.client(second);
    String key = Admin.createKey(a, Map.of("name", "rpm", "tenant", "acme", "rpm", 10)).get("key").asString();
    int ok = 0;
    EntityExchangeResult<byte[]> last = null;
    for (int i = 0; i < 30; i++) {
      last = send(i % 2 == 0 ? a : b, key);
      if (last.getStatus().value() == 200) {
        ok++;
      } else {
        assertThat(last.getStatus().value()).isEqualTo(429);
      }
    }
    assertThat(ok).isEqualTo(10);
    assertThat(last.getResponseHeaders().getFirst("Retry-After")).isNotNull();
    assertThat(last.getResponseHeaders().getFirst("x-ratelimit-limit-requests")).isEqualTo("10");
    assertThat(last.getResponseHeaders().getFirst("x-ratelimit-remaining-requests")).isEqualTo("0");
    assertThat(new String(last.getResponseBodyContent())).contains("rate_limit_exceeded");
  }

  @Test
  void tokensChargedOnOneReplicaCountOnTheOther() {
    awayFromAWindowEdge();
    WebTestClient a = Gateways.client(first);
    WebTestClient b = Gateways.client(second);
    // Each answer is 20 prompt + 5 completion tokens.
    String key = Admin.createKey(a, Map.of("name", "tpm", "tenant", "acme", "tpm", 40)).get("key").asString();
    EntityExchangeResult<byte[]> one = send(a, key);
    assertThat(one.getStatus().value()).isEqualTo(200);
    assertThat(one.getResponseHeaders().getFirst("x-ratelimit-limit-tokens")).isEqualTo("40");
    awaitTokensCharged(b, key);
    assertThat(send(b, key).getStatus().value()).isEqualTo(200); // 25 < 40: admitted, now 50
    long deadline = System.nanoTime() + 5_000_000_000L;
    int status = 200;
    while (status == 200 && System.nanoTime() < deadline) {
      status = send(a, key).getStatus().value();
    }
    assertThat(status).isEqualTo(429);
  }

  private static void awaitTokensCharged(WebTestClient client, String key) {
    for (int i = 0; i < 100; i++) {
      var probe = client.get().uri("/v1/models").header("Authorization", "Bearer " + key).exchange()
          .expectBody().returnResult();
      if (!"40".equals(probe.getResponseHeaders().getFirst("x-ratelimit-remaining-tokens"))) {
        return;
      }
      sleep(50);
    }
  }

  private static EntityExchangeResult<byte[]> send(WebTestClient client, String key) {
    return client.post().uri("/v1/chat/completions").header("Authorization", "Bearer " + key)
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"model\":\"m\",\"messages\":[]}")
        .exchange().expectBody().returnResult();
  }

  /** Windows are whole minutes: keep a run of requests inside one. */
  private static void awayFromAWindowEdge() {
    int second = Instant.now().atZone(ZoneOffset.UTC).getSecond();
    if (second > 50) {
      sleep((61 - second) * 1000L);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

}
