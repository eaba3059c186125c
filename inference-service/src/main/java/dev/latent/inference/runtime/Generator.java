package dev.latent.inference.runtime;

import dev.latent.support.problem.ProblemException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Entry point of the endpoints into the runtime: render and tokenize the prompt on a small
 * bounded executor (the tokenizer is native DJL code; Netty threads never run it), check it
 * against the context, and queue it on the model's scheduler.
 */
@Component
public class Generator implements DisposableBean {

  /** A queued request: the model, the prompt's length, and the events to come. */
  public record Started(ServedModel model, int promptTokens, Flux<GenerationEvent> events) {}

  private final ModelRegistry registry;
  private final RuntimeProperties properties;
  private final ThreadPoolExecutor executor;
  private final Scheduler scheduler;

  public Generator(ModelRegistry registry, RuntimeProperties properties) {
    this.registry = registry;
    this.properties = properties;
    int threads = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
    this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(Math.max(16, properties.queue())),
        Thread.ofPlatform().name("tokenize-", 0).daemon().factory());
    this.scheduler = Schedulers.fromExecutor(executor);
  }

  /**
   * @param prompt the prompt text for the resolved model (e.g. its chat template applied)
   * @param maxTokens what the client asked; null: up to the context
   * @param maxTokensParam the wire name to blame when the prompt and max tokens do not fit
   * @param params sampling for the resolved max tokens
   */
  public Mono<Started> start(String requestId, String modelId,
      Function<ServedModel, String> prompt, @Nullable Integer maxTokens, String maxTokensParam,
      IntFunction<SamplingParams> params) {
    ServedModel model = registry.require(modelId);
    return Mono.fromCallable(() -> {
      String text;
      try {
        text = prompt.apply(model);
      } catch (IllegalArgumentException e) {
        throw ProblemException.invalidParameter("messages", e.getMessage());
      }
      int[] tokens = model.tokenizer().encode(text);
      if (tokens.length == 0) {
        throw ProblemException.invalidParameter("prompt", "the prompt is empty");
      }
      int context = model.contextLength();
      int max = maxTokens != null ? maxTokens : context - tokens.length;
      if (tokens.length + max > context || max <= 0) {
        throw ProblemException.invalidParameter(maxTokensParam, "This model's maximum context length"
                + " is " + context + " tokens. However, you requested " + (tokens.length + max)
                + " tokens (" + tokens.length + " in the messages, " + max + " in the completion).")
            .with("prompt_tokens", tokens.length).with("max_tokens", max)
            .with("context_length", context);
      }
      var request = new GenerationRequest(requestId, model, tokens, params.apply(max),
          model.reasoning(), model.reasoning() && text.stripTrailing().endsWith("<think>"));
      return new Started(model, tokens.length, model.scheduler().submit(request));
    }).subscribeOn(scheduler).onErrorMap(RejectedExecutionException.class,
        e -> ProblemException.overloaded(HttpStatus.TOO_MANY_REQUESTS,
            "too many requests are being prepared", properties.retryAfter()));
  }

  @Override
  public void destroy() {
    executor.shutdownNow();
  }
}
