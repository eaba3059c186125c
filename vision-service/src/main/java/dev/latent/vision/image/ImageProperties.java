package dev.latent.vision.image;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * {@code latent.vision.images.*}: limits on image inputs.
 *
 * @param maxBytes largest encoded image (413 above)
 * @param maxPixels largest width x height, read from the header before decoding (413 above)
 * @param urlTimeout connect + read time allowed for an {@code image_url}
 * @param allowPrivateUrls fetch from loopback, private and link-local addresses (off: no SSRF)
 * @param workers threads decoding images and running pre/post-processing
 * @param queueCapacity decode jobs waiting for a worker before 503
 */
@ConfigurationProperties("latent.vision.images")
public record ImageProperties(DataSize maxBytes, long maxPixels, Duration urlTimeout,
    boolean allowPrivateUrls, int workers, int queueCapacity) {

  public ImageProperties {
    if (maxBytes == null) {
      maxBytes = DataSize.ofMegabytes(10);
    }
    if (maxPixels <= 0) {
      maxPixels = 40_000_000;
    }
    if (urlTimeout == null) {
      urlTimeout = Duration.ofSeconds(5);
    }
    if (workers <= 0) {
      workers = Math.max(1, Runtime.getRuntime().availableProcessors());
    }
    if (queueCapacity <= 0) {
      queueCapacity = 64;
    }
  }
}
