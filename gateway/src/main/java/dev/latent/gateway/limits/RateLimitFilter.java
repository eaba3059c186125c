package dev.latent.gateway.limits;

import dev.latent.gateway.keys.ApiKey;
import dev.latent.support.problem.ProblemException;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.BiConsumer;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * RPM/TPM per key before anything is reserved or routed. Every answer to a limited key carries
 * OpenAI's {@code x-ratelimit-*} headers; over a limit → 429 with {@code Retry-After}.
 */
@Component
class RateLimitFilter implements GlobalFilter, Ordered {

  private final RateLimiter limiter;
  private final MeterRegistry meters;

  RateLimitFilter(RateLimiter limiter, MeterRegistry meters) {
    this.limiter = limiter;
    this.meters = meters;
  }

  @Override
  public int getOrder() {
    return 300; // after authentication (100) and the model check (250)
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
    ApiKey key = ApiKey.of(exchange);
    if (key == null || (key.rpm() == null && key.tpm() == null)) {
      return chain.filter(exchange);
    }
    long rpm = key.rpm() == null ? -1 : key.rpm();
    long tpm = key.tpm() == null ? -1 : key.tpm();
    return limiter.admit(key.id(), rpm, tpm).flatMap(admission -> {
      if (!admission.allowed()) {
        boolean requests = rpm >= 0 && admission.remainingRequests() == 0;
        meters.counter("latent.gateway.rejections", "reason", requests ? "rpm" : "tpm").increment();
        ProblemException problem = new ProblemException(HttpStatus.TOO_MANY_REQUESTS, "rate-limited",
            requests ? "Rate limit reached: " + rpm + " requests per minute for this key"
                : "Rate limit reached: " + tpm + " tokens per minute for this key",
            "rate_limit_exceeded", null).retryAfter(admission.reset());
        headers(rpm, tpm, admission, problem::header);
        return Mono.error(problem);
      }
      // Written straight into the response's headers when it commits: no map of our own per request.
      exchange.getResponse().beforeCommit(() -> {
        HttpHeaders response = exchange.getResponse().getHeaders();
        headers(rpm, tpm, admission, response::set);
        return Mono.empty();
      });
      return chain.filter(exchange);
    });
  }

  /** OpenAI's {@code x-ratelimit-*} headers for {@code admission}, one {@code set} call per header. */
  private static void headers(long rpm, long tpm, Admission admission, BiConsumer<String, String> set) {
    String reset = Math.max(1, (admission.reset().toMillis() + 999) / 1000) + "s";
    if (rpm >= 0) {
      set.accept("x-ratelimit-limit-requests", Long.toString(rpm));
      set.accept("x-ratelimit-remaining-requests", Long.toString(admission.remainingRequests()));
      set.accept("x-ratelimit-reset-requests", reset);
    }
    if (tpm >= 0) {
      set.accept("x-ratelimit-limit-tokens", Long.toString(tpm));
      set.accept("x-ratelimit-remaining-tokens", Long.toString(admission.remainingTokens()));
      set.accept("x-ratelimit-reset-tokens", reset);
    }
  }
}
