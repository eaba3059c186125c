package dev.latent.training;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.training.*}: the training service's settings.
 *
 * @param modelStore directory of models in Hugging Face layout, shared with the other services
 */
@ConfigurationProperties("latent.training")
public record TrainingProperties(Path modelStore) {}
