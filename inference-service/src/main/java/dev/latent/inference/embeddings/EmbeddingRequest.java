package dev.latent.inference.embeddings;

import dev.latent.inference.openai.Params;
import dev.latent.support.problem.ProblemException;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * OpenAI's embeddings request.
 *
 * @param input a string or an array of strings
 * @param encodingFormat {@code float} (default) or {@code base64} (little-endian float32)
 * @param dimensions only the model's own size is accepted
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
record EmbeddingRequest(
    String model, Object input, @Nullable String encodingFormat, @Nullable Integer dimensions,
    @Nullable String user) {

  EmbeddingRequest {
    Params.required("model", model);
    Params.required("input", input);
    if (encodingFormat != null && !encodingFormat.equals("float")
        && !encodingFormat.equals("base64")) {
      throw ProblemException.invalidParameter(
          "encoding_format", "encoding_format must be float or base64, got " + encodingFormat);
    }
    inputs(input); // validates
  }

  List<String> inputs() {
    return inputs(input);
  }

  boolean base64() {
    return "base64".equals(encodingFormat);
  }

  private static List<String> inputs(Object input) {
    List<?> items = input instanceof List<?> list ? list : List.of(input);
    if (items.isEmpty()) {
      throw ProblemException.invalidParameter("input", "input must not be an empty array");
    }
    for (Object item : items) {
      if (!(item instanceof String s)) {
        throw ProblemException.invalidParameter(
            "input", "input must be a string or an array of strings (token arrays are not accepted)");
      }
      if (s.isEmpty()) {
        throw ProblemException.invalidParameter("input", "input strings must not be empty");
      }
    }
    @SuppressWarnings("unchecked")
    List<String> strings = (List<String>) items;
    return List.copyOf(strings);
  }
}
