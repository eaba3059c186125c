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
    registry.models().forEach(m -> data.add(of(m)));
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

  @PostMapping("/admin/models/{name}/load")
  Mono<ModelResponse> load(@PathVariable String name) {
    return Mono.fromFuture(() -> registry.loadAsync(name)).map(ModelsController::of)
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

  private static ModelResponse of(ServedModel m) {
    return new ModelResponse(m.id(), "model", m.created(), m.ownedBy(), m.contextLength(),
        List.of());
  }
}
