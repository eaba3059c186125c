package dev.latent.support.requestid;

import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Gives every request an id before anything else runs: the caller's {@code X-Request-Id} when it
 * is well-formed, otherwise a new one. The id is written back onto the request (so a proxying
 * service forwards it), echoed on the response, stored as an exchange attribute, and put in the
 * Reactor context, from where it reaches the logging MDC and outgoing WebClient calls.
 */
public final class RequestIdWebFilter implements WebFilter, Ordered {

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    String incoming = exchange.getRequest().getHeaders().getFirst(RequestId.HEADER);
    String id = RequestId.acceptOrGenerate(incoming);
    ServerWebExchange tagged = id.equals(incoming) ? exchange : exchange.mutate()
        .request(r -> r.headers(h -> h.set(RequestId.HEADER, id)))
        .build();
    tagged.getAttributes().put(RequestId.KEY, id);
    tagged.getResponse().getHeaders().set(RequestId.HEADER, id);
    return chain.filter(tagged).contextWrite(ctx -> ctx.put(RequestId.KEY, id));
  }
}
