package dev.latent.gateway.keys;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.gateway.keys.*}.
 *
 * @param adminKey the admin API's bearer secret ({@code LATENT_ADMIN_KEY}); unset → admin API refuses everyone
 * @param enabled false turns the routes into plain routing: no keys, limits or metering
 * @param cacheTtl how long a looked-up key is trusted before the ledger is asked again (revocation
 *     reaches other replicas within this time; on the replica that revoked it, at once)
 */
@ConfigurationProperties("latent.gateway.keys")
public record KeysProperties(@Nullable String adminKey, @Nullable Boolean enabled, @Nullable Duration cacheTtl) {

  public KeysProperties {
    adminKey = adminKey == null || adminKey.isBlank() ? null : adminKey;
    enabled = enabled == null || enabled;
    cacheTtl = cacheTtl != null ? cacheTtl : Duration.ofSeconds(5);
  }
}
