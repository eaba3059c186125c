package dev.latent.gateway.ledger;

import dev.latent.gateway.pricing.Charge;
import dev.latent.gateway.pricing.TokenCounts;
import java.time.Instant;

/**
 * One billed request.
 *
 * @param status {@code final} (the backend's own count) or {@code estimated} (counted by the
 *     gateway from what it delivered, because the backend could not say)
 */
public record UsageRecord(
    String requestId,
    String keyId,
    String tenant,
    String model,
    TokenCounts tokens,
    Charge charge,
    String status,
    Instant createdAt) {

  public static final String FINAL = "final";
  public static final String ESTIMATED = "estimated";
}
