package dev.latent.support.requestid;

import java.util.UUID;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.web.server.ServerWebExchange;

/** The {@code X-Request-Id} contract: which ids are accepted, how new ones look, where they live. */
public final class RequestId {

  public static final String HEADER = "X-Request-Id";
  /** Key in the exchange attributes, the Reactor context and the logging MDC. */
  public static final String KEY = "requestId";

  private static final Pattern ACCEPTED = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  private RequestId() {}

  /** The caller's id when it is safe to log and forward, otherwise a fresh one. */
  public static String acceptOrGenerate(@Nullable String incoming) {
    return incoming != null && ACCEPTED.matcher(incoming).matches() ? incoming : generate();
  }

  public static String generate() {
    return UUID.randomUUID().toString();
  }

  /** The id of the exchange, once {@link RequestIdWebFilter} has run. */
  public static @Nullable String of(ServerWebExchange exchange) {
    return exchange.getAttribute(KEY);
  }
}
