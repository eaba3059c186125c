package dev.latent.vision;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.vision.*}: the vision service's settings.
 *
 * @param modelStore the model store shared with the other services; vision models live under
 *     {@code <model-store>/vision/<name>/} ({@code ./platform models pull} puts them there)
 */
@ConfigurationProperties("latent.vision")
public record VisionProperties(Path modelStore) {}
