package dev.latent.gateway.pricing;

/**
 * Tokens of one request as billed.
 *
 * @param promptCacheHit prompt tokens served from the prefix cache
 * @param promptCacheMiss prompt tokens computed
 * @param completion generated tokens, reasoning included
 * @param reasoning the reasoning part of {@code completion} (reported, not billed twice)
 */
public record TokenCounts(long promptCacheHit, long promptCacheMiss, long completion, long reasoning) {

  public static final TokenCounts ZERO = new TokenCounts(0, 0, 0, 0);

  public TokenCounts {
    if (promptCacheHit < 0 || promptCacheMiss < 0 || completion < 0 || reasoning < 0) {
      throw new IllegalArgumentException("token counts are never negative");
    }
  }

  public long prompt() {
    return promptCacheHit + promptCacheMiss;
  }

  public long total() {
    return prompt() + completion;
  }
}
