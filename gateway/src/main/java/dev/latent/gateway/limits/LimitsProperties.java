package dev.latent.gateway.limits;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.gateway.limits.*}.
 *
 * @param store {@code memory} (one gateway) or {@code redis} (replicas share the counters;
 *     connection from {@code spring.data.redis.*})
 * @param window the limit window; RPM and TPM are counted per fixed window of this length
 */
@ConfigurationProperties("latent.gateway.limits")
public record LimitsProperties(@Nullable String store, @Nullable Duration window) {

  public LimitsProperties {
    store = store == null ? "memory" : store;
    if (!store.equals("memory") && !store.equals("redis")) {
      throw new IllegalArgumentException("latent.gateway.limits.store must be memory or redis");
    }
    window = window == null ? Duration.ofMinutes(1) : window;
  }
}
