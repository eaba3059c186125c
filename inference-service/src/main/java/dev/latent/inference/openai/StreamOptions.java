package dev.latent.inference.openai;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/** {@code stream_options}: {@code include_usage} adds a last chunk with the usage. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record StreamOptions(@Nullable Boolean includeUsage) {

  public boolean usage() {
    return Boolean.TRUE.equals(includeUsage);
  }
}
