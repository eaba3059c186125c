package dev.latent.training.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.latent.support.problem.ProblemException;
import dev.latent.training.TestHomes;
import dev.latent.training.jobs.JobWire.Job;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The extension point: a registered {@link TrainingMethod} runs jobs of its type through the API. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "latent.home=target/test-home/methods", "latent.training.jobs.device=cpu"})
@AutoConfigureWebTestClient(timeout = "60s")
class TrainingMethodsTest {

  static final Path HOME = Path.of("target/test-home/methods");

  /** Counts to {@code hyperparameters.steps}, checkpointing each step, and writes a file into the store. */
  @TestConfiguration
  static class Counting {
    @Bean
    TrainingMethod counting() {
      return new TrainingMethod() {
        @Override
        public String type() {
          return "counting";
        }

        @Override
        public void validate(@Nullable String model, @Nullable String trainingFile, Map<String, Object> block) {
          Object h = block.get("hyperparameters");
          if (!(h instanceof Map<?, ?> m) || !(m.get("steps") instanceof Integer)) {
            throw ProblemException.invalidParameter("hyperparameters.steps", "steps is required");
          }
        }

        @Override
        public String execute(Context c, Listener listener) {
          int steps = (Integer) c.hyperparameters().get("steps");
          for (int step = 1; step <= steps; step++) {
            listener.checkStop();
            listener.event("metrics", "step " + step, Map.of("step", step, "train_loss", 1.0 / step));
            listener.progress(step, steps, 0);
            listener.checkpoint(step, c.checkpointDir(step), Map.of("step", step));
          }
          String name = c.job().model() + "-" + c.job().id().substring(c.job().id().length() - 8);
          try {
            Files.createDirectories(c.modelStore().resolve(name));
            Files.writeString(c.modelStore().resolve(name).resolve("count.txt"), Integer.toString(steps));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          return name;
        }
      };
    }
  }

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
  void aRegisteredMethodRunsItsJobs() throws Exception {
    Job created = create(Map.of("model", "counter", "method",
        Map.of("type", "counting", "counting", Map.of("hyperparameters", Map.of("steps", 3)))))
        .expectStatus().isOk().expectBody(Job.class).returnResult().getResponseBody();
    assertThat(created.trainingFile()).isEmpty();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> client.get()
        .uri("/v1/fine_tuning/jobs/" + created.id()).exchange().expectBody(Job.class).returnResult()
        .getResponseBody().state().finished());
    client.get().uri("/v1/fine_tuning/jobs/" + created.id()).exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.status").isEqualTo("succeeded")
        .jsonPath("$.step").isEqualTo(3)
        .jsonPath("$.method.counting.hyperparameters.steps").isEqualTo(3);
    Path out = HOME.resolve("models").resolve("counter-" + created.id().substring(created.id().length() - 8));
    assertThat(Files.readString(out.resolve("count.txt"))).isEqualTo("3");
    client.get().uri("/v1/fine_tuning/jobs/" + created.id() + "/checkpoints").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.data.length()").isEqualTo(3);
  }

  @Test
  void theMethodValidatesItsBlockAndUnknownTypesAreRefused() {
    create(Map.of("model", "counter", "method", Map.of("type", "counting")))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("hyperparameters.steps");
    create(Map.of("model", "counter", "method", Map.of("type", "segmentation")))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("method.type");
    create(Map.of("model", "tiny", "method", Map.of("type", "supervised")))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("training_file");
  }
}
