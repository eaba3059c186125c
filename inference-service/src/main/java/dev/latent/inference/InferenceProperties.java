package dev.latent.inference;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.inference.*}: the inference service's settings.
 *
 * @param modelStore directory of models in Hugging Face layout, shared with the other services
 */
@ConfigurationProperties("latent.inference")
public record InferenceProperties(Path modelStore) {}
