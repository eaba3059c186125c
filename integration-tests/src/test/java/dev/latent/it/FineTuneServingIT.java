package dev.latent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Volume;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.util.JsonPathExpectationsHelper;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;

/**
 * Issue 6's "a finished job's model is served by the inference-service": a training-service and
 * an inference-service sharing one model store. The inference-service writes its tiny seeded
 * model into the empty store at start; the test uploads a small chat file, runs a short LoRA
 * fine-tuning job on that model, the training-service tells the inference-service to load the
 * adapter ({@code latent.training.jobs.inference-url}), and a chat request to {@code base:adapter}
 * answers.
 */
class FineTuneServingIT {

  static final String BASE = "latent-seeded-tiny";
  static final Network network = Network.newNetwork();
  static final Path store = modelStore();
  static final GenericContainer<?> inference =
      ServiceImages.service("inference-service", 8081, network, "inference")
          .withCreateContainerCmdModifier(FineTuneServingIT::mountStore)
          .withEnv("LATENT_INFERENCE_RUNTIME_SEEDEDSHAPE", "tiny")
          .withEnv("LATENT_INFERENCE_RUNTIME_DEVICE", "cpu")
          .withEnv("LATENT_INFERENCE_RUNTIME_KVCACHEBUDGET", "16MB")
          .withEnv("LATENT_INFERENCE_EMBEDDINGS_ENABLED", "false");
  static final GenericContainer<?> training =
      ServiceImages.service("training-service", 8083, network, "training")
          .withCreateContainerCmdModifier(FineTuneServingIT::mountStore)
          .withEnv("LATENT_TRAINING_JOBS_INFERENCEURL", "http://inference:8081")
          .withEnv("LATENT_TRAINING_JOBS_DEVICE", "cpu")
          .dependsOn(inference);

  static final HttpClient http = HttpClient.newHttpClient();

  /** A host directory both containers mount; they run as uid 10001, so it is world-writable. */
  static Path modelStore() {
    try {
      Path dir = Files.createTempDirectory("latent-it-models");
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
      return dir;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Binds the store at {@code /data/models}. Set on the create command rather than with
   * {@code withFileSystemBind}, whose host-mount probe pulls an image (no registry here).
   */
  static void mountStore(CreateContainerCmd cmd) {
    cmd.getHostConfig().withBinds(new Bind(store.toString(), new Volume("/data/models")));
  }

  @BeforeAll
  static void start() {
    training.start(); // starts the inference-service first (the seeded base model is then in the store)
  }

  @AfterAll
  static void stop() {
    training.stop();
    inference.stop();
    network.close();
    // best effort: the containers' files belong to uid 10001
    try (var files = Files.walk(store)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException e) {
      // left in the temp directory
    }
  }

  @Test
  void aFinishedLoraJobIsServedAsBaseColonAdapter() throws Exception {
    assertThat(store.resolve(BASE).resolve("config.json")).exists();
    String file = uploadChatFile();

    var created = send(training, "POST", "/v1/fine_tuning/jobs", """
        {"model": "%s", "training_file": "%s", "suffix": "it",
         "method": {"type": "supervised", "supervised": {"hyperparameters": {
           "n_epochs": 2, "batch_size": 2, "learning_rate": 0.01,
           "lora": {"r": 4, "alpha": 8, "target_modules": ["q_proj", "v_proj", "o_proj"]}}}}}
        """.formatted(BASE, file));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    String model = awaitSucceeded(json(created.body(), "$.id"));
    assertThat(model).startsWith(BASE + ":" + BASE + "-ft-it-");
    // the PEFT adapter is in the shared store, where the inference-service read it
    assertThat(store.resolve(model.substring(BASE.length() + 1)).resolve("adapter_config.json")).exists();

    // the training-service told the inference-service to load it
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(send(inference, "GET", "/v1/models/" + model, null).statusCode()).isEqualTo(200));
    var base = send(inference, "GET", "/v1/models/" + BASE, null);
    new JsonPathExpectationsHelper("$.adapters[0]").assertValue(base.body(), model);

    var chat = send(inference, "POST", "/v1/chat/completions", """
        {"model": "%s", "max_tokens": 8, "temperature": 0,
         "messages": [{"role": "user", "content": "hi"}]}
        """.formatted(model));
    assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
    new JsonPathExpectationsHelper("$.model").assertValue(chat.body(), model);
    new JsonPathExpectationsHelper("$.choices[0].message.role").assertValue(chat.body(), "assistant");
    assertThat(((Number) new JsonPathExpectationsHelper("$.usage.completion_tokens")
        .evaluateJsonPath(chat.body())).intValue()).isPositive();
  }

  @Test
  void aFinishedFullFineTuneIsServedUnderItsOwnName() throws Exception {
    String file = uploadChatFile();
    var created = send(training, "POST", "/v1/fine_tuning/jobs", """
        {"model": "%s", "training_file": "%s", "suffix": "full",
         "method": {"type": "supervised", "supervised": {"hyperparameters": {
           "n_epochs": 1, "batch_size": 2, "learning_rate": 0.001}}}}
        """.formatted(BASE, file));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    String model = awaitSucceeded(json(created.body(), "$.id"));
    assertThat(model).startsWith(BASE + "-ft-full-").doesNotContain(":");
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
        assertThat(send(inference, "GET", "/v1/models/" + model, null).statusCode()).isEqualTo(200));
    var chat = send(inference, "POST", "/v1/chat/completions", """
        {"model": "%s", "max_tokens": 4, "messages": [{"role": "user", "content": "hi"}]}
        """.formatted(model));
    assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
    new JsonPathExpectationsHelper("$.model").assertValue(chat.body(), model);
  }

