package dev.latent.gateway.metering;

import dev.latent.gateway.pricing.TokenCounts;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/** Reads OpenAI's {@code usage} object (with DeepSeek's cache fields when present) into token counts. */
final class Usage {

  private Usage() {}

  static @Nullable TokenCounts parse(@Nullable JsonNode usage) {
    if (usage == null || !usage.isObject()) {
      return null;
    }
    long prompt = usage.path("prompt_tokens").asLong(0);
    long completion = usage.path("completion_tokens").asLong(0);
    JsonNode hitNode = usage.get("prompt_cache_hit_tokens");
    long hit = hitNode != null && hitNode.isNumber() ? hitNode.asLong()
        : usage.path("prompt_tokens_details").path("cached_tokens").asLong(0);
    JsonNode missNode = usage.get("prompt_cache_miss_tokens");
    long miss = missNode != null && missNode.isNumber() ? missNode.asLong() : Math.max(0, prompt - hit);
    long reasoning = usage.path("completion_tokens_details").path("reasoning_tokens").asLong(0);
    return new TokenCounts(Math.max(0, hit), Math.max(0, miss), Math.max(0, completion),
        Math.max(0, Math.min(reasoning, completion)));
  }
}
