package dev.latent.training.superres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.djl.ndarray.NDManager;
import dev.latent.ml.vision.sr.Espcn;
import dev.latent.training.TestHomes;
import dev.latent.training.jobs.JobWire.Job;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/** An ESPCN job through the jobs API: trains, installs vision/espcn-x2 with its manifest, loads. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "latent.home=target/test-home/superres", "latent.training.jobs.device=cpu"})
@AutoConfigureWebTestClient(timeout = "60s")
class SuperResolutionMethodTest {

  static final Path HOME = Path.of("target/test-home/superres");

  @BeforeAll
  static void setUp() throws Exception {
    TestHomes.wipe(HOME);
  }

  @Autowired
  WebTestClient client;

  WebTestClient.ResponseSpec create(Map<String, Object> body) {
    return client.post().uri("/v1/fine_tuning/jobs").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  @Test
  void anEspcnJobTrainsAndInstallsTheModelWhereTheVisionServiceLooks() throws Exception {
    Job created = create(Map.of("model", "espcn", "method", Map.of("type", "super_resolution",
        "super_resolution", Map.of("hyperparameters", Map.of("scale", 2, "n_steps", 50, "patterns", 4)))))
        .expectStatus().isOk().expectBody(Job.class).returnResult().getResponseBody();
    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500)).until(() -> client.get()
        .uri("/v1/fine_tuning/jobs/" + created.id()).exchange().expectBody(Job.class).returnResult()
        .getResponseBody().state().finished());
    client.get().uri("/v1/fine_tuning/jobs/" + created.id()).exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.status").isEqualTo("succeeded")
        .jsonPath("$.fine_tuned_model").isEqualTo("espcn-x2");
    Path dir = HOME.resolve("models/vision/espcn-x2");
    assertThat(Files.readString(dir.resolve(".installed"))).startsWith("espcn.ndlist\t");
    try (NDManager nd = NDManager.newBaseManager("PyTorch"); Espcn net = Espcn.load(dir, nd)) {
      assertThat(net.scale()).isEqualTo(2);
    }
    client.get().uri("/v1/fine_tuning/jobs/" + created.id() + "/events").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.data[?(@.type == 'metrics')]").exists();
  }

  @Test
  void badSuperResolutionRequestsAre400NamingTheField() {
    create(Map.of("model", "other", "method", Map.of("type", "super_resolution")))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("model");
    create(Map.of("model", "espcn", "method", Map.of("type", "super_resolution",
        "super_resolution", Map.of("hyperparameters", Map.of("scale", 5)))))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("hyperparameters.scale");
    create(Map.of("model", "espcn", "method", Map.of("type", "super_resolution",
        "super_resolution", Map.of("hyperparameters", Map.of("train_images", "not-a-list")))))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("hyperparameters.train_images");
  }
}
