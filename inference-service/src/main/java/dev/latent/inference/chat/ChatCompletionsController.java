package dev.latent.inference.chat;

import dev.latent.inference.openai.Sse;
import dev.latent.inference.openai.Usage;
import dev.latent.inference.runtime.GenerationEvent;
import dev.latent.inference.runtime.Generator;
import dev.latent.inference.runtime.SamplingParams;
import dev.latent.inference.runtime.TokenLogprob;
import dev.latent.ml.text.ChatMessage;
import dev.latent.support.requestid.RequestId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** {@code POST /v1/chat/completions}, streamed (SSE) or whole. */
@RestController
class ChatCompletionsController {

  private final Generator generator;

  ChatCompletionsController(Generator generator) {
    this.generator = generator;
  }

  @PostMapping("/v1/chat/completions")
  Mono<ResponseEntity<?>> complete(@RequestBody ChatCompletionRequest request,
      ServerWebExchange exchange) {
    String requestId = Objects.requireNonNullElseGet(RequestId.of(exchange), RequestId::generate);
    String id = "chatcmpl-" + requestId;
    long created = System.currentTimeMillis() / 1000;
    List<ChatMessage> messages = request.messages().stream()
        .map(m -> new ChatMessage(m.role().equals("developer") ? "system" : m.role(), m.text(),
            m.reasoningContent()))
        .toList();
    return generator.start(requestId, request.model(),
            model -> model.chatTemplate().render(messages, true), request.requestedMaxTokens(),
            request.maxCompletionTokens() != null ? "max_completion_tokens" : "max_tokens",
            max -> sampling(request, max))
        .map(started -> request.streaming()
            ? ResponseEntity.ok().contentType(MediaType.TEXT_EVENT_STREAM)
                .body(stream(id, created, started.model().id(), started.events(),
                    request.includeUsage()))
            : ResponseEntity.ok().body(whole(id, created, started.model().id(), started.events())));
  }

  private static SamplingParams sampling(ChatCompletionRequest r, int maxTokens) {
    return new SamplingParams(
        r.temperature() != null ? r.temperature() : 1.0,
        r.topP() != null ? r.topP() : 1.0,
        r.topK() != null ? r.topK() : 0,
        r.minP() != null ? r.minP() : 0.0,
        r.seed(),
        r.presencePenalty() != null ? r.presencePenalty() : 0.0,
        r.frequencyPenalty() != null ? r.frequencyPenalty() : 0.0,
        maxTokens, r.stop() != null ? r.stop() : List.of(),
        Boolean.TRUE.equals(r.logprobs()), r.topLogprobs() != null ? r.topLogprobs() : 0);
  }

  private static Flux<ServerSentEvent<Object>> stream(String id, long created, String model,
      Flux<GenerationEvent> events, boolean includeUsage) {
    var first = new ChatCompletionChunk(id, ChatCompletionChunk.OBJECT, created, model,
        List.of(new ChatCompletionChunk.Choice(0,
            new ChatCompletionChunk.Delta("assistant", "", null), null, null)), null);
    Flux<ServerSentEvent<Object>> body = events.concatMap(event -> switch (event) {
      case GenerationEvent.Delta d -> Flux.just(Sse.data(new ChatCompletionChunk(id,
          ChatCompletionChunk.OBJECT, created, model, List.of(new ChatCompletionChunk.Choice(0,
              new ChatCompletionChunk.Delta(null, d.content().isEmpty() ? null : d.content(),
                  d.reasoning().isEmpty() ? null : d.reasoning()),
              d.logprobs().isEmpty() ? null
                  : new ChatCompletionResponse.Logprobs(d.logprobs(), null), null)), null)));
      case GenerationEvent.Finished f -> {
        var last = Sse.data(new ChatCompletionChunk(id, ChatCompletionChunk.OBJECT, created,
            model, List.of(new ChatCompletionChunk.Choice(0,
                new ChatCompletionChunk.Delta(null, null, null), null, f.finishReason())), null));
        yield includeUsage
            ? Flux.just(last, Sse.data(new ChatCompletionChunk(id, ChatCompletionChunk.OBJECT,
                created, model, List.of(), f.usage())))
            : Flux.just(last);
      }
    });
    return Flux.concat(Flux.just(Sse.data(first)), body, Flux.just(Sse.done()))
        .onErrorResume(e -> Flux.just(Sse.error(e)));
  }

  private static Mono<ChatCompletionResponse> whole(String id, long created, String model,
      Flux<GenerationEvent> events) {
    var content = new StringBuilder();
    var reasoning = new StringBuilder();
    var logprobs = new ArrayList<TokenLogprob>();
    return events.reduce(new Object[2], (acc, event) -> {
      switch (event) {
        case GenerationEvent.Delta d -> {
          content.append(d.content());
          reasoning.append(d.reasoning());
          logprobs.addAll(d.logprobs());
        }
        case GenerationEvent.Finished f -> {
          acc[0] = f.finishReason();
          acc[1] = f.usage();
        }
      }
      return acc;
    }).map(acc -> new ChatCompletionResponse(id, "chat.completion", created, model,
        List.of(new ChatCompletionResponse.Choice(0,
            new ChatCompletionResponse.Message("assistant", content.toString(), null,
                reasoning.isEmpty() ? null : reasoning.toString()),
            logprobs.isEmpty() ? null : new ChatCompletionResponse.Logprobs(logprobs, null),
            (String) acc[0])),
        (Usage) acc[1]));
  }
}
