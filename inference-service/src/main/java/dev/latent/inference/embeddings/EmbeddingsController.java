package dev.latent.inference.embeddings;

import dev.latent.inference.runtime.EmbeddingModel;
import dev.latent.support.problem.ProblemException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** {@code POST /v1/embeddings}. */
@RestController
class EmbeddingsController {

  private final ObjectProvider<EmbeddingModel> model;

  EmbeddingsController(ObjectProvider<EmbeddingModel> model) {
    this.model = model;
  }

  @PostMapping("/v1/embeddings")
  Mono<EmbeddingResponse> embed(@RequestBody EmbeddingRequest request) {
    EmbeddingModel embedder = model.getIfAvailable();
    if (embedder == null || !embedder.id().equalsIgnoreCase(request.model())
        && !("sentence-transformers/" + embedder.id()).equalsIgnoreCase(request.model())) {
      throw ProblemException.notFound("model_not_found",
          "the embedding model '" + request.model() + "' does not exist");
    }
    if (request.dimensions() != null && request.dimensions() != EmbeddingModel.DIMENSIONS) {
      throw ProblemException.invalidParameter("dimensions",
          embedder.id() + " has " + EmbeddingModel.DIMENSIONS + " dimensions");
    }
    List<String> inputs = request.inputs();
    if (inputs.size() > embedder.maxInputs()) {
      throw ProblemException.invalidParameter(
          "input", "at most " + embedder.maxInputs() + " inputs per request");
    }
    return Mono.fromFuture(() -> embedder.embed(inputs)).map(result -> {
      var data = new ArrayList<EmbeddingResponse.Item>(inputs.size());
      for (int i = 0; i < result.vectors().size(); i++) {
        float[] v = result.vectors().get(i);
        data.add(new EmbeddingResponse.Item(
            "embedding", i, request.base64() ? base64(v) : v));
      }
      return new EmbeddingResponse("list", data, embedder.id(),
          new EmbeddingResponse.Usage(result.promptTokens(), result.promptTokens()));
    });
  }

  // OpenAI's base64 format: the float32 values, little-endian.
  private static String base64(float[] vector) {
    ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(vector);
    return Base64.getEncoder().encodeToString(bytes.array());
  }
}
