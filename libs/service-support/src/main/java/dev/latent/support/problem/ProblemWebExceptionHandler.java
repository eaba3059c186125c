package dev.latent.support.problem;

import dev.latent.support.requestid.RequestId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes every error that reaches the web layer as {@code application/problem+json}: framework
 * errors (404, 405, 415, malformed JSON, oversized bodies), {@link ProblemException}s thrown by
 * services, and anything unexpected (500, logged with its stack trace). Runs before Boot's own
 * handler so no error ever leaves in another shape.
 */
public final class ProblemWebExceptionHandler implements WebExceptionHandler, Ordered {

  private static final Logger log = LoggerFactory.getLogger(ProblemWebExceptionHandler.class);

  private final ProblemResolver resolver;
  private final JsonMapper json;

  public ProblemWebExceptionHandler(ProblemResolver resolver, JsonMapper json) {
    this.resolver = resolver;
    this.json = json;
  }

  @Override
  public int getOrder() {
    return -2; // before Boot's DefaultErrorWebExceptionHandler (-1)
  }

  @Override
  public Mono<Void> handle(ServerWebExchange exchange, Throwable error) {
    ServerHttpResponse response = exchange.getResponse();
    if (response.isCommitted()) {
      return Mono.error(error); // a stream already started; its own handler ends it
    }
    Problem problem = resolver.resolve(error);
    String path = exchange.getRequest().getPath().value();
    if (problem.status().is5xxServerError()) {
      log.error("{} {} failed", exchange.getRequest().getMethod(), path, error);
    } else {
      log.debug("{} {} -> {}: {}", exchange.getRequest().getMethod(), path,
          problem.status().value(), problem.detail());
    }
    byte[] body = json.writeValueAsBytes(
        problem.body(path, RequestId.of(exchange), OpenAiPaths.matches(path)));
    response.setStatusCode(problem.status());
    response.getHeaders().addAll(problem.headers());
    response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
    response.getHeaders().setContentLength(body.length);
    return response.writeWith(Mono.just(response.bufferFactory().wrap(body)));
  }
}