  /** Waits for the job to finish; asserts it succeeded and returns its fine_tuned_model. */
  private static String awaitSucceeded(String job) throws Exception {
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> {
      String status = json(send(training, "GET", "/v1/fine_tuning/jobs/" + job, null).body(), "$.status");
      return status.equals("succeeded") || status.equals("failed") || status.equals("cancelled");
    });
    var done = send(training, "GET", "/v1/fine_tuning/jobs/" + job, null);
    assertThat(json(done.body(), "$.status")).as(done.body()).isEqualTo("succeeded");
    return json(done.body(), "$.fine_tuned_model");
  }

  private static String uploadChatFile() throws Exception {
    StringBuilder jsonl = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      jsonl.append("{\"messages\":[{\"role\":\"user\",\"content\":\"hi ").append(i)
          .append("\"},{\"role\":\"assistant\",\"content\":\"hello there\"}]}\n");
    }
    String boundary = "latent-it-boundary";
    String body = "--" + boundary + "\r\n"
        + "Content-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
        + "--" + boundary + "\r\n"
        + "Content-Disposition: form-data; name=\"file\"; filename=\"chat.jsonl\"\r\n"
        + "Content-Type: application/jsonl\r\n\r\n" + jsonl + "\r\n"
        + "--" + boundary + "--\r\n";
    var response = http.send(HttpRequest.newBuilder(uri(training, "/v1/files"))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return json(response.body(), "$.id");
  }

  private static String json(String body, String path) {
    return String.valueOf(new JsonPathExpectationsHelper(path).evaluateJsonPath(body));
  }

  private static URI uri(GenericContainer<?> c, String path) {
    int port = c == inference ? 8081 : 8083;
    return URI.create("http://" + c.getHost() + ":" + c.getMappedPort(port) + path);
  }

  private static HttpResponse<String> send(GenericContainer<?> c, String method, String path, String json)
      throws Exception {
    var request = HttpRequest.newBuilder(uri(c, path)).timeout(Duration.ofSeconds(60));
    if (json != null) {
      request.header("Content-Type", "application/json");
    }
    request.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
