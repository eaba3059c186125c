package dev.latent.training.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.latent.training.TestHomes;
import dev.latent.training.TrainingApplication;
import dev.latent.training.files.FilesApiTest;
import dev.latent.training.files.TrainingFile;
import dev.latent.training.jobs.JobWire.Job;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;

/** Stopping the service mid-job and starting it again resumes from the last checkpoint. */
class KillAndResumeTest {

  static final Path HOME = Path.of("target/test-home/resume");

  static ConfigurableApplicationContext start() {
    return SpringApplication.run(TrainingApplication.class, "--server.port=0", "--latent.home=" + HOME,
        "--latent.training.jobs.device=cpu", "--latent.training.jobs.checkpoint-every=3");
  }

  static WebTestClient client(ConfigurableApplicationContext ctx) {
    int port = ((WebServerApplicationContext) ctx).getWebServer().getPort();
    return WebTestClient.bindToServer().baseUrl("http://localhost:" + port).responseTimeout(Duration.ofSeconds(30)).build();
  }

  static Job job(WebTestClient client, String id) {
    return client.get().uri("/v1/fine_tuning/jobs/" + id).exchange().expectStatus().isOk()
        .expectBody(Job.class).returnResult().getResponseBody();
  }

  @Test
  void aJobStoppedMidwayResumesFromItsCheckpointAndReachesTheSameStepCount() throws Exception {
    TestHomes.wipe(HOME);
    TinyBaseModel.write(HOME.resolve("models"), "tiny");
    String id;
    int total;
    try (ConfigurableApplicationContext first = start()) {
      WebTestClient client = client(first);
      String file = client.post().uri("/v1/files").contentType(MediaType.MULTIPART_FORM_DATA)
          .body(BodyInserters.fromMultipartData(FilesApiTest.upload(
              "{\"text\":\"one two three four five six\"}\n".repeat(4), "fine-tune").build()))
          .exchange().expectStatus().isOk().expectBody(TrainingFile.class).returnResult().getResponseBody().id();
      id = client.post().uri("/v1/fine_tuning/jobs").contentType(MediaType.APPLICATION_JSON)
          .bodyValue(Map.of("model", "tiny", "training_file", file, "seed", 9, "method",
              Map.of("type", "pretrain", "pretrain", Map.of("hyperparameters", Map.of("n_epochs", 40, "batch_size", 1)))))
          .exchange().expectStatus().isOk().expectBody(Job.class).returnResult().getResponseBody().id();
      // Stop as soon as step 4 shows: the service stops its jobs at the first shutdown signal.
      Job before = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
          .until(() -> job(client, id), j -> j.step() >= 4);
      first.close();
      total = before.totalSteps();
      assertThat(before.step()).isLessThan(total);
    }
    try (ConfigurableApplicationContext second = start()) {
      WebTestClient client = client(second);
      Job stopped = job(client, id);
      assertThat(stopped.status()).isIn("running", "queued");
      await().atMost(Duration.ofSeconds(120)).until(() -> job(client, id).state().finished());
      Job done = job(client, id);
      assertThat(done.status()).as(String.valueOf(done.error())).isEqualTo("succeeded");
      assertThat(done.step()).isEqualTo(total).isEqualTo(160);
      var history = client.get().uri("/v1/fine_tuning/jobs/" + id + "/events").accept(MediaType.TEXT_EVENT_STREAM)
          .exchange().expectStatus().isOk().returnResult(new ParameterizedTypeReference<Map<String, Object>>() {})
          .getResponseBody().collectList().block(Duration.ofSeconds(30));
      assertThat(history).extracting(e -> (String) e.get("message"))
          .anyMatch(m -> m.matches("Resumed from the checkpoint at step \\d+"));
      // Steps after the last checkpoint ran twice (before the stop and after the resume).
      assertThat(history).filteredOn(e -> "metrics".equals(e.get("type"))).hasSizeGreaterThanOrEqualTo(total);
    }
  }
}
