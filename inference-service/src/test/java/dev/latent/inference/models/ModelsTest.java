package dev.latent.inference.models;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.test.StepVerifier;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class ModelsTest {

  @Autowired
  WebTestClient client;

  @Autowired
  MeterRegistry registry;

  @Test
  void theSeededModelIsListedAsSuchWithItsContext() {
    client.get().uri("/v1/models").exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.object").isEqualTo("list")
        .jsonPath("$.data[?(@.id=='latent-seeded-tiny')].owned_by").isEqualTo("latent-seeded")
        .jsonPath("$.data[?(@.id=='latent-seeded-tiny')].context_length").isEqualTo(4096)
        .jsonPath("$.data[?(@.id=='all-MiniLM-L6-v2')].object").isEqualTo("model");
    client.get().uri("/v1/models/latent-seeded-tiny").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.owned_by").isEqualTo("latent-seeded");
    client.get().uri("/v1/models/nope").exchange().expectStatus().isNotFound()
        .expectBody().jsonPath("$.error.code").isEqualTo("model_not_found");
  }

  @Test
  void unloadThenLoadServesTheModelAgain() {
    Gauge before = engineThreadsGauge();
    client.post().uri("/admin/models/latent-seeded-tiny/unload").exchange().expectStatus().isOk();
    client.post().uri("/v1/chat/completions")
        .bodyValue(Map.of("model", "latent-seeded-tiny",
            "messages", List.of(Map.of("role", "user", "content", "x"))))
        .exchange().expectStatus().isNotFound();
    client.post().uri("/admin/models/latent-seeded-tiny/unload").exchange()
        .expectStatus().isNotFound();
    client.post().uri("/admin/models/latent-seeded-tiny/load").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.id").isEqualTo("latent-seeded-tiny");
    client.post().uri("/v1/chat/completions")
        .bodyValue(Map.of("model", "latent-seeded-tiny", "max_tokens", 2,
            "messages", List.of(Map.of("role", "user", "content", "x"))))
        .exchange().expectStatus().isOk();
    Gauge after = engineThreadsGauge();
    assertThat(after).as("the reloaded model's gauge reads its new scheduler").isNotSameAs(before);
    assertThat(after.value()).isGreaterThanOrEqualTo(1);
    client.post().uri("/admin/models/no-such-dir/load").exchange().expectStatus().isNotFound();
    client.post().uri("/admin/models/latent-seeded-tiny:my-adapter/load").exchange()
        .expectStatus().isNotFound()
        .expectBody().jsonPath("$.detail").value(d -> assertThat((String) d).contains("my-adapter"));
  }

  private Gauge engineThreadsGauge() {
    return registry.get("latent.inference.engine.threads").tag("model", "latent-seeded-tiny").gauge();
  }

  @Test
  void anErrorAfterTheStreamBeganIsAFinalSseErrorEvent() {
    var events = client.post().uri("/v1/chat/completions").accept(MediaType.TEXT_EVENT_STREAM)
        .bodyValue(Map.of("model", "latent-seeded-tiny", "max_tokens", 3000, "stream", true,
            "messages", List.of(Map.of("role", "user", "content", "go on"))))
        .exchange().expectStatus().isOk()
        .returnResult(new ParameterizedTypeReference<ServerSentEvent<String>>() {})
        .getResponseBody().map(ServerSentEvent::data);
    StepVerifier.create(events)
        .expectNextCount(3)
        .then(() -> client.post().uri("/admin/models/latent-seeded-tiny/unload").exchange()
            .expectStatus().isOk())
        .thenConsumeWhile(e -> !e.contains("\"error\""))
        .assertNext(e -> assertThat(e).contains("\"error\"").contains("unloaded"))
        .expectComplete()
        .verify(Duration.ofSeconds(60));
    client.post().uri("/admin/models/latent-seeded-tiny/load").exchange().expectStatus().isOk();
  }
}
