package dev.latent.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.latent.inference.InferenceProperties;
import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.kernel.KernelWeights;
import dev.latent.ml.train.LoraAdapter;
import dev.latent.ml.train.LoraConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * LoRA adapters in PEFT layout, as the training-service writes them, served per request as
 * {@code base:adapter} on the seeded tiny model: the same answers as the merged model, their own
 * answers when batched with the base and each other, no prefix-cache sharing across adapters.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class AdaptersTest {

  static final String BASE = "latent-seeded-tiny";
  private static final ParameterizedTypeReference<Map<String, Object>> JSON =
      new ParameterizedTypeReference<>() {};

  @Autowired
  WebTestClient client;

  @Autowired
  io.micrometer.core.instrument.MeterRegistry meters;

  @Autowired
  InferenceProperties inference;

  @Autowired
  ModelRegistry registry;

  private final List<String> written = new java.util.ArrayList<>();

  @AfterEach
  void cleanUp() throws IOException {
    for (String name : written) {
      registry.unload(name);
      registry.unload(BASE + ":" + name);
      Path dir = inference.modelStore().resolve(name);
      if (Files.exists(dir)) {
        try (Stream<Path> files = Files.walk(dir)) {
          for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
    }
  }

  /** The seeded model with a seeded adapter (non-zero B) attached, as training leaves it. */
  private LoraAdapter attach(Transformer model, LoraConfig config, long seed) {
    LoraAdapter adapter = LoraAdapter.attach(model, config, seed);
    NDArray any = model.parameters().values().iterator().next();
    try (NDManager m = any.getManager().newSubManager()) {
      int i = 0;
      for (var e : adapter.parameters().entrySet()) {
        if (e.getKey().endsWith("lora_B.weight")) {
          m.getEngine().setRandomSeed((int) seed + i++);
          e.getValue().set(new NDIndex(":"), m.randomNormal(0, 0.5f, e.getValue().getShape(),
              e.getValue().getDataType()));
        }
      }
    }
    model.parameters().values().forEach(p -> p.setRequiresGradient(false));
    return adapter;
  }

  private Path store() {
    return inference.modelStore();
  }

  private void writeAdapter(String name, LoraConfig config, long seed, String trainedOn) {
    written.add(name);
    try (Transformer model = Transformer.load(store().resolve(BASE), ModelOptions.cpu());
        LoraAdapter adapter = attach(model, config, seed)) {
      adapter.save(store().resolve(name), trainedOn);
    }
  }

  private void writeMerged(String name, LoraConfig config, long seed) throws IOException {
    written.add(name);
    try (Transformer model = Transformer.load(store().resolve(BASE), ModelOptions.cpu())) {
      attach(model, config, seed).mergeAndClose();
      model.save(store().resolve(name));
    }
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(store().resolve(BASE).resolve(f), store().resolve(name).resolve(f));
    }
  }

  private Mono<Map<String, Object>> complete(String model, String prompt, int tokens) {
    return client.post().uri("/v1/completions")
        .bodyValue(Map.of("model", model, "prompt", prompt, "max_tokens", tokens, "temperature", 0))
        .exchange().expectStatus().isOk().returnResult(JSON).getResponseBody().single();
  }

  @SuppressWarnings("unchecked")
  private String text(String model, String prompt, int tokens) {
    var body = complete(model, prompt, tokens).block(Duration.ofSeconds(60));
    assertThat(body.get("model")).isEqualTo(model);
    return (String) ((List<Map<String, Object>>) body.get("choices")).getFirst().get("text");
  }

  @Test
  void anAdapterServedPerRequestAnswersAsTheMergedModelAndDiffersFromTheBase() throws IOException {
    var lora = new LoraConfig(4, 8, 0, LoraConfig.SUPPORTED_TARGETS);
    writeAdapter("ad-merge", lora, 3, BASE);
    writeMerged("ad-merged-model", lora, 3);
    client.post().uri("/admin/models/" + BASE + ":ad-merge/load").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.id").isEqualTo(BASE + ":ad-merge")
        .jsonPath("$.parent").isEqualTo(BASE);
    client.post().uri("/admin/models/ad-merged-model/load").exchange().expectStatus().isOk();

    String prompt = "Once upon a time";
    String adapted = text(BASE + ":ad-merge", prompt, 16);
    assertThat(adapted).isEqualTo(text("ad-merged-model", prompt, 16));
    assertThat(adapted).isNotEqualTo(text(BASE, prompt, 16));
    // Served models multiply on panel copies of their f32 weights (f32-panels, the default); the
    // adapter's rows take the engine's DJL path on the row-major weights, which nothing wrote to.
    assertThat(registry.require(BASE).scheduler().model().options().f32Panels()).isTrue();
    assertThat(KernelWeights.panelBytes()).as("panel copies made").isPositive();

    client.get().uri("/v1/models").exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.data[?(@.id=='" + BASE + "')].adapters[0]").isEqualTo(BASE + ":ad-merge")
        .jsonPath("$.data[?(@.id=='" + BASE + ":ad-merge')].parent").isEqualTo(BASE);
    client.get().uri("/v1/models/" + BASE).exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.adapters[0]").isEqualTo(BASE + ":ad-merge");
    client.get().uri("/v1/models/" + BASE + ":ad-merge").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.parent").isEqualTo(BASE).jsonPath("$.context_length").isEqualTo(4096);

    // unloaded: 404 for the adapter, the base still answers
    client.post().uri("/admin/models/" + BASE + ":ad-merge/unload").exchange().expectStatus().isOk();
    client.post().uri("/v1/completions").bodyValue(Map.of("model", BASE + ":ad-merge", "prompt", "x"))
        .exchange().expectStatus().isNotFound().expectBody()
        .jsonPath("$.error.code").isEqualTo("model_not_found");
    client.post().uri("/admin/models/" + BASE + ":ad-merge/unload").exchange().expectStatus().isNotFound();
    client.get().uri("/v1/models/" + BASE).exchange().expectBody().jsonPath("$.adapters").isEmpty();
    assertThat(text(BASE, prompt, 4)).isNotNull();
  }

  @Test
  void twoAdaptersAndTheBaseInOneBatchEachGiveTheirOwnGreedyOutput() {
    writeAdapter("ad-one", new LoraConfig(4, 8, 0, LoraConfig.SUPPORTED_TARGETS), 5, BASE);
    writeAdapter("ad-two", new LoraConfig(2, 4, 0, List.of("q_proj", "v_proj", "o_proj")), 6, BASE);
    client.post().uri("/admin/models/" + BASE + ":ad-one/load").exchange().expectStatus().isOk();
    client.post().uri("/admin/models/" + BASE + ":ad-two/load").exchange().expectStatus().isOk();
    List<String> models = List.of(BASE + ":ad-one", BASE, BASE + ":ad-two", BASE + ":ad-one",
        BASE + ":ad-two", BASE);
    List<String> prompts = List.of("The same prompt", "The same prompt", "The same prompt",
        "Another prompt here", "Another prompt here", "Another prompt here");
    List<String> alone = new java.util.ArrayList<>();
    for (int i = 0; i < models.size(); i++) {
      alone.add(text(models.get(i), prompts.get(i), 12));
    }
    List<String> together = Flux.range(0, models.size())
        .flatMapSequential(i -> complete(models.get(i), prompts.get(i), 12), models.size())
        .map(AdaptersTest::firstText).collectList().block(Duration.ofSeconds(60));
    assertThat(together).containsExactlyElementsOf(alone);
    assertThat(alone.subList(0, 3)).doesNotHaveDuplicates(); // one prompt, three models
  }

  @SuppressWarnings("unchecked")
  private static String firstText(Map<String, Object> body) {
    return (String) ((List<Map<String, Object>>) body.get("choices")).getFirst().get("text");
  }

  @Test
  void anAdaptersUsageRecordAndRequestMetricsNameTheRequestedModel() {
    writeAdapter("ad-usage", new LoraConfig(2, 4, 0, List.of("q_proj", "v_proj")), 8, BASE);
    client.post().uri("/admin/models/" + BASE + ":ad-usage/load").exchange().expectStatus().isOk();
    client.post().uri("/v1/completions").header("X-Request-Id", "adapter-usage-1")
        .bodyValue(Map.of("model", BASE + ":ad-usage", "prompt", "Hello", "max_tokens", 3, "temperature", 0))
        .exchange().expectStatus().isOk();
    // What the gateway bills from: the adapter's own name (it may be priced apart from its base).
    client.get().uri("/internal/usage/adapter-usage-1").exchange().expectStatus().isOk().expectBody()
        .jsonPath("$.model").isEqualTo(BASE + ":ad-usage");
    // Counted as the sequence retires, just after the answer went out.
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> meters
        .find("latent.inference.requests.finished").tag("model", BASE + ":ad-usage").counter() != null);
  }

  @Test
  void thePrefixCacheIsNotSharedAcrossAdapters() {
    writeAdapter("ad-cache", new LoraConfig(2, 4, 0, List.of("k_proj", "v_proj")), 7, BASE);
    client.post().uri("/admin/models/" + BASE + ":ad-cache/load").exchange().expectStatus().isOk();
    String system = "A long shared system prompt for the cache test. ".repeat(4);
    assertThat(cached(BASE, system)).isZero();
    assertThat(cached(BASE, system)).isPositive();
    // the base's K/V for this prefix exist, but the adapter's keys and values differ
    assertThat(cached(BASE + ":ad-cache", system)).isZero();
    assertThat(cached(BASE + ":ad-cache", system)).isPositive();
  }

  @SuppressWarnings("unchecked")
  private int cached(String model, String system) {
    var body = client.post().uri("/v1/chat/completions")
        .bodyValue(Map.of("model", model, "max_tokens", 2, "messages", List.of(
            Map.of("role", "system", "content", system), Map.of("role", "user", "content", "hi"))))
        .exchange().expectStatus().isOk().returnResult(JSON).getResponseBody().blockFirst(Duration.ofSeconds(60));
    return ((Number) ((Map<String, Object>) body.get("usage")).get("prompt_cache_hit_tokens")).intValue();
  }

  @Test
  void adaptersInTheStoreAreLoadedOntoTheirServedBaseAsAtStart() {
    writeAdapter("ad-stored", new LoraConfig(2, 4, 0, List.of("q_proj")), 10, BASE);
    writeAdapter("ad-stored-other", new LoraConfig(2, 4, 0, List.of("q_proj")), 11, "not-served-here");
    assertThat(registry.loadStoredAdapters()).contains(BASE + ":ad-stored")
        .noneMatch(id -> id.contains("ad-stored-other"));
    client.get().uri("/v1/models/" + BASE + ":ad-stored").exchange().expectStatus().isOk();
    assertThat(registry.loadStoredAdapters()).doesNotContain(BASE + ":ad-stored"); // already served
  }

  @Test
  void unknownAndMisfittingAdaptersAreRefused() {
    client.post().uri("/admin/models/" + BASE + ":no-such-adapter/load").exchange()
        .expectStatus().isNotFound().expectBody()
        .jsonPath("$.detail").value(d -> assertThat((String) d).contains("no-such-adapter"));
    client.post().uri("/v1/chat/completions").bodyValue(Map.of("model", BASE + ":no-such-adapter",
            "messages", List.of(Map.of("role", "user", "content", "x"))))
        .exchange().expectStatus().isNotFound();
    // trained on another base
    writeAdapter("ad-other-base", new LoraConfig(2, 4, 0, List.of("q_proj")), 8, "some-other-model");
    client.post().uri("/admin/models/" + BASE + ":ad-other-base/load").exchange()
        .expectStatus().isBadRequest().expectBody()
        .jsonPath("$.type").value(t -> assertThat((String) t).endsWith("/invalid-adapter"))
        .jsonPath("$.detail").value(d -> assertThat((String) d).contains("some-other-model"));
    // shapes of another model, though it claims this base
    written.add("ad-wrong-shape");
    try (Transformer other = Transformer.random(TransformerConfig.llama(32, 2, 4, 4, 48, 512), 1,
            ModelOptions.cpu());
        LoraAdapter adapter = attach(other, new LoraConfig(2, 4, 0, List.of("q_proj")), 9)) {
      adapter.save(store().resolve("ad-wrong-shape"), BASE);
    }
    client.post().uri("/admin/models/" + BASE + ":ad-wrong-shape/load").exchange()
        .expectStatus().isBadRequest().expectBody()
        .jsonPath("$.type").value(t -> assertThat((String) t).endsWith("/invalid-adapter"))
        .jsonPath("$.detail").value(d -> assertThat((String) d).contains("lora_A"));
    client.post().uri("/admin/models/" + BASE + ":bad name/load").exchange().expectStatus().isBadRequest();
    client.post().uri("/admin/models/no-such-base:ad-other-base/load").exchange().expectStatus().isNotFound();
  }
}
