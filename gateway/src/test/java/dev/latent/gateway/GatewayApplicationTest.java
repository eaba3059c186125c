package dev.latent.gateway;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "30s") // springdoc builds its document on the first call
class GatewayApplicationTest {

  @Autowired
  WebTestClient client;

  @Test
  void healthProbesAndOpenApiAnswer() {
    client.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.status").isEqualTo("UP");
    client.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
    client.get().uri("/v3/api-docs").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.openapi").exists();
    client.get().uri("/actuator/prometheus").exchange().expectStatus().isOk();
  }

  @Test
  void unknownPathIsAProblemWithAnOpenAiError() {
    client.get().uri("/v1/no-such-thing").exchange()
        .expectStatus().isNotFound()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectHeader().exists("X-Request-Id")
        .expectBody().jsonPath("$.error.message").isNotEmpty();
  }
}
