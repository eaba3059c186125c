package dev.latent.inference.usage;

import dev.latent.inference.openai.Usage;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.annotation.JsonNaming;

/**
 * The contract the gateway bills from: {@code status} is {@code running} until the sequence ends,
 * then {@code final} with the tokens actually generated.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UsageRecord(
    String requestId, String model, String status, @Nullable String finishReason, Usage usage) {

  public static final String RUNNING = "running";
  public static final String FINAL = "final";
}
