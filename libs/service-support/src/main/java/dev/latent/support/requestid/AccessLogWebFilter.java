package dev.latent.support.requestid;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * One log line per request on logger {@code latent.access}, written when the exchange ends, with
 * the request id in the MDC so the line can be joined with the other services' lines.
 */
public final class AccessLogWebFilter implements WebFilter, Ordered {

  private static final Logger log = LoggerFactory.getLogger("latent.access");

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE + 1; // inside the request id filter, so the MDC has the id
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    long start = System.nanoTime();
    return chain.filter(exchange).doFinally(signal -> {
      if (!log.isInfoEnabled()) {
        return;
      }
      HttpStatusCode status = exchange.getResponse().getStatusCode();
      String id = RequestId.of(exchange);
      try (var ignored = MDC.putCloseable(RequestId.KEY, id == null ? "" : id)) {
        log.info("{} {} {} {}ms{}", exchange.getRequest().getMethod(),
            exchange.getRequest().getPath().value(), status == null ? "-" : status.value(),
            (System.nanoTime() - start) / 1_000_000,
            signal == SignalType.CANCEL ? " (cancelled)" : "");
      }
    });
  }
}
