package dev.latent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.util.JsonPathExpectationsHelper;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;

/** The gateway and inference-service images on one Docker network, checked through the gateway. */
class GatewayRoutingIT {

  static final Network network = Network.newNetwork();
  static final GenericContainer<?> inference =
      ServiceImages.service("inference-service", 8081, network, "inference");
  static final GenericContainer<?> gateway = ServiceImages.service("gateway", 8080, network, "gateway")
      .withEnv("LATENT_INFERENCE_URL", "http://inference:8081")
      .dependsOn(inference);

  final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    gateway.start();
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
    assertThat(response.headers().firstValue("X-Request-Id")).hasValue("it-routing-1");
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    new JsonPathExpectationsHelper("$.instance").assertValue(response.body(), "/v1/models/unknown-model");
    assertThat(inference.getLogs()).contains("[it-routing-1]").contains("/v1/models/unknown-model");
  }

  private HttpResponse<String> get(String path, String requestId) throws Exception {
    var request = HttpRequest.newBuilder(
        URI.create("http://" + gateway.getHost() + ":" + gateway.getMappedPort(8080) + path));
    if (requestId != null) {
      request.header("X-Request-Id", requestId);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
