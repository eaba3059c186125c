package dev.latent.vision.upscale;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.vision.upscale.*}.
 *
 * @param maxInputPixels largest input for the networks (their cost grows with the input area)
 * @param maxOutputPixels largest result of any method
 */
@ConfigurationProperties("latent.vision.upscale")
public record UpscaleProperties(long maxInputPixels, long maxOutputPixels) {

  public UpscaleProperties {
    if (maxInputPixels <= 0) {
      maxInputPixels = 512 * 512;
    }
    if (maxOutputPixels <= 0) {
      maxOutputPixels = 4096 * 4096;
    }
  }
}
