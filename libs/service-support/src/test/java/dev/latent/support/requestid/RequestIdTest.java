package dev.latent.support.requestid;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.support.TestApplication;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;

@SpringBootTest(classes = TestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class RequestIdTest {

  @Autowired
  WebTestClient client;

  @Test
  void echoesTheCallersId() {
    client.get().uri("/v1/no-such-thing").header(RequestId.HEADER, "req-42").exchange()
        .expectHeader().valueEquals(RequestId.HEADER, "req-42")
        .expectBody().jsonPath("$.request_id").isEqualTo("req-42");
  }

  @Test
  void generatesAnIdWhenNoneOrAnUnsafeOneIsSent() {
    String generated = client.get().uri("/actuator/health").exchange()
        .expectStatus().isOk()
        .returnResult(String.class).getResponseHeaders().getFirst(RequestId.HEADER);
    assertThat(generated).matches("[0-9a-f-]{36}");

    String replaced = client.get().uri("/actuator/health").header(RequestId.HEADER, "bad id\twith spaces")
        .exchange()
        .returnResult(String.class).getResponseHeaders().getFirst(RequestId.HEADER);
    assertThat(replaced).matches("[0-9a-f-]{36}");
  }

  @Test
  void sharedDefaultsExposeProbesAndPrometheus() {
    client.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.status").isEqualTo("UP");
    client.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
    client.get().uri("/actuator/prometheus").exchange().expectStatus().isOk();
    client.get().uri("/v3/api-docs").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.paths['/v1/echo']").exists();
  }
}
