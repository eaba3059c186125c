package dev.latent.support.keepalive;

import io.netty.channel.EventLoop;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;

/**
 * Starts every request's handling in a task of its own on the connection's event loop, so no
 * response is ever completed inside the call that dispatched the request.
 *
 * <p>Why: Reactor Netty 1.3.6 (reactor-netty#4361) reads HTTP/1.1 requests on demand. A request
 * that arrives on a keep-alive connection before the previous exchange has terminated is queued
 * with its trailing {@code LastHttpContent}; when the queue is drained and that request is answered
 * synchronously (a 4xx thrown by a controller or a filter, a cached value), the drain empties the
 * queue without asking for the next read. The connection then ignores every later request and a
 * client that reuses it waits forever. Answering from a fresh event-loop task lets the drain finish
 * first; the exchange's termination then finds the queue empty and asks for the next read.
 * The cost is one task on the same thread per request. Remove once Boot ships a Reactor Netty
 * with the fix.
 */
public final class DeferredDispatchWebFilter implements WebFilter, Ordered {

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE + 2; // before anything that may answer (the body limit is +10)
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    if (!(nativeRequest(exchange) instanceof Connection connection)) {
      return chain.filter(exchange); // not served by Reactor Netty (a mock exchange in a test)
    }
    EventLoop loop = connection.channel().eventLoop();
    return Mono.<Void>create(sink -> loop.execute(sink::success))
        .then(Mono.defer(() -> chain.filter(exchange)));
  }

  private static @Nullable Object nativeRequest(ServerWebExchange exchange) {
    try {
      return ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
    } catch (IllegalArgumentException e) {
      return null; // a request type that wraps no server request
    }
  }
}
