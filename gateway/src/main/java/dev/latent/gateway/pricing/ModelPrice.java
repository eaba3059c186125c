package dev.latent.gateway.pricing;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.latent.support.problem.ProblemException;
import java.math.BigDecimal;
import java.util.Locale;

/**
 * Prices of one model, per 1M tokens. Reasoning tokens are output tokens (they are part of
 * {@code completion_tokens}); embeddings bill their input at the cache-miss price.
 */
public record ModelPrice(
    String model,
    @JsonProperty("input_cache_hit") BigDecimal inputCacheHit,
    @JsonProperty("input_cache_miss") BigDecimal inputCacheMiss,
    BigDecimal output,
    String currency) {

  public ModelPrice {
    requireNonNegative("input_cache_hit", inputCacheHit);
    requireNonNegative("input_cache_miss", inputCacheMiss);
    requireNonNegative("output", output);
    if (currency == null || !currency.matches("[A-Za-z]{3}")) {
      throw ProblemException.invalidParameter("currency", "currency must be a 3-letter code");
    }
    currency = currency.toUpperCase(Locale.ROOT);
  }

  public static ModelPrice free(String model, String currency) {
    return new ModelPrice(model, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, currency);
  }

  private static void requireNonNegative(String name, BigDecimal value) {
    if (value == null || value.signum() < 0) {
      throw ProblemException.invalidParameter(name, name + " must be a number >= 0 (price per 1M tokens)");
    }
  }
}
