package dev.latent.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.gateway.support.Gateways;
import dev.latent.gateway.support.NoBlocking;
import dev.latent.gateway.support.StubBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The first-byte and idle timeouts of a pool: a backend that does not answer in time is a 504; a
 * stream that goes quiet for longer than the idle timeout is cut with a final error event; a
 * stream that keeps talking outlives the first-byte timeout.
 */
class TimeoutsTest {

  static StubBackend backend;
  static ConfigurableApplicationContext gateway;
  static WebTestClient client;

  @BeforeAll
  static void start() throws Exception {
    NoBlocking.install();
    backend = new StubBackend();
    Path home = Files.createTempDirectory(Path.of("target"), "timeouts-home");
    gateway = Gateways.start(backend, Map.of(
        "latent.home", home.toAbsolutePath().toString(),
        "latent.gateway.keys.enabled", "false",
        "latent.gateway.routing.backends.inference.first-byte-timeout", "1500ms",
        "latent.gateway.routing.backends.inference.idle-timeout", "1500ms",
        "latent.gateway.routing.backends.inference.retries", "0"));
    client = Gateways.client(gateway);
  }

  @AfterAll
  static void stop() {
    gateway.close();
    backend.close();
  }

  static WebTestClient.ResponseSpec chat(boolean stream, Map<String, String> stub) {
    return client.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON)
        .headers(h -> stub.forEach(h::set))
        .bodyValue("{\"model\":\"stub-model\",\"stream\":" + stream + ",\"messages\":[]}").exchange();
  }

  @Test
  void aBackendThatDoesNotAnswerInTimeIsA504() {
    chat(false, Map.of("X-Stub-Delay-Ms", "6000")).expectStatus().isEqualTo(504)
        .expectBody().jsonPath("$.error.code").isEqualTo("backend_timeout");
  }

  @Test
  void aStreamThatGoesQuietIsCutWithAnErrorEvent() {
    String body = chat(true, Map.of("X-Stub-Chunks", "3", "X-Stub-Interval-Ms", "6000"))
        .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
    assertThat(body).contains("backend_stream_broken").doesNotContain("[DONE]");
  }

  @Test
  void aStreamThatKeepsTalkingOutlivesTheFirstByteTimeout() {
    // 8 chunks 500 ms apart: 4 s in all, no gap near the 1.5 s timeouts
    String body = chat(true, Map.of("X-Stub-Chunks", "8", "X-Stub-Interval-Ms", "500"))
        .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody();
    assertThat(body).contains("[DONE]").doesNotContain("error");
  }
}
