package dev.latent.training.defaultmodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline's HTTP driver against a stub of the training-service's files and jobs API. */
class DefaultModelPipelineTest {

  @TempDir Path dir;
  private HttpServer server;
  private final List<String> requests = new ArrayList<>();
  private final AtomicInteger polls = new AtomicInteger();
  private volatile String uploaded = "";
  private volatile JsonObject created;
  private volatile String finalStatus = "succeeded";
  private DefaultModelPipeline pipeline;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/v1/files", x -> {
      uploaded = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      answer(x, 200, "{\"id\":\"file-1\",\"object\":\"file\"}");
    });
    server.createContext("/v1/fine_tuning/jobs", x -> {
      String path = x.getRequestURI().getPath();
      requests.add(x.getRequestMethod() + " " + x.getRequestURI());
      if (x.getRequestMethod().equals("POST")) {
        created = JsonParser.parseString(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8))
            .getAsJsonObject();
        if (created.get("model").getAsString().equals("missing")) {
          answer(x, 404, "{\"error\":{\"code\":\"model_not_found\"}}");
        } else {
          answer(x, 200, "{\"id\":\"ftjob-1\",\"status\":\"validating_files\"}");
        }
      } else if (path.equals("/v1/fine_tuning/jobs")) {
        answer(x, 200, "{\"data\":[{\"id\":\"ftjob-3\",\"fine_tuned_model\":null},"
            + "{\"id\":\"ftjob-2\",\"fine_tuned_model\":\"tiny-ft-sft\"},{\"id\":\"ftjob-1\",\"fine_tuned_model\":\"tiny-ft-pt\"}]}");
      } else if (path.endsWith("/events")) {
        answer(x, 200, "{\"data\":[{\"message\":\"Step " + polls.get() + "/3\",\"data\":{\"step\":" + polls.get() + "}}]}");
      } else {
        int n = polls.incrementAndGet();
        answer(x, 200, n < 3 ? "{\"status\":\"running\"}" : finalStatus.equals("succeeded")
            ? "{\"status\":\"succeeded\",\"fine_tuned_model\":\"tiny-ft-x\",\"trained_tokens\":42}"
            : "{\"status\":\"failed\",\"error\":{\"code\":\"training_failed\",\"message\":\"boom\"}}");
      }
    });
    server.start();
    pipeline = new DefaultModelPipeline("http://127.0.0.1:" + server.getAddress().getPort() + "/", dir.resolve("store"),
        dir.resolve("work"), dir.resolve("out"), Map.copyOf(DefaultModelPipeline.DEFAULTS)).pollEvery(1);
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private static void answer(HttpExchange x, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", "application/json");
    x.sendResponseHeaders(status, bytes.length);
    x.getResponseBody().write(bytes);
    x.close();
  }

  @Test
  void uploadsTheFileAsMultipartForFineTuning() throws Exception {
    Path file = Files.writeString(dir.resolve("sft.jsonl"), "{\"text\":\"hello\"}\n");
    assertThat(pipeline.client().upload(file)).isEqualTo("file-1");
    assertThat(uploaded).contains("name=\"purpose\"\r\n\r\nfine-tune\r\n")
        .contains("name=\"file\"; filename=\"sft.jsonl\"").contains("{\"text\":\"hello\"}");
  }

  @Test
  void createsTheJobWithItsMethodBlockAndFollowsItToTheModel() throws Exception {
    JobsClient.Finished done = pipeline.client().job("base", "file-1", null, "dpo", DefaultModelPipeline.hp(2, 8, 5e-5, 0.1),
        7, "dpo");
    assertThat(done).isEqualTo(new JobsClient.Finished("ftjob-1", "tiny-ft-x"));
    assertThat(created.get("model").getAsString()).isEqualTo("base");
    assertThat(created.get("training_file").getAsString()).isEqualTo("file-1");
    assertThat(created.has("validation_file")).isFalse();
    assertThat(created.get("seed").getAsLong()).isEqualTo(7);
    JsonObject method = created.getAsJsonObject("method");
    assertThat(method.get("type").getAsString()).isEqualTo("dpo");
    JsonObject h = method.getAsJsonObject("dpo").getAsJsonObject("hyperparameters");
    assertThat(h.get("n_epochs").getAsInt()).isEqualTo(2);
    assertThat(h.get("beta").getAsDouble()).isEqualTo(0.1);
    assertThat(polls.get()).isEqualTo(3);
    assertThat(requests).contains("GET /v1/fine_tuning/jobs/ftjob-1/events?limit=1");
  }

  @Test
  void aFailedJobStopsThePipelineWithItsError() {
    finalStatus = "failed";
    assertThatThrownBy(() -> pipeline.client().job("base", "file-1", null, "supervised", DefaultModelPipeline.hp(1, 4, 1e-3, null),
        7, "sft")).isInstanceOf(IllegalStateException.class).hasMessageContaining("supervised job ftjob-1 failed")
        .hasMessageContaining("boom");
  }

  @Test
  void anErrorAnswerNamesTheRequestAndStatus() {
    assertThatThrownBy(() -> pipeline.client().job("missing", "file-1", null, "supervised",
        DefaultModelPipeline.hp(1, 4, 1e-3, null), 7, "sft"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("POST").hasMessageContaining("answered 404")
        .hasMessageContaining("model_not_found");
  }

  @Test
  void findsTheJobThatMadeAModel() throws Exception {
    assertThat(pipeline.client().jobThatMade("tiny-ft-sft")).isEqualTo("ftjob-2");
    assertThat(requests).contains("GET /v1/fine_tuning/jobs?limit=100");
    assertThatThrownBy(() -> pipeline.client().jobThatMade("other")).hasMessageContaining("no job")
        .hasMessageContaining("other");
  }

  private DefaultModelPipeline withRecipe(String key, String value) {
    Map<String, String> recipe = new HashMap<>(DefaultModelPipeline.DEFAULTS);
    recipe.put(key, value);
    return new DefaultModelPipeline("http://127.0.0.1:1", dir, dir, dir, recipe);
  }

  @Test
  void theDpoJobContinuesTheSftJobsOptimizerOnlyWhenAskedTo() {
    JsonObject fresh = pipeline.dpoHyperparameters("ftjob-2");
    assertThat(fresh.has("optimizer_state_from")).isFalse();
    assertThat(fresh.get("warmup_steps").getAsInt()).isEqualTo(10);
    assertThat(fresh.get("lr_scheduler").getAsString()).isEqualTo("cosine");
    JsonObject continued = withRecipe("dpo_optimizer", "sft").dpoHyperparameters("ftjob-2");
    assertThat(continued.get("optimizer_state_from").getAsString()).isEqualTo("ftjob-2");
    assertThat(withRecipe("dpo_warmup", "0").dpoHyperparameters("ftjob-2").get("warmup_steps").getAsInt()).isZero();
    assertThat(withRecipe("dpo_scheduler", "constant").dpoHyperparameters("ftjob-2").get("lr_scheduler").getAsString())
        .isEqualTo("constant");
    assertThatThrownBy(() -> withRecipe("dpo_optimizer", "adam").dpoHyperparameters("ftjob-2"))
        .hasMessageContaining("dpo_optimizer must be fresh or sft");
  }
}
