package dev.latent.support.requestid;

import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * One log line per request on logger {@code latent.access}, written when the exchange ends, with
 * the request id in the MDC so the line can be joined with the other services' lines. With an
 * {@link AccessLogWriter} (what every service gets) the line is handed to the writer's thread and
 * the event loop never formats or writes it; without one it is written in place.
 */
public final class AccessLogWebFilter implements WebFilter, Ordered {

  private final @Nullable AccessLogWriter writer;

  /** Writes each line synchronously, on the thread that ends the exchange. */
  public AccessLogWebFilter() {
    this(null);
  }

  /** Hands each line to {@code writer} (asynchronous; dropped and counted if its queue is full). */
  public AccessLogWebFilter(@Nullable AccessLogWriter writer) {
    this.writer = writer;
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE + 1; // inside the request id filter, so the id is known
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    long start = System.nanoTime();
    return chain.filter(exchange).doFinally(signal -> {
      if (!AccessLogWriter.log.isInfoEnabled()) {
        return;
      }
      HttpStatusCode status = exchange.getResponse().getStatusCode();
      AccessLogWriter.Line line = new AccessLogWriter.Line(RequestId.of(exchange),
          exchange.getRequest().getMethod().name(), exchange.getRequest().getPath().value(),
          status == null ? -1 : status.value(), (System.nanoTime() - start) / 1_000_000,
          signal == SignalType.CANCEL);
      if (writer != null) {
        writer.offer(line);
      } else {
        AccessLogWriter.write(line);
      }
    });
  }
}
