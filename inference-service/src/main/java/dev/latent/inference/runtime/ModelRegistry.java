package dev.latent.inference.runtime;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.latent.inference.InferenceProperties;
import dev.latent.inference.usage.UsageStore;
import dev.latent.ml.llm.LoraWeights;
import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.cache.KvFormat;
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.llm.io.CheckpointException;
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
  private final ConcurrentMap<String, Adapter> adapters = new ConcurrentHashMap<>();
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
    if (properties.load().isEmpty()) {
      loadStoredAdapters();
    }
  }

  /**
   * Loads every PEFT adapter in the store whose {@code base_model_name_or_path} is a served model
   * (what a restart needs to keep serving fine-tuned adapters); one that does not fit is logged
   * and skipped. Returns the ids loaded.
   */
  synchronized List<String> loadStoredAdapters() {
    if (!Files.isDirectory(store)) {
      return List.of();
    }
    List<String> loaded = new java.util.ArrayList<>();
    try (Stream<Path> dirs = Files.list(store)) {
      for (Path dir : dirs.sorted().toList()) {
        Path config = dir.resolve(LoraWeights.CONFIG);
        if (!Files.isRegularFile(config)) {
          continue;
        }
        String base;
        try {
          base = tools.jackson.databind.json.JsonMapper.shared().readTree(Files.readString(config))
              .path("base_model_name_or_path").asString("");
        } catch (IOException | RuntimeException e) {
          log.warn("skipping adapter {}: unreadable {}", dir.getFileName(), LoraWeights.CONFIG);
          continue;
        }
        String id = base + ":" + dir.getFileName();
        if (!models.containsKey(base) || adapters.containsKey(id)) {
          continue;
        }
        try {
          loadAdapter(id);
          loaded.add(id);
        } catch (RuntimeException e) {
          log.warn("skipping adapter {}: {}", id, e.getMessage());
        }
      }
    } catch (IOException e) {
      log.warn("cannot list adapters in {}: {}", store, e.getMessage());
    }
    return loaded;
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

  /** A base model by name, or an adapter on it by {@code base:adapter}. */
  public Optional<ServedModel> find(String id) {
    int colon = id.indexOf(':');
    if (colon < 0) {
      return Optional.ofNullable(models.get(id));
    }
    ServedModel base = models.get(id.substring(0, colon));
    Adapter adapter = adapters.get(id);
    return base == null || adapter == null ? Optional.empty() : Optional.of(base.with(adapter));
  }

  /** The adapters loaded on {@code base}, by id. */
  public List<Adapter> adapters(String base) {
    return adapters.values().stream().filter(a -> a.base().equals(base))
        .sorted((a, b) -> a.id().compareTo(b.id())).toList();
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
      return loadAdapter(name);
    }
    if (!name.matches("[A-Za-z0-9._-]+")) {
      throw ProblemException.invalidParameter("name", "invalid model name " + name);
    }
    Path dir = store.resolve(name);
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      throw ProblemException.notFound("model_not_found", "no model " + name + " in the store");
    }
    // served weights are never written (adapters apply per request), so the panel copy stays valid
    ModelOptions options = ModelOptions.of(properties.device(), properties.dtype())
        .withF32Panels(properties.f32Panels());
    Transformer model = Transformer.load(dir, options);
    Tokenizer tokenizer = null;
    PagedKvCache cache = null;
    try {
      tokenizer = Tokenizer.load(dir);
      // the block count follows from the cache's own dtype: 16-bit K/V fit twice the tokens
      DataType kvDtype = KvFormat.dtype(properties.kvCacheDtype(), model.options().dtype());
      if (kvDtype == DataType.BFLOAT16 && !Device.Type.CPU.equals(model.options().device().getDeviceType())) {
        log.warn("{}: a bf16 KV cache lives in CPU memory; f16 on {}", name, model.options().device());
        kvDtype = DataType.FLOAT16; // same bytes, and GPU attention reads it as a tensor
      }
      long bytesPerToken = PagedKvCache.bytesPerToken(model.config(), kvDtype);
      int blocks = (int) Math.max(1, properties.kvCacheBudget().toBytes()
          / (bytesPerToken * properties.blockSize()));
      cache = model.newKvCache(blocks, properties.blockSize(), kvDtype);
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
      // memory: the weights, the KV budget, and with f32 panels one more copy of the f32 matrices
      long panelBytes = model.panelBytes();
      boolean panels = panelBytes > 0;
      if (properties.prefillMode() == PrefillMode.MIXED && !panels) {
        // without panels (bf16 weights, f32-panels false) the Java pass computes prompt rows at
        // ~60% of MKL's speed: chunks of 64+ rows cost more mixed than through prefill
        log.warn("{}: prefill-mode mixed without f32 panels computes prompts slower than"
            + " prefill-mode first (docs/inference.md)", name);
      }
      log.info("serving {}: weights {} MB{}, {} KV blocks of {} tokens ({} bytes/token, {})", name,
          model.parameterBytes() >> 20, panels ? " + " + (panelBytes >> 20) + " MB f32 panel copy" : "",
          blocks, properties.blockSize(), bytesPerToken, kvDtype);
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

  /**
   * Loads the PEFT adapter {@code <store>/<adapter>/} (adapter_config.json,
   * adapter_model.safetensors) onto {@code base} (loaded first if it is in the store but not
   * served). 404 when either is not in the store, 400 when the adapter does not fit the base.
   */
  private ServedModel loadAdapter(String id) {
    Adapter loaded = adapters.get(id);
    ServedModel base = models.get(id.substring(0, id.indexOf(':')));
    if (loaded != null && base != null) {
      return base.with(loaded);
    }
    String baseName = id.substring(0, id.indexOf(':'));
    String name = id.substring(id.indexOf(':') + 1);
    if (!baseName.matches("[A-Za-z0-9._-]+") || !name.matches("[A-Za-z0-9._-]+")) {
      throw ProblemException.invalidParameter("name", "invalid adapter name " + id
          + " (expected base:adapter, each [A-Za-z0-9._-]+)");
    }
    Path dir = store.resolve(name);
    if (!Files.isRegularFile(dir.resolve(LoraWeights.CONFIG))) {
      throw ProblemException.notFound("model_not_found", "no adapter " + name + " in the store");
    }
    if (base == null) {
      base = load(baseName);
    }
    LoraWeights weights;
    try {
      weights = LoraWeights.load(name, base.scheduler().model(), dir);
    } catch (IllegalArgumentException | CheckpointException e) {
      throw new ProblemException(org.springframework.http.HttpStatus.BAD_REQUEST, "invalid-adapter",
          "the adapter " + name + " does not fit " + baseName + ": " + e.getMessage(),
          "adapter_mismatch", "name");
    }
    String trainedOn = weights.baseModel();
    if (trainedOn != null && !trainedOn.isBlank() && !sameModel(trainedOn, baseName)) {
      weights.close();
      throw new ProblemException(org.springframework.http.HttpStatus.BAD_REQUEST, "invalid-adapter",
          "the adapter " + name + " was trained on " + trainedOn + ", not on " + baseName,
          "adapter_mismatch", "name");
    }
    long created;
    try {
      created = Files.getLastModifiedTime(dir).toMillis() / 1000;
    } catch (IOException e) {
      created = System.currentTimeMillis() / 1000;
    }
    Adapter adapter = new Adapter(baseName, name, created, weights);
    adapters.put(adapter.id(), adapter);
    log.info("serving adapter {} (r {}, alpha {}, {} parameters, targets {})", adapter.id(),
        weights.rank(), weights.alpha(), weights.parameterCount(), weights.targetModules());
    return base.with(adapter);
  }

  /** Whether PEFT's base_model_name_or_path names the store's model (an HF id's last part counts). */
  private static boolean sameModel(String trainedOn, String base) {
    String last = trainedOn.substring(trainedOn.replace('\\', '/').lastIndexOf('/') + 1);
    return trainedOn.equalsIgnoreCase(base) || last.equalsIgnoreCase(base);
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
    if (name.contains(":")) {
      Adapter adapter = adapters.remove(name);
      if (adapter == null) {
        return false;
      }
      adapter.release(); // its weights go once the last sequence using it ends
      return true;
    }
    ServedModel served = models.remove(name);
    if (served == null) {
      return false;
    }
    for (Adapter a : adapters(name)) {
      adapters.remove(a.id());
    }
    served.scheduler().close(); // closes the model, and with it its adapters' weights
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
