package dev.latent.training.detection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.djl.Device;
import dev.latent.ml.vision.detr.Detr;
import dev.latent.training.TestHomes;
import dev.latent.training.jobs.JobWire.Job;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/** {@code method.type: detection} through the jobs API: a tiny DETR run that writes a loadable model. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "latent.home=target/test-home/detection", "latent.training.jobs.device=cpu"})
@AutoConfigureWebTestClient(timeout = "60s")
@SuppressWarnings("unchecked")
class DetectionJobTest {

  static final Path HOME = Path.of("target/test-home/detection");

  @BeforeAll
  static void setUp() throws Exception {
    TestHomes.wipe(HOME);
  }

  @Autowired
  WebTestClient client;

  WebTestClient.ResponseSpec create(Map<String, Object> body) {
    return client.post().uri("/v1/fine_tuning/jobs").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  static Map<String, Object> detection(Map<String, Object> hyper) {
    return Map.of("type", "detection", "detection", Map.of("hyperparameters", hyper));
  }

  @Test
  void aDetectionJobTrainsDetrAndWritesItToTheModelStore() {
    Job created = create(Map.of("model", "detr-test", "seed", 5, "method", detection(Map.of("train_size", 8,
        "batch_size", 4, "n_epochs", 1, "held_out_size", 4, "eval_every", 1))))
        .expectStatus().isOk().expectBody(Job.class).returnResult().getResponseBody();
    await().atMost(Duration.ofSeconds(300)).pollInterval(Duration.ofMillis(500)).until(() -> client.get()
        .uri("/v1/fine_tuning/jobs/" + created.id()).exchange().expectBody(Job.class).returnResult()
        .getResponseBody().state().finished());
    client.get().uri("/v1/fine_tuning/jobs/" + created.id()).exchange().expectBody()
        .jsonPath("$.status").isEqualTo("succeeded")
        .jsonPath("$.fine_tuned_model").isEqualTo("detr-test")
        .jsonPath("$.total_steps").isEqualTo(2);
    List<Map<String, Object>> events = client.get().uri("/v1/fine_tuning/jobs/" + created.id() + "/events?limit=100")
        .exchange().expectBody(new ParameterizedTypeReference<Map<String, Object>>() {}).returnResult()
        .getResponseBody().get("data") instanceof List<?> l ? (List<Map<String, Object>>) (List<?>) l : List.of();
    assertThat(events).anySatisfy(e -> assertThat((Map<String, Object>) e.get("data")).containsKey("train_loss"));
    assertThat(events).anySatisfy(e -> assertThat((Map<String, Object>) e.get("data")).containsKey("held_out_map50"));
    client.get().uri("/v1/fine_tuning/jobs/" + created.id() + "/checkpoints").exchange().expectBody()
        .jsonPath("$.data.length()").isEqualTo(2)
        .jsonPath("$.data[0].metrics.held_out_map50").exists();
    Path model = HOME.resolve("models/detr-test");
    assertThat(model.resolve("eval.json")).exists();
    try (Detr detr = Detr.load(model, Device.cpu())) {
      assertThat(detr.config().labels()).containsExactly("circle", "square", "triangle", "star");
    }
  }

  @Test
  void badDetectionRequestsAre400NamingTheField() {
    create(Map.of("model", "detr-test", "method", detection(Map.of("batch_size", 0))))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("hyperparameters.batch_size");
    create(Map.of("model", "detr-test", "method", detection(Map.of("lora", Map.of()))))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("hyperparameters.lora");
    create(Map.of("model", "detr-test", "method", detection(Map.of("max_objects", 99))))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("hyperparameters.max_objects");
    create(Map.of("model", "../x", "method", detection(Map.of())))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("model");
    create(Map.of("model", "detr-test", "training_file", "file-abc", "method", detection(Map.of())))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("training_file");
  }
}
