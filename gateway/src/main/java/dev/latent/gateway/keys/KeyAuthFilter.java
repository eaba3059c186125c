package dev.latent.gateway.keys;

import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR;

import dev.latent.gateway.routing.JsonRequest;
import dev.latent.support.problem.ProblemException;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Every routed request needs an active key (401 otherwise); once the body is parsed, the key must
 * allow the requested model (403). Switched off entirely with {@code latent.gateway.keys.enabled=false}.
 */
@Component
class KeyAuthFilter implements GlobalFilter, Ordered {

  static final int ORDER = 100;

  private final KeyAuthentication authentication;
  private final KeysProperties properties;
  private final MeterRegistry meters;

  KeyAuthFilter(KeyAuthentication authentication, KeysProperties properties, MeterRegistry meters) {
    this.authentication = authentication;
    this.properties = properties;
    this.meters = meters;
  }

  @Override
  public int getOrder() {
    return ORDER;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
    Route route = exchange.getAttribute(GATEWAY_ROUTE_ATTR);
    if (route == null || !Boolean.TRUE.equals(properties.enabled())) {
      return chain.filter(exchange);
    }
    ApiKey cached = authentication.cachedActive(exchange.getRequest());
    if (cached != null) {
      exchange.getAttributes().put(ApiKey.ATTR, cached);
      return chain.filter(exchange);
    }
    return authentication.authenticate(exchange.getRequest())
        .doOnError(e -> meters.counter("latent.gateway.rejections", "reason", "auth").increment())
        .flatMap(key -> {
          exchange.getAttributes().put(ApiKey.ATTR, key);
          return chain.filter(exchange);
        });
  }

  /** After the body is parsed: is the model one this key may use? */
  @Component
  static class ModelAccessFilter implements GlobalFilter, Ordered {

    private final MeterRegistry meters;

    ModelAccessFilter(MeterRegistry meters) {
      this.meters = meters;
    }

    @Override
    public int getOrder() {
      return 250; // after JsonBodyFilter (200)
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
      ApiKey key = ApiKey.of(exchange);
      JsonRequest request = JsonRequest.of(exchange);
      if (key != null && request != null && !key.allows(request.model())) {
        meters.counter("latent.gateway.rejections", "reason", "model").increment();
        return Mono.error(new ProblemException(HttpStatus.FORBIDDEN, "forbidden",
            "This API key may not use model " + request.model(), "model_not_allowed", "model"));
      }
      return chain.filter(exchange);
    }
  }
}
