package dev.latent.gateway.routing;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * A pool of interchangeable instances. Picks the instance with the fewest requests in flight
 * among those whose circuit lets a call through (ties broken at random, so a cold pool spreads).
 */
public final class BackendPool {

  private final String name;
  private final RoutingProperties.Backend settings;
  private final List<BackendInstance> instances;
  private final Bulkhead bulkhead;

  BackendPool(String name, RoutingProperties.Backend settings, List<BackendInstance> instances,
      Bulkhead bulkhead) {
    this.name = name;
    this.settings = settings;
    this.instances = List.copyOf(instances);
    this.bulkhead = bulkhead;
  }

  public String name() {
    return name;
  }

  public List<BackendInstance> instances() {
    return instances;
  }

  RoutingProperties.Backend settings() {
    return settings;
  }

  Bulkhead bulkhead() {
    return bulkhead;
  }

  /**
   * The least-loaded instance whose breaker grants a permission (which the caller must then use),
   * or null when every circuit is open. {@code avoid} are instances that just failed this request.
   */
  @Nullable BackendInstance pick(Set<BackendInstance> avoid) {
    BackendInstance best = pickAmong(avoid);
    if (best == null && !avoid.isEmpty()) {
      best = pickAmong(Set.of()); // every healthy one failed once: trying one again beats giving up
    }
    return best;
  }

  private @Nullable BackendInstance pickAmong(Set<BackendInstance> avoid) {
    int n = instances.size();
    int start = n == 1 ? 0 : ThreadLocalRandom.current().nextInt(n);
    BackendInstance best = null;
    for (int i = 0; i < n; i++) {
      BackendInstance candidate = instances.get((start + i) % n);
      if (avoid.contains(candidate) || candidate.breaker().getState() == CircuitBreaker.State.OPEN) {
        continue;
      }
      if (best == null || candidate.outstanding() < best.outstanding()) {
        best = candidate;
      }
    }
    // Only now ask for the permission: asking consumes a half-open probe slot.
    if (best != null && !best.breaker().tryAcquirePermission()) {
      return null;
    }
    return best;
  }

  /** How long until an open circuit lets a probe through (for {@code Retry-After}). */
  Duration retryAfter() {
    return settings.circuitBreaker().openFor();
  }
}
