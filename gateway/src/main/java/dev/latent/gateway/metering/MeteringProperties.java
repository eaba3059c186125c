package dev.latent.gateway.metering;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.gateway.metering.*}.
 *
 * @param defaultMaxTokens output tokens reserved for when a request names no {@code max_tokens}
 * @param usageLookupAttempts how often the backend's {@code /internal/usage/{id}} is asked while it still says {@code running}
 * @param usageLookupInterval pause between those asks
 * @param reconcileAfter reservations older than this are finalized by the periodic reconciler
 *     (on start, every open one is); keep it below the backends' usage retention (15 min)
 * @param reconcileInterval how often the periodic reconciler runs
 */
@ConfigurationProperties("latent.gateway.metering")
public record MeteringProperties(
    @Nullable Long defaultMaxTokens,
    @Nullable Integer usageLookupAttempts,
    @Nullable Duration usageLookupInterval,
    @Nullable Duration reconcileAfter,
    @Nullable Duration reconcileInterval) {

  public MeteringProperties {
    defaultMaxTokens = defaultMaxTokens == null ? 4096L : defaultMaxTokens;
    usageLookupAttempts = usageLookupAttempts == null ? 20 : usageLookupAttempts;
    usageLookupInterval = usageLookupInterval == null ? Duration.ofMillis(100) : usageLookupInterval;
    reconcileAfter = reconcileAfter == null ? Duration.ofMinutes(5) : reconcileAfter;
    reconcileInterval = reconcileInterval == null ? Duration.ofMinutes(1) : reconcileInterval;
  }
}
