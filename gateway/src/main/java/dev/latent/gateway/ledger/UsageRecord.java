package dev.latent.gateway.ledger;

import dev.latent.gateway.pricing.Charge;
import dev.latent.gateway.pricing.TokenCounts;
import java.math.BigDecimal;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One billed request.
 *
 * @param status {@code final} (the backend's own count) or {@code estimated} (counted by the
 *     gateway from what it delivered, because the backend could not say)
 * @param unit what a request not billed by tokens is billed by ({@code image} for vision,
 *     {@code trained_token} for fine-tuning jobs); null for token-billed requests
 * @param units how many of {@link #unit} were billed
 * @param unitPrice the price per unit it was billed at (vision: per image; training: per 1M tokens)
 */
public record UsageRecord(
    String requestId,
    String keyId,
    String tenant,
    String model,
    TokenCounts tokens,
    Charge charge,
    String status,
    Instant createdAt,
    @Nullable String unit,
    long units,
    BigDecimal unitPrice) {

  public static final String FINAL = "final";
  public static final String ESTIMATED = "estimated";

  /** A token-billed request. */
  public UsageRecord(String requestId, String keyId, String tenant, String model, TokenCounts tokens, Charge charge,
      String status, Instant createdAt) {
    this(requestId, keyId, tenant, model, tokens, charge, status, createdAt, null, 0, BigDecimal.ZERO);
  }
}
