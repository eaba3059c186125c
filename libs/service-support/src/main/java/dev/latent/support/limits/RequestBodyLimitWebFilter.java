package dev.latent.support.limits;

import dev.latent.support.problem.ProblemException;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Refuses request bodies over {@code latent.http.max-request-body} with 413: at once when the
 * {@code Content-Length} says so, otherwise as soon as a chunked body crosses the limit.
 */
public final class RequestBodyLimitWebFilter implements WebFilter, Ordered {

  private final long maxBytes;

  public RequestBodyLimitWebFilter(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE + 10; // right after the request id
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    long declared = exchange.getRequest().getHeaders().getContentLength();
    if (declared > maxBytes) {
      return Mono.error(tooLarge());
    }
    if (declared >= 0) {
      return chain.filter(exchange); // the server reads at most Content-Length bytes
    }
    var counted = new ServerHttpRequestDecorator(exchange.getRequest()) {
      @Override
      public Flux<DataBuffer> getBody() {
        AtomicLong seen = new AtomicLong();
        return super.getBody().handle((buffer, sink) -> {
          if (seen.addAndGet(buffer.readableByteCount()) > maxBytes) {
            DataBufferUtils.release(buffer);
            sink.error(tooLarge());
          } else {
            sink.next(buffer);
          }
        });
      }
    };
    return chain.filter(exchange.mutate().request(counted).build());
  }

  private ProblemException tooLarge() {
    return new ProblemException(HttpStatus.CONTENT_TOO_LARGE, "payload-too-large",
        "Request body is larger than the limit of " + maxBytes + " bytes", "payload_too_large", null)
        .with("max_bytes", maxBytes);
  }
}
