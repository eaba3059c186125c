package dev.latent.vision;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.vision.*}: the vision service's settings.
 *
 * @param modelStore directory of models in Hugging Face layout, shared with the other services
 */
@ConfigurationProperties("latent.vision")
public record VisionProperties(Path modelStore) {}
