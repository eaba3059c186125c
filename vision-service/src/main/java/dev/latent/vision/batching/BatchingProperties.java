package dev.latent.vision.batching;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.vision.batching.*}: the dynamic batcher of every model.
 *
 * @param maxBatch most requests run together in one model call
 * @param maxDelay longest a request waits for others to join its batch
 * @param queueCapacity requests waiting per model before 429
 * @param retryAfter the {@code Retry-After} sent with a 429
 */
@ConfigurationProperties("latent.vision.batching")
public record BatchingProperties(int maxBatch, Duration maxDelay, int queueCapacity, Duration retryAfter) {

  public BatchingProperties {
    if (maxBatch <= 0) {
      maxBatch = 8;
    }
    if (maxDelay == null) {
      maxDelay = Duration.ofMillis(5);
    }
    if (queueCapacity <= 0) {
      queueCapacity = 128;
    }
    if (retryAfter == null) {
      retryAfter = Duration.ofSeconds(1);
    }
  }
}
