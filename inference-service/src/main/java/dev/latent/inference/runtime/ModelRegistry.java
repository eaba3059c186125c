package dev.latent.inference.runtime;

import dev.latent.inference.InferenceProperties;
import dev.latent.inference.usage.UsageStore;
import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.text.ChatTemplate;
import dev.latent.ml.text.Tokenizer;
import dev.latent.support.problem.ProblemException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The chat models being served: loaded from the model store ({@code <store>/<name>/} in Hugging
 * Face layout) at start and through the admin API. When the store holds no chat model and
 * seeding is on, the service first writes a small seeded model into the store.
 */
@Component
public class ModelRegistry implements DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);
  static final String SEEDED_PREFIX = "latent-seeded-";

  private final Path store;
  private final RuntimeProperties properties;
  private final UsageStore usage;
  private final RuntimeMetrics metrics;
  private final ConcurrentMap<String, ServedModel> models = new ConcurrentHashMap<>();
  // Loading reads weights and allocates the KV cache: one at a time, never on a Netty thread.
  private final java.util.concurrent.ExecutorService loader =
      java.util.concurrent.Executors.newSingleThreadExecutor(
          Thread.ofPlatform().name("model-loader").daemon().factory());

  public ModelRegistry(InferenceProperties inference, RuntimeProperties properties,
      UsageStore usage, RuntimeMetrics metrics) {
    this.store = inference.modelStore();
    this.properties = properties;
    this.usage = usage;
    this.metrics = metrics;
    List<String> names = properties.load().isEmpty() ? available() : properties.load();
    if (names.isEmpty() && properties.seeded()) {
      String name = SEEDED_PREFIX + properties.seededShape();
      log.info("no chat model in {}: creating the seeded model {}", store, name);
      SeededModel.create(store.resolve(name), properties.seededShape());
      names = List.of(name);
    }
    for (String name : names) {
      load(name);
    }
  }

  /** Chat models in the store: directories with config.json and tokenizer.json. */
  public List<String> available() {
    if (!Files.isDirectory(store)) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(store)) {
      return dirs.filter(d -> Files.isRegularFile(d.resolve("config.json"))
              && Files.isRegularFile(d.resolve("tokenizer.json")))
          .map(d -> d.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + store, e);
    }
  }

  public Collection<ServedModel> models() {
    return models.values().stream().sorted((a, b) -> a.id().compareTo(b.id())).toList();
  }

  public Optional<ServedModel> find(String id) {
    return Optional.ofNullable(models.get(id));
  }

  /** The model or a 404 problem naming it. */
  public ServedModel require(String id) {
    return find(id).orElseThrow(() -> ProblemException.notFound(
        "model_not_found", "The model '" + id + "' does not exist or is not loaded"));
  }

  /** Loads a model from the store (idempotent). */
  public synchronized ServedModel load(String name) {
    ServedModel loaded = models.get(name);
    if (loaded != null) {
      return loaded;
    }
    if (name.contains(":")) {
      // PEFT adapters need LoRA in the engine, which it does not have yet: say so plainly.
      throw new ProblemException(org.springframework.http.HttpStatus.NOT_IMPLEMENTED,
          "not-implemented", "LoRA adapters (base:adapter) are not served yet: " + name,
          "adapters_not_supported", "name");
    }
    if (!name.matches("[A-Za-z0-9._-]+")) {
      throw ProblemException.invalidParameter("name", "invalid model name " + name);
    }
    Path dir = store.resolve(name);
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      throw ProblemException.notFound("model_not_found", "no model " + name + " in the store");
    }
    ModelOptions options = ModelOptions.of(properties.device(), properties.dtype());
    Transformer model = Transformer.load(dir, options);
    Tokenizer tokenizer = null;
    PagedKvCache cache = null;
    try {
      tokenizer = Tokenizer.load(dir);
      long bytesPerToken = PagedKvCache.bytesPerToken(model.config(), options.dtype());
      int blocks = (int) Math.max(1, properties.kvCacheBudget().toBytes()
          / (bytesPerToken * properties.blockSize()));
      cache = model.newKvCache(blocks, properties.blockSize());
      Set<Integer> stops = new TreeSet<>(tokenizer.stopTokenIds());
      stops.addAll(model.config().eosTokenIds());
      ChatTemplate template = tokenizer.chatTemplate()
          .orElseGet(() -> new ChatTemplate(ChatTemplate.CHATML, null, null));
      String owner = Files.isRegularFile(dir.resolve(SeededModel.MARKER)) ? "latent-seeded" : "latent";
      var scheduler = new Scheduler(name, model, cache, properties, usage, metrics);
      var served = new ServedModel(name, owner, Files.getLastModifiedTime(dir).toMillis() / 1000,
          model.config().maxPositions(), tokenizer, template, Set.copyOf(stops),
          model.config().vocabSize(), scheduler);
      models.put(name, served);
      log.info("serving {}: {} KV blocks of {} tokens ({} bytes/token)", name, blocks,
          properties.blockSize(), bytesPerToken);
      return served;
    } catch (IOException | RuntimeException e) {
      if (cache != null) {
        cache.close();
      }
      if (tokenizer != null) {
        tokenizer.close();
      }
      model.close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  /** {@link #load} on the registry's own loader thread. */
  public java.util.concurrent.CompletableFuture<ServedModel> loadAsync(String name) {
    return java.util.concurrent.CompletableFuture.supplyAsync(() -> load(name), loader);
  }

  /** {@link #unload} on the loader thread (closing a model waits for its scheduler). */
  public java.util.concurrent.CompletableFuture<Boolean> unloadAsync(String name) {
    return java.util.concurrent.CompletableFuture.supplyAsync(() -> unload(name), loader);
  }

  /** Stops serving a model: running streams end with an error event, its memory is freed. */
  public synchronized boolean unload(String name) {
    ServedModel served = models.remove(name);
    if (served == null) {
      return false;
    }
    served.scheduler().close();
    served.tokenizer().close();
    return true;
  }

  @Override
  public void destroy() {
    loader.shutdownNow();
    for (String name : List.copyOf(models.keySet())) {
      unload(name);
    }
  }
}
