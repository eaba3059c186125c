package dev.latent.vision.detect;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.vision.detect.*}.
 *
 * @param model the detector's directory under the model store ({@code $LATENT_HOME/models/<model>/},
 *     where a {@code detection} training job writes it); default {@code detr-shapes}
 * @param threshold default score threshold of a detection (the request's {@code threshold} overrides it)
 */
@ConfigurationProperties("latent.vision.detect")
public record DetectProperties(@Nullable String model, @Nullable Double threshold) {

  public DetectProperties {
    model = model == null || model.isBlank() ? "detr-shapes" : model;
    threshold = threshold == null ? 0.5 : threshold;
  }
}
