package dev.latent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.util.JsonPathExpectationsHelper;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;

/** The gateway and inference-service images on one Docker network, checked through the gateway. */
class GatewayRoutingIT {

  static final String ADMIN_KEY = "it-admin-key";
  static final Network network = Network.newNetwork();
  static final GenericContainer<?> inference =
      ServiceImages.service("inference-service", 8081, network, "inference");
  static final GenericContainer<?> gateway = ServiceImages.service("gateway", 8080, network, "gateway")
      .withEnv("LATENT_INFERENCE_URL", "http://inference:8081")
      .withEnv("LATENT_ADMIN_KEY", ADMIN_KEY)
      .dependsOn(inference);

  static final HttpClient http = HttpClient.newHttpClient();
  static String virtualKey;

  @BeforeAll
  static void start() throws Exception {
    gateway.start();
    var created = http.send(HttpRequest.newBuilder(uri("/admin/keys"))
        .header("Authorization", "Bearer " + ADMIN_KEY).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"it\",\"tenant\":\"it-tenant\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(created.statusCode()).as(created.body()).isBetween(200, 201);
    virtualKey = new JsonPathExpectationsHelper("$.key").evaluateJsonPath(created.body()).toString();
  }

  @AfterAll
  static void stop() {
    gateway.stop();
    inference.stop();
    network.close();
  }

  @Test
  void gatewayIsHealthy() throws Exception {
    var response = get("/actuator/health", null);
    assertThat(response.statusCode()).isEqualTo(200);
    new JsonPathExpectationsHelper("$.status").assertValue(response.body(), "UP");
  }

  @Test
  void unknownPathIsA404ProblemWithAnOpenAiError() throws Exception {
    var response = get("/v1/no-such-thing", null);
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    new JsonPathExpectationsHelper("$.error.message").assertValueIsNotEmpty(response.body());
  }

  @Test
  void routedRequestsReachTheInferenceServiceWithTheRequestId() throws Exception {
    // /v1/models belongs to the inference service: the answer comes from there, through the gateway.
    var response = get("/v1/models/unknown-model", "it-routing-1");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(404);
    assertThat(response.headers().firstValue("X-Request-Id")).hasValue("it-routing-1");
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    new JsonPathExpectationsHelper("$.instance").assertValue(response.body(), "/v1/models/unknown-model");
    // The access log line is written when the exchange completes, which may be after the client has the answer.
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(inference.getLogs()).contains("[it-routing-1]").contains("/v1/models/unknown-model"));
  }

  @Test
  void aRequestWithoutAKeyIsA401Problem() throws Exception {
    var response = http.send(HttpRequest.newBuilder(uri("/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(401);
    new JsonPathExpectationsHelper("$.error.message").assertValueIsNotEmpty(response.body());
  }

  private static URI uri(String path) {
    return URI.create("http://" + gateway.getHost() + ":" + gateway.getMappedPort(8080) + path);
  }

  private HttpResponse<String> get(String path, String requestId) throws Exception {
    var request = HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + virtualKey);
    if (requestId != null) {
      request.header("X-Request-Id", requestId);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
