package dev.latent.gateway.routing;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.springframework.web.server.ServerWebExchange;

/** One instance of a pool: its address, the requests it has in flight, and its circuit breaker. */
public final class BackendInstance {

  static final String ATTR = BackendInstance.class.getName();

  private final String pool;
  private final URI url;
  private final CircuitBreaker breaker;
  private final AtomicInteger outstanding = new AtomicInteger();

  BackendInstance(String pool, URI url, CircuitBreaker breaker) {
    this.pool = pool;
    this.url = url;
    this.breaker = breaker;
  }

  /** The instance this exchange was last sent to, once the proxy has picked one. */
  public static @Nullable BackendInstance of(ServerWebExchange exchange) {
    return exchange.getAttribute(ATTR);
  }

  public String pool() {
    return pool;
  }

  /** Base URL, e.g. {@code http://inference-0:8081}. */
  public URI url() {
    return url;
  }

  CircuitBreaker breaker() {
    return breaker;
  }

  int outstanding() {
    return outstanding.get();
  }

  void begin() {
    outstanding.incrementAndGet();
  }

  void end() {
    outstanding.decrementAndGet();
  }

  @Override
  public String toString() {
    return pool + "@" + url;
  }
}
