package dev.latent.gateway.keys;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.web.server.ServerWebExchange;

/**
 * A virtual key as stored (the secret itself is never kept, only its hash).
 *
 * @param models models the key may use; empty means all
 * @param rpm requests per minute, null for no limit
 * @param tpm tokens per minute, null for no limit
 */
public record ApiKey(
    String id,
    String name,
    String tenant,
    String prefix,
    List<String> models,
    @Nullable Long rpm,
    @Nullable Long tpm,
    @Nullable Budget budget,
    @Nullable Instant expiresAt,
    @Nullable Instant revokedAt,
    Instant createdAt) {

  static final String ATTR = ApiKey.class.getName();

  public ApiKey {
    models = List.copyOf(models);
  }

  /** The key that authenticated this exchange, or null when keys are switched off. */
  public static @Nullable ApiKey of(ServerWebExchange exchange) {
    return exchange.getAttribute(ATTR);
  }

  public boolean allows(String model) {
    return models.isEmpty() || models.contains(model);
  }

  public boolean activeAt(Instant now) {
    return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
  }
}
