package dev.latent.training.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.latent.training.TestHomes;
import dev.latent.training.files.FilesApiTest;
import dev.latent.training.files.TrainingFile;
import dev.latent.training.jobs.JobWire.Event;
import dev.latent.training.jobs.JobWire.Job;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.io.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
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
import org.springframework.web.reactive.function.BodyInserters;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "latent.home=target/test-home/jobs", "latent.training.jobs.device=cpu", "latent.training.jobs.slots=2",
    "latent.training.jobs.checkpoint-every=4"})
@AutoConfigureWebTestClient(timeout = "60s")
@SuppressWarnings("unchecked")
class JobsApiTest {

  static final Path HOME = Path.of("target/test-home/jobs");
  /** Stands in for the inference-service: records which models it was told to load. */
  static final java.util.Queue<String> LOADS = new java.util.concurrent.ConcurrentLinkedQueue<>();
  static final com.sun.net.httpserver.HttpServer INFERENCE = inference();

  static com.sun.net.httpserver.HttpServer inference() {
    try {
      var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/admin/models/", exchange -> {
        LOADS.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath());
        exchange.sendResponseHeaders(200, -1);
        exchange.close();
      });
      server.start();
      return server;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @org.springframework.test.context.DynamicPropertySource
  static void inferenceUrl(org.springframework.test.context.DynamicPropertyRegistry r) {
    r.add("latent.training.jobs.inference-url", () -> "http://127.0.0.1:" + INFERENCE.getAddress().getPort());
  }

  @BeforeAll
  static void setUp() throws Exception {
    TestHomes.wipe(HOME);
    TinyBaseModel.write(HOME.resolve("models"), "tiny");
  }

  @Autowired
  WebTestClient client;

  String upload(String jsonl) {
    return client.post().uri("/v1/files").contentType(MediaType.MULTIPART_FORM_DATA)
        .body(BodyInserters.fromMultipartData(FilesApiTest.upload(jsonl, "fine-tune").build())).exchange()
        .expectStatus().isOk().expectBody(TrainingFile.class).returnResult().getResponseBody().id();
  }

  WebTestClient.ResponseSpec create(Map<String, Object> body) {
    return client.post().uri("/v1/fine_tuning/jobs").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
  }

  static Map<String, Object> method(String type, Map<String, Object> hyper) {
    return Map.of("type", type, type, Map.of("hyperparameters", hyper));
  }

  Job job(String id) {
    return client.get().uri("/v1/fine_tuning/jobs/" + id).exchange().expectStatus().isOk()
        .expectBody(Job.class).returnResult().getResponseBody();
  }

  Job awaitFinished(String id) {
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
        .until(() -> job(id).state().finished());
    return job(id);
  }

  List<Event> metrics(String id) {
    var page = client.get().uri("/v1/fine_tuning/jobs/" + id + "/events?limit=100").exchange().expectStatus().isOk()
        .expectBody(new ParameterizedTypeReference<JobWire.Page<Map<String, Object>>>() {}).returnResult().getResponseBody();
    return page.data().stream().filter(e -> "metrics".equals(e.get("type")))
        .map(e -> new Event((String) e.get("id"), "", 0, "", (String) e.get("message"),
            (Map<String, Object>) e.get("data"), "metrics", 0, id)).toList().reversed();
  }

  static String alpaca() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      sb.append("{\"instruction\":\"Count\",\"input\":\"").append(i).append("\",\"output\":\"abcdefgh\"}\n");
    }
    return sb.toString();
  }

  @Test
  void badRequestsAreProblems() {
    String text = upload("{\"text\":\"hello world\"}\n");
    create(Map.of("model", "nope", "training_file", text)).expectStatus().isNotFound()
        .expectBody().jsonPath("$.error.code").isEqualTo("model_not_found");
    create(Map.of("model", "tiny", "training_file", "file-missing")).expectStatus().isNotFound()
        .expectBody().jsonPath("$.error.code").isEqualTo("file_not_found");
    create(Map.of("model", "tiny", "training_file", text)).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.error.param").isEqualTo("training_file");
    create(Map.of("model", "tiny", "training_file", text, "method", method("pretrain", Map.of("n_epochs", 0))))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("hyperparameters.n_epochs");
    create(Map.of("model", "tiny", "training_file", text, "method", method("pretrain", Map.of("lr_scheduler", "step"))))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("hyperparameters.lr_scheduler");
    create(Map.of("model", "tiny", "training_file", text, "method", method("pretrain", Map.of("lora", Map.of("r", 0)))))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("hyperparameters.lora.r");
    create(Map.of("model", "tiny", "training_file", text, "method", method("dpo", Map.of("rpo_alpha", -0.5))))
        .expectStatus().isBadRequest().expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.error.param").isEqualTo("hyperparameters.rpo_alpha")
        .jsonPath("$.detail").isEqualTo("rpo_alpha must be in [0, 100]");
    create(Map.of("model", "tiny", "training_file", text, "method", method("supervised", Map.of("rpo_alpha", 1))))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("hyperparameters.rpo_alpha")
        .jsonPath("$.detail").isEqualTo("rpo_alpha applies to dpo only");
    create(Map.of("model", "tiny", "training_file", text, "method", method("pretrain", Map.of("layer_chunk_rows", 0))))
        .expectStatus().isBadRequest().expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.error.param").isEqualTo("hyperparameters.layer_chunk_rows")
        .jsonPath("$.detail").isEqualTo("layer_chunk_rows must be in [1, 1048576]");
    create(Map.of("model", "tiny", "training_file", text, "method", Map.of("type", "rlhf")))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("method.type");
    client.get().uri("/v1/fine_tuning/jobs/ftjob-nope").exchange().expectStatus().isNotFound();
  }

  @Test
  void supervisedFullFineTuneLearnsCheckpointsAndWritesTheModel() {
    String file = upload(alpaca());
    Job created = create(Map.of("model", "tiny", "training_file", file, "validation_file", file, "seed", 3,
        "suffix", "count", "method", method("supervised", Map.of("n_epochs", 12, "batch_size", 2,
            "learning_rate", 1e-2, "warmup_steps", 2, "lr_scheduler", "cosine", "layer_chunk_rows", 1))))
        .expectStatus().isOk().expectBody(Job.class).returnResult().getResponseBody();
    assertThat(created.status()).isIn("queued", "running");
    List<Map<String, Object>> live = client.get().uri("/v1/fine_tuning/jobs/" + created.id() + "/events")
        .accept(MediaType.TEXT_EVENT_STREAM).exchange().expectStatus().isOk()
        .returnResult(new ParameterizedTypeReference<Map<String, Object>>() {}).getResponseBody().collectList()
        .block(Duration.ofSeconds(120));
    assertThat((Map<String, Object>) live.getLast().get("data")).containsEntry("status", "succeeded");
    assertThat(live).filteredOn(e -> "metrics".equals(e.get("type"))).hasSize(24);
    Job done = awaitFinished(created.id());
    assertThat(done.status()).isEqualTo("succeeded");
    assertThat(done.step()).isEqualTo(24);
    assertThat(done.trainedTokens()).isPositive();
    List<Event> metrics = metrics(created.id());
    double first = ((Number) metrics.getFirst().data().get("train_loss")).doubleValue();
    double last = ((Number) metrics.getLast().data().get("train_loss")).doubleValue();
    assertThat(last).isLessThan(first * 0.5);
    assertThat(metrics.getLast().data()).containsKeys("learning_rate", "grad_norm", "tokens_per_second", "eta_seconds",
        "valid_loss");
    client.get().uri("/v1/fine_tuning/jobs/" + created.id() + "/checkpoints").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.data.length()").isEqualTo(6).jsonPath("$.data[0].step_number").isEqualTo(24);
    Path out = HOME.resolve("models").resolve(done.fineTunedModel());
    assertThat(done.fineTunedModel()).startsWith("tiny-ft-count-");
    assertThat(out.resolve("config.json")).exists();
    assertThat(out.resolve("model.safetensors")).exists();
    assertThat(out.resolve("tokenizer.json")).exists();
    client.post().uri("/v1/fine_tuning/jobs/" + created.id() + "/cancel").exchange().expectStatus().isEqualTo(409);
    assertThat(LOADS).contains("POST /admin/models/" + done.fineTunedModel() + "/load");
  }

  @Test
  void loraJobWritesAPeftAdapter() throws Exception {
    String file = upload("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello there\"}]}\n");
    Job created = create(Map.of("model", "tiny", "training_file", file, "method", method("supervised",
        Map.of("n_epochs", 3, "learning_rate", 1e-2, "lora", Map.of("r", 4, "alpha", 8, "target_modules", List.of("q_proj", "v_proj"))))))
        .expectStatus().isOk().expectBody(Job.class).returnResult().getResponseBody();
    Job done = awaitFinished(created.id());
    assertThat(done.status()).as(String.valueOf(done.error())).isEqualTo("succeeded");
    assertThat(done.fineTunedModel()).startsWith("tiny:tiny-ft-");
    Path out = HOME.resolve("models").resolve(done.fineTunedModel().substring(5));
    assertThat(Files.readString(out.resolve("adapter_config.json"))).contains("\"LORA\"");
    assertThat(out.resolve("adapter_model.safetensors")).exists();
    assertThat(out.resolve("model.safetensors")).doesNotExist();
    assertThat(LOADS).contains("POST /admin/models/" + done.fineTunedModel() + "/load");
  }

  @Test
  void dpoJobLogsRewardsAndMargin() {
    String file = upload("{\"prompt\":\"2+2?\",\"chosen\":\"4\",\"rejected\":\"5\"}\n"
        + "{\"prompt\":[{\"role\":\"user\",\"content\":\"3+3?\"}],\"chosen\":[{\"role\":\"assistant\",\"content\":\"6\"}],\"rejected\":\"7\"}\n");
    Job created = create(Map.of("model", "tiny", "training_file", file, "method", method("dpo",
        Map.of("n_epochs", 6, "batch_size", 2, "learning_rate", 5e-3, "beta", 0.5))))
        .expectStatus().isOk().expectBody(Job.class).returnResult().getResponseBody();
    Job done = awaitFinished(created.id());
    assertThat(done.status()).as(String.valueOf(done.error())).isEqualTo("succeeded");
    List<Event> metrics = metrics(created.id());
    assertThat(metrics.getFirst().data()).containsKeys("chosen_reward", "rejected_reward", "reward_margin");
    assertThat(((Number) metrics.getLast().data().get("reward_margin")).doubleValue())
        .isGreaterThan(((Number) metrics.getFirst().data().get("reward_margin")).doubleValue());
  }

  @Test
  void cancelStopsWithinOneStep() {
    String file = upload("{\"text\":\"the quick brown fox jumps over the lazy dog\"}\n".repeat(8));
    Job created = create(Map.of("model", "tiny", "training_file", file, "method", method("pretrain",
        Map.of("n_epochs", 500, "batch_size", 1)))).expectStatus().isOk().expectBody(Job.class).returnResult().getResponseBody();
    await().atMost(Duration.ofSeconds(60)).until(() -> job(created.id()).step() >= 2);
    client.post().uri("/v1/fine_tuning/jobs/" + created.id() + "/cancel").exchange().expectStatus().isOk();
    int stepAtCancel = job(created.id()).step();
    Job done = awaitFinished(created.id());
    assertThat(done.status()).isEqualTo("cancelled");
    assertThat(done.step()).isBetween(stepAtCancel, stepAtCancel + 1);
    client.post().uri("/v1/fine_tuning/jobs/" + created.id() + "/cancel").exchange().expectStatus().isEqualTo(409);
    client.get().uri("/v1/fine_tuning/jobs?limit=1").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.data.length()").isEqualTo(1).jsonPath("$.has_more").isEqualTo(true);
    var first = client.get().uri("/v1/fine_tuning/jobs/" + created.id() + "/events?limit=2").exchange()
        .expectStatus().isOk().expectBody(new ParameterizedTypeReference<JobWire.Page<Map<String, Object>>>() {})
        .returnResult().getResponseBody();
    assertThat(first.hasMore()).isTrue();
    assertThat(first.data().getFirst().get("data")).isEqualTo(Map.of("status", "cancelled"));
    String last = (String) first.data().getLast().get("id");
    client.get().uri("/v1/fine_tuning/jobs/" + created.id() + "/events?limit=2&after=" + last).exchange()
        .expectStatus().isOk().expectBody().jsonPath("$.data.length()").isEqualTo(2)
        .jsonPath("$.data[0].id").value(id -> assertThat(JobService.seqOf((String) id))
            .isEqualTo(JobService.seqOf(last) - 1));
    client.get().uri("/v1/fine_tuning/jobs/" + created.id() + "/events?limit=0").exchange().expectStatus().isBadRequest();
  }

  /** A job's model weights by name, from the store. */
  static Map<String, float[]> weights(String model) {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (NDManager m = NDManager.newBaseManager();
        SafetensorsFile f = SafetensorsFile.open(HOME.resolve("models").resolve(model).resolve("model.safetensors"))) {
      for (String name : f.entries().keySet()) {
        out.put(name, f.load(name, m, DataType.FLOAT32).toFloatArray());
      }
    }
    return out;
  }

  /** Of the weights that moved from {@code before} to {@code after}, the fraction that moved by lr (±1%). */
  static double fractionMovedByLr(Map<String, float[]> before, Map<String, float[]> after, double lr) {
    long moved = 0;
    long byLr = 0;
    for (var e : before.entrySet()) {
      float[] b = e.getValue();
      float[] a = after.get(e.getKey());
      for (int i = 0; i < b.length; i++) {
        double d = Math.abs(a[i] - b[i]);
        if (d > lr * 1e-3) {
          moved++;
          byLr += Math.abs(d - lr) <= lr * 0.01 ? 1 : 0;
        }
      }
    }
    assertThat(moved).isPositive();
    return (double) byLr / moved;
  }

  @Test
  void optimizerStateFromStartsTheJobWithTheFirstJobsMoments() {
    String file = upload(alpaca());
    Job first = awaitFinished(create(Map.of("model", "tiny", "training_file", file, "seed", 3, "method",
        method("supervised", Map.of("n_epochs", 3, "batch_size", 2, "learning_rate", 1e-2))))
        .expectStatus().isOk().expectBody(Job.class).returnResult().getResponseBody().id());
    assertThat(first.status()).isEqualTo("succeeded");
    String base = first.fineTunedModel();
    // One step at lr 1e-3 (cosine without warmup: the peak at step 0) without decay or clipping: a fresh
    // Adam moves every weight with a gradient by exactly lr (m/sqrt(v) = ±1 at step 1); continued
    // moments move them by other amounts, and the job's own schedule starts at its step 0 again.
    Map<String, Object> oneStep = Map.of("n_epochs", 1, "batch_size", 4, "learning_rate", 1e-3, "warmup_steps", 0,
        "lr_scheduler", "cosine", "weight_decay", 0, "max_grad_norm", 0);
    Map<String, Object> continued = new LinkedHashMap<>(oneStep);
    continued.put("optimizer_state_from", first.id());
    Job fresh = awaitFinished(create(Map.of("model", base, "training_file", file, "seed", 3,
        "method", method("supervised", oneStep))).expectStatus().isOk().expectBody(Job.class).returnResult().getResponseBody().id());
    Job cont = awaitFinished(create(Map.of("model", base, "training_file", file, "seed", 3,
        "method", method("supervised", continued))).expectStatus().isOk().expectBody(Job.class).returnResult().getResponseBody().id());
    assertThat(fresh.status()).isEqualTo("succeeded");
    assertThat(cont.status()).as(String.valueOf(cont.error())).isEqualTo("succeeded");
    assertThat(((Number) metrics(cont.id()).getFirst().data().get("learning_rate")).doubleValue()).isEqualTo(1e-3);
    Map<String, float[]> before = weights(base);
    assertThat(fractionMovedByLr(before, weights(fresh.fineTunedModel()), 1e-3)).isGreaterThan(0.95);
    assertThat(fractionMovedByLr(before, weights(cont.fineTunedModel()), 1e-3)).isLessThan(0.5);
    client.get().uri("/v1/fine_tuning/jobs/" + cont.id() + "/events?limit=100").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.data[*].message").value(messages -> assertThat((List<String>) messages)
            .contains("Optimizer state (moments, step count 6) from job " + first.id()));

    Map<String, Object> wrongBase = new LinkedHashMap<>(oneStep);
    wrongBase.put("optimizer_state_from", first.id());
    create(Map.of("model", "tiny", "training_file", file, "method", method("supervised", wrongBase)))
        .expectStatus().isBadRequest().expectBody().jsonPath("$.error.param").isEqualTo("hyperparameters.optimizer_state_from");
    create(Map.of("model", base, "training_file", file, "method", method("supervised",
        Map.of("optimizer_state_from", "ftjob-nope")))).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.error.param").isEqualTo("hyperparameters.optimizer_state_from");
    create(Map.of("model", base, "training_file", file, "method", method("supervised",
        Map.of("optimizer_state_from", first.id(), "lora", Map.of("r", 2))))).expectStatus().isBadRequest()
        .expectBody().jsonPath("$.detail").isEqualTo("optimizer_state_from applies to full fine-tunes only, not LoRA");
  }
}
