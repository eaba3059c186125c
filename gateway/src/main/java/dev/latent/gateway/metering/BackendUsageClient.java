package dev.latent.gateway.metering;

import dev.latent.gateway.pricing.TokenCounts;
import java.net.URI;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * Asks a backend instance what a request really used: {@code GET /internal/usage/{requestId}}
 * (the inference-service contract). Waits while the record is {@code running}.
 */
@Component
class BackendUsageClient {

  /** The backend's word on a request: its tokens, or that it never saw it. */
  record Answer(boolean known, boolean running, @Nullable TokenCounts tokens) {
    static final Answer UNKNOWN = new Answer(false, false, null);
  }

  private final WebClient client;
  private final MeteringProperties properties;

  BackendUsageClient(MeteringProperties properties) {
    this.client = WebClient.builder().filter(dev.latent.support.requestid.RequestIdPropagation.filter()).build();
    this.properties = properties;
  }

  /** One ask. Empty-handed answers: {@link Answer#UNKNOWN} on 404; an error when unreachable. */
  Mono<Answer> ask(URI instance, String requestId) {
    String base = instance.toString().endsWith("/") ? instance.toString() : instance + "/";
    return client.get().uri(base + "internal/usage/{id}", requestId)
        .retrieve()
        .bodyToMono(JsonNode.class)
        .timeout(Duration.ofSeconds(5))
        .map(body -> {
          boolean running = "running".equals(body.path("status").asString(""));
          return new Answer(true, running, Usage.parse(body.get("usage")));
        })
        .onErrorResume(WebClientResponseException.class, e -> e.getStatusCode().value() == HttpStatus.NOT_FOUND.value()
            ? Mono.just(Answer.UNKNOWN) : Mono.error(e));
  }

  /** A fine-tuning job as the training pool reports it. */
  record JobAnswer(boolean known, boolean finished, long trainedTokens) {
    static final JobAnswer UNKNOWN = new JobAnswer(false, false, 0);
  }

  /** {@code GET /v1/fine_tuning/jobs/{id}}: finished (succeeded, failed, cancelled) and its {@code trained_tokens}. */
  Mono<JobAnswer> job(URI instance, String jobId) {
    String base = instance.toString().endsWith("/") ? instance.toString() : instance + "/";
    return client.get().uri(base + "v1/fine_tuning/jobs/{id}", jobId)
        .retrieve()
        .bodyToMono(JsonNode.class)
        .timeout(Duration.ofSeconds(5))
        .map(body -> {
          String status = body.path("status").asString("");
          boolean finished = status.equals("succeeded") || status.equals("failed") || status.equals("cancelled");
          return new JobAnswer(true, finished, Math.max(0, body.path("trained_tokens").asLong(0)));
        })
        .onErrorResume(WebClientResponseException.class, e -> e.getStatusCode().value() == HttpStatus.NOT_FOUND.value()
            ? Mono.just(JobAnswer.UNKNOWN) : Mono.error(e));
  }

  /** Asks until the record is final (or the attempts run out, leaving it {@code running}). */
  Mono<Answer> awaitFinal(URI instance, String requestId) {
    return ask(instance, requestId)
        .flatMap(answer -> answer.running() ? Mono.error(new StillRunning(answer)) : Mono.just(answer))
        .retryWhen(reactor.util.retry.Retry.fixedDelay(properties.usageLookupAttempts(), properties.usageLookupInterval())
            .filter(StillRunning.class::isInstance))
        .onErrorResume(e -> e.getCause() instanceof StillRunning running ? Mono.just(running.answer)
            : e instanceof StillRunning running ? Mono.just(running.answer) : Mono.error(e));
  }

  private static final class StillRunning extends RuntimeException {
    final Answer answer;

    StillRunning(Answer answer) {
      super("still running", null, false, false);
      this.answer = answer;
    }
  }
}
