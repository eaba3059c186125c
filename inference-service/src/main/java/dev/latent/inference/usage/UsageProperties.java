package dev.latent.inference.usage;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code latent.inference.usage.*}.
 *
 * @param retention how long a request's usage stays readable (the gateway contract asks 15 min)
 * @param maxEntries bound on remembered requests; the oldest go first when it is reached
 */
@ConfigurationProperties("latent.inference.usage")
public record UsageProperties(
    @DefaultValue("30m") Duration retention, @DefaultValue("200000") int maxEntries) {}
