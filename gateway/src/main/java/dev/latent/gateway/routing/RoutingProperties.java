package dev.latent.gateway.routing;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.gateway.routing.*}: where each backend pool lives, how hard to try it, and which
 * model is served by which pool.
 *
 * @param backends pool name ({@code inference}, {@code vision}, {@code training}, or any extra
 *     pool a model is sent to) → its instances and resilience settings
 * @param models models served by a pool other than their route's, and their fallbacks
 */
@ConfigurationProperties("latent.gateway.routing")
public record RoutingProperties(Map<String, Backend> backends, @Nullable List<ModelRoute> models) {

  public RoutingProperties {
    backends = Map.copyOf(backends);
    for (String required : List.of("inference", "vision", "training")) {
      if (!backends.containsKey(required)) {
        throw new IllegalArgumentException("latent.gateway.routing.backends." + required + " is not configured");
      }
    }
    models = models == null ? List.of() : List.copyOf(models);
    for (ModelRoute model : models) {
      if (model.backend() != null && !backends.containsKey(model.backend())) {
        throw new IllegalArgumentException("model " + model.name() + " names unknown backend " + model.backend());
      }
    }
  }

  /**
   * One pool of interchangeable instances.
   *
   * @param urls base URLs of the pool's instances
   * @param connectTimeout TCP connect timeout per attempt
   * @param firstByteTimeout time allowed until the response headers arrive
   * @param idleTimeout longest silence allowed between two chunks of a response body (streams)
   * @param retries extra attempts after a connect failure or a 502/503, only before any byte reached the client
   * @param maxConcurrent bulkhead: requests in flight to the pool at once; more → 503
   * @param circuitBreaker per-instance breaker settings
   */
  public record Backend(
      List<URI> urls,
      @Nullable Duration connectTimeout,
      @Nullable Duration firstByteTimeout,
      @Nullable Duration idleTimeout,
      @Nullable Integer retries,
      @Nullable Integer maxConcurrent,
      @Nullable Breaker circuitBreaker) {
    public Backend {
      if (urls == null || urls.isEmpty()) {
        throw new IllegalArgumentException("a backend needs at least one url");
      }
      urls = List.copyOf(urls);
      connectTimeout = connectTimeout != null ? connectTimeout : Duration.ofSeconds(2);
      firstByteTimeout = firstByteTimeout != null ? firstByteTimeout : Duration.ofSeconds(120);
      idleTimeout = idleTimeout != null ? idleTimeout : Duration.ofSeconds(60);
      retries = retries != null ? retries : 2;
      maxConcurrent = maxConcurrent != null ? maxConcurrent : 1024;
      circuitBreaker = circuitBreaker != null ? circuitBreaker : new Breaker(null, null, null, null);
    }
  }

  /**
   * @param failureRateThreshold percentage of failed calls that opens the circuit
   * @param slidingWindow calls the rate is computed over
   * @param minimumCalls calls needed before the rate counts
   * @param openFor how long an open circuit refuses calls before it lets a few probe
   */
  public record Breaker(
      @Nullable Float failureRateThreshold,
      @Nullable Integer slidingWindow,
      @Nullable Integer minimumCalls,
      @Nullable Duration openFor) {
    public Breaker {
      failureRateThreshold = failureRateThreshold != null ? failureRateThreshold : 50f;
      slidingWindow = slidingWindow != null ? slidingWindow : 20;
      minimumCalls = minimumCalls != null ? minimumCalls : 10;
      openFor = openFor != null ? openFor : Duration.ofSeconds(10);
    }
  }

  /**
   * @param name the {@code model} value in requests
   * @param backend the pool that serves it (default: the route's pool)
   * @param fallbacks models tried in order when no instance of this one can answer
   */
  public record ModelRoute(String name, @Nullable String backend, @Nullable List<String> fallbacks) {
    public ModelRoute {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("latent.gateway.routing.models[].name is required");
      }
      fallbacks = fallbacks == null ? List.of() : List.copyOf(fallbacks);
    }
  }
}
