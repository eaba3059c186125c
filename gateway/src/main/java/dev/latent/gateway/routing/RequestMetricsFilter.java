package dev.latent.gateway.routing;

import dev.latent.support.problem.ProblemException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * {@code latent_gateway_requests_total{route,status}} for every routed request, and the clock
 * {@code latent_gateway_added_latency_seconds} is measured against: the time from the request's
 * arrival to the moment it is sent upstream (auth, limits, budget reservation, routing).
 */
@Component
class RequestMetricsFilter implements GlobalFilter, Ordered {

  static final String ARRIVED_ATTR = RequestMetricsFilter.class.getName() + ".arrived";
  private static final String ERROR_STATUS_ATTR = RequestMetricsFilter.class.getName() + ".error";

  private final MeterRegistry meters;
  // Meters by route (and status): building and registering one per request was a registry
  // lookup with tag sorting on every call.
  private final Map<String, Map<String, Counter>> requests = new ConcurrentHashMap<>();
  private final Map<String, Timer> added = new ConcurrentHashMap<>();

  RequestMetricsFilter(MeterRegistry meters) {
    this.meters = meters;
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
    exchange.getAttributes().put(ARRIVED_ATTR, System.nanoTime());
    return chain.filter(exchange)
        .doOnError(e -> exchange.getAttributes().put(ERROR_STATUS_ATTR,
            e instanceof ProblemException problem ? problem.status().value() : 500))
        .doFinally(signal -> {
      Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
      HttpStatusCode status = exchange.getResponse().getStatusCode();
      requestCounter(route == null ? "none" : route.getId(), statusTag(exchange, signal, status)).increment();
    });
  }

  private Counter requestCounter(String route, String status) {
    return requests.computeIfAbsent(route, r -> new ConcurrentHashMap<>())
        .computeIfAbsent(status, st -> Counter.builder("latent.gateway.requests")
            .tag("route", route).tag("status", st).register(meters));
  }

  private static String statusTag(ServerWebExchange exchange, SignalType signal,
      @Nullable HttpStatusCode status) {
    if (signal == SignalType.CANCEL) {
      return "cancelled";
    }
    Integer error = exchange.getAttribute(ERROR_STATUS_ATTR);
    if (error != null) {
      return error.toString();
    }
    return status == null ? "200" : Integer.toString(status.value());
  }

  void recordAdded(ServerWebExchange exchange, String route) {
    Long arrived = exchange.getAttribute(ARRIVED_ATTR);
    if (arrived != null) {
      added.computeIfAbsent(route, r -> Timer.builder("latent.gateway.added.latency").tag("route", r)
              .description("time from arrival to the request being sent upstream")
              .register(meters))
          .record(System.nanoTime() - arrived, TimeUnit.NANOSECONDS);
    }
  }
}
