package dev.latent.inference.models;

import dev.latent.inference.runtime.EmbeddingModel;
import dev.latent.inference.runtime.ModelRegistry;
import dev.latent.inference.runtime.ServedModel;
import dev.latent.support.problem.ProblemException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** The model list, one model, and {@code /admin/models/{name}/load|unload}. */
@RestController
class ModelsController {

  private final ModelRegistry registry;
  private final ObjectProvider<EmbeddingModel> embeddings;

  ModelsController(ModelRegistry registry, ObjectProvider<EmbeddingModel> embeddings) {
    this.registry = registry;
    this.embeddings = embeddings;
  }

  @GetMapping("/v1/models")
  ModelResponse.ModelList list() {
    List<Object> data = new ArrayList<>();
    for (ServedModel m : registry.models()) {
      data.add(of(m));
      registry.adapters(m.id()).forEach(a -> registry.find(a.id()).ifPresent(am -> data.add(of(am))));
    }
    EmbeddingModel embedder = embeddings.getIfAvailable();
    if (embedder != null) {
      data.add(new ModelResponse(embedder.id(), "model", 0, "sentence-transformers", 256, List.of()));
    }
    return new ModelResponse.ModelList("list", data);
  }

  @GetMapping("/v1/models/{id}")
  ModelResponse get(@PathVariable String id) {
    EmbeddingModel embedder = embeddings.getIfAvailable();
    if (embedder != null && embedder.id().equals(id)) {
      return new ModelResponse(embedder.id(), "model", 0, "sentence-transformers", 256, List.of());
    }
    return of(registry.require(id));
  }

  /** Loads a model, or a PEFT adapter onto its base with {@code base:adapter}. */

  @PostMapping("/admin/models/{name}/load")
  Mono<ModelResponse> load(@PathVariable String name) {
    return Mono.fromFuture(() -> registry.loadAsync(name)).map(this::of)
        .onErrorMap(java.util.concurrent.CompletionException.class, Throwable::getCause);
  }

  @PostMapping("/admin/models/{name}/unload")
  Mono<Map<String, Object>> unload(@PathVariable String name) {
    return Mono.fromFuture(() -> registry.unloadAsync(name)).map(unloaded -> {
      if (!unloaded) {
        throw ProblemException.notFound("model_not_found", "the model " + name + " is not loaded");
      }
      return Map.<String, Object>of("id", name, "unloaded", true);
    });
  }

  private ModelResponse of(ServedModel m) {
    if (m.adapter() != null) {
      return new ModelResponse(m.id(), "model", m.created(), m.ownedBy(), m.contextLength(),
          List.of(), m.adapter().base());
    }
    return new ModelResponse(m.id(), "model", m.created(), m.ownedBy(), m.contextLength(),
        registry.adapters(m.id()).stream().map(a -> a.id()).toList());
  }
}
