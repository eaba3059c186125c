package dev.latent.inference.models;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class ModelsTest {

  @Autowired
  WebTestClient client;

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
    client.post().uri("/admin/models/no-such-dir/load").exchange().expectStatus().isNotFound();
  }
}
