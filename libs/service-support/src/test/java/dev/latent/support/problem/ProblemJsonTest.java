package dev.latent.support.problem;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.support.TestApplication;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

@SpringBootTest(classes = TestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "latent.http.max-request-body=4KB")
@AutoConfigureWebTestClient
class ProblemJsonTest {

  @Autowired
  WebTestClient client;

  @Test
  void malformedJsonIsA400ProblemWithAnOpenAiError() {
    client.post().uri("/v1/echo").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"text\": ")
        .exchange()
        .expectStatus().isBadRequest()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type").isEqualTo(Problem.TYPE_PREFIX + "malformed-request")
        .jsonPath("$.status").isEqualTo(400)
        .jsonPath("$.detail").value(d -> assertThat((String) d).startsWith("Malformed JSON"))
        .jsonPath("$.instance").isEqualTo("/v1/echo")
        .jsonPath("$.error.type").isEqualTo("invalid_request_error")
        .jsonPath("$.error.message").value(m -> assertThat((String) m).startsWith("Malformed JSON"));
  }

  @Test
  void wrongMediaTypeIsA415Problem() {
    client.post().uri("/v1/echo").contentType(MediaType.TEXT_PLAIN).bodyValue("hello")
        .exchange()
        .expectStatus().isEqualTo(415)
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type").isEqualTo(Problem.TYPE_PREFIX + "unsupported-media-type")
        .jsonPath("$.error.code").isEqualTo("unsupported_media_type");
  }

  @Test
  void aRecordsOwnValidationIsA400NamingTheParameter() {
    client.post().uri("/v1/echo").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"text\": \"hi\", \"temperature\": 7}")
        .exchange()
        .expectStatus().isBadRequest()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type").isEqualTo(Problem.TYPE_PREFIX + "invalid-parameter")
        .jsonPath("$.detail").isEqualTo("temperature must be between 0 and 2, got 7.0")
        .jsonPath("$.error.param").isEqualTo("temperature")
        .jsonPath("$.error.code").isEqualTo("invalid_parameter");
  }

  @Test
  void unknownPathIsA404ProblemAndOnlyV1PathsCarryTheOpenAiError() {
    client.get().uri("/v1/no-such-thing").exchange()
        .expectStatus().isNotFound()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type").isEqualTo(Problem.TYPE_PREFIX + "not-found")
        .jsonPath("$.error.type").isEqualTo("not_found_error")
        .jsonPath("$.error.message").isNotEmpty();

    client.get().uri("/elsewhere").exchange()
        .expectStatus().isNotFound()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.status").isEqualTo(404)
        .jsonPath("$.error").doesNotExist();
  }

  @Test
  void wrongMethodIsA405Problem() {
    client.delete().uri("/v1/echo").exchange()
        .expectStatus().isEqualTo(405)
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectHeader().exists("Allow");
  }

  @Test
  void oversizedBodyIsA413Problem() {
    String big = "{\"text\": \"" + "x".repeat(8192) + "\", \"temperature\": 1}";
    client.post().uri("/v1/echo").contentType(MediaType.APPLICATION_JSON).bodyValue(big)
        .exchange()
        .expectStatus().isEqualTo(413)
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.type").isEqualTo(Problem.TYPE_PREFIX + "payload-too-large");
  }

  @Test
  void overloadCarriesRetryAfter() {
    client.get().uri("/v1/busy").exchange()
        .expectStatus().isEqualTo(503)
        .expectHeader().valueEquals("Retry-After", "2")
        .expectBody()
        .jsonPath("$.retry_after_seconds").isEqualTo(2)
        .jsonPath("$.error.type").isEqualTo("server_error");
  }

  @Test
  void unexpectedErrorsDoNotLeakTheirMessage() {
    client.get().uri("/v1/boom").exchange()
        .expectStatus().isEqualTo(500)
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.detail").isEqualTo("The server failed to handle this request")
        .jsonPath("$.request_id").isNotEmpty();
  }

  @Test
  void validRequestsStillWork() {
    client.post().uri("/plain/echo").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"text\": \"hi\", \"temperature\": 0.5}")
        .exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$.text").isEqualTo("hi");
  }
}
