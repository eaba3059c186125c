package dev.latent.gateway.routing;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * Every configured pool, and which pool (with which fallbacks) serves a model. Also exported as
 * {@code latent_gateway_circuit_state} (0 closed, 1 open, 2 half-open) per instance.
 */
@Component
public class BackendPools {

  private final Map<String, BackendPool> pools = new LinkedHashMap<>();
  private final Map<String, RoutingProperties.ModelRoute> models = new LinkedHashMap<>();

  BackendPools(RoutingProperties properties, MeterRegistry meters) {
    properties.backends().forEach((name, backend) -> {
      RoutingProperties.Breaker b = backend.circuitBreaker();
      CircuitBreakerConfig breakerConfig = CircuitBreakerConfig.custom()
          .failureRateThreshold(b.failureRateThreshold())
          .slidingWindowSize(b.slidingWindow())
          .minimumNumberOfCalls(b.minimumCalls())
          .waitDurationInOpenState(b.openFor())
          .automaticTransitionFromOpenToHalfOpenEnabled(false)
          .permittedNumberOfCallsInHalfOpenState(1)
          // Every event loop records into one instance's window: the default window takes a
          // ReentrantLock, and under load event loops parked on it (JFR: 10-20 ms parks).
          .slidingWindowSynchronizationStrategy(CircuitBreakerConfig.SlidingWindowSynchronizationStrategy.LOCK_FREE)
          .build();
      List<BackendInstance> instances = new ArrayList<>();
      for (int i = 0; i < backend.urls().size(); i++) {
        URI url = backend.urls().get(i);
        CircuitBreaker breaker = CircuitBreaker.of(name + "-" + i, breakerConfig);
        BackendInstance instance = new BackendInstance(name, url, breaker);
        instances.add(instance);
        Gauge.builder("latent.gateway.circuit.state", breaker, BackendPools::stateValue)
            .tag("backend", name).tag("instance", url.toString())
            .description("0 closed, 1 open, 2 half-open").register(meters);
      }
      Bulkhead bulkhead = Bulkhead.of(name, BulkheadConfig.custom()
          .maxConcurrentCalls(backend.maxConcurrent()).maxWaitDuration(Duration.ZERO).build());
      pools.put(name, new BackendPool(name, backend, instances, bulkhead));
    });
    properties.models().forEach(m -> models.put(m.name(), m));
  }

  private static double stateValue(CircuitBreaker breaker) {
    return switch (breaker.getState()) {
      case OPEN, FORCED_OPEN -> 1;
      case HALF_OPEN -> 2;
      default -> 0;
    };
  }

  public @Nullable BackendPool pool(String name) {
    return pools.get(name);
  }

  /** The pool that serves {@code model}, or {@code routeDefault} when no model route names one. */
  public BackendPool poolFor(@Nullable String model, String routeDefault) {
    RoutingProperties.ModelRoute route = model == null ? null : models.get(model);
    String name = route != null && route.backend() != null ? route.backend() : routeDefault;
    BackendPool pool = pools.get(name);
    if (pool == null) {
      throw new IllegalStateException("no backend pool " + name);
    }
    return pool;
  }

  /** The model itself, then its fallbacks in order. */
  public List<String> candidates(String model) {
    RoutingProperties.ModelRoute route = models.get(model);
    if (route == null || route.fallbacks() == null || route.fallbacks().isEmpty()) {
      return List.of(model);
    }
    List<String> all = new ArrayList<>();
    all.add(model);
    all.addAll(route.fallbacks());
    return all;
  }
}
