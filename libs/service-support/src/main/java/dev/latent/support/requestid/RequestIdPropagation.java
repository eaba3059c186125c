package dev.latent.support.requestid;

import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import reactor.core.publisher.Mono;

/** Adds the current request's id to calls made with WebClient, so the next service logs it too. */
public final class RequestIdPropagation {

  private RequestIdPropagation() {}

  public static ExchangeFilterFunction filter() {
    return (request, next) -> Mono.deferContextual(ctx -> {
      if (request.headers().containsHeader(RequestId.HEADER) || !ctx.hasKey(RequestId.KEY)) {
        return next.exchange(request);
      }
      String id = ctx.get(RequestId.KEY);
      return next.exchange(ClientRequest.from(request).header(RequestId.HEADER, id).build());
    });
  }
}
