package dev.latent.gateway.routing;

import java.util.Set;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpMethod;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the JSON body of model requests, once, and checks it ({@link JsonRequest#parse}), so
 * model-aware routing, key checks and metering can look at it. Bodies are small (the body limit has already applied) and are needed
 * whole anyway: the backend must get them again on a retry.
 */
@Component
class JsonBodyFilter implements GlobalFilter, Ordered {

  static final int ORDER = 200;
  private static final Set<String> MODEL_PATHS =
      Set.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings");

  private final JsonMapper json;

  JsonBodyFilter(JsonMapper json) {
    this.json = json;
  }

  @Override
  public int getOrder() {
    return ORDER;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
    if (exchange.getRequest().getMethod() != HttpMethod.POST
        || !MODEL_PATHS.contains(exchange.getRequest().getPath().value())) {
      return chain.filter(exchange);
    }
    return DataBufferUtils.join(exchange.getRequest().getBody())
        .map(buffer -> {
          try {
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            return bytes;
          } finally {
            DataBufferUtils.release(buffer);
          }
        })
        .defaultIfEmpty(new byte[0])
        .flatMap(bytes -> {
          exchange.getAttributes().put(JsonRequest.ATTR, JsonRequest.parse(json, bytes));
          return chain.filter(exchange);
        });
  }
}
