package dev.latent.gateway.metering;

import io.netty.channel.EventLoop;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;

/**
 * Where a request goes on after the ledger answered: the event loop of the client's own
 * connection, which is where the rest of its work (routing, writing the answer) happens anyway.
 * The ledger signals from its own thread; handing over to {@code Schedulers.parallel()} instead
 * would cost a second hop per request.
 */
final class RequestEventLoop {

  private static final Map<EventLoop, Scheduler> SCHEDULERS = new ConcurrentHashMap<>();

  private RequestEventLoop() {}

  static Scheduler of(ServerWebExchange exchange) {
    Object request = ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
    if (request instanceof Connection connection) {
      EventLoop loop = connection.channel().eventLoop();
      return SCHEDULERS.computeIfAbsent(loop, Schedulers::fromExecutor);
    }
    return Schedulers.parallel(); // not served by Reactor Netty
  }
}
