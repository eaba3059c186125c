package dev.latent.gateway.routing;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.gateway.routing.*}: where each backend service lives.
 *
 * @param backends backend name ({@code inference}, {@code vision}, {@code training}) → its instances
 */
@ConfigurationProperties("latent.gateway.routing")
public record RoutingProperties(Map<String, Backend> backends) {

  public RoutingProperties {
    backends = Map.copyOf(backends);
    for (String required : List.of("inference", "vision", "training")) {
      if (!backends.containsKey(required)) {
        throw new IllegalArgumentException("latent.gateway.routing.backends." + required + " is not configured");
      }
    }
  }

  /** @param urls base URLs of the backend's instances */
  public record Backend(List<URI> urls) {
    public Backend {
      if (urls == null || urls.isEmpty()) {
        throw new IllegalArgumentException("a backend needs at least one url");
      }
      urls = List.copyOf(urls);
    }
  }
}
