package dev.latent.inference.openai;

import dev.latent.support.problem.ProblemException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.codec.ServerSentEvent;

/** OpenAI's SSE framing: one JSON object per {@code data:}, then {@code data: [DONE]}. */
public final class Sse {

  private Sse() {}

  public static ServerSentEvent<Object> data(Object chunk) {
    return ServerSentEvent.builder(chunk).build();
  }

  public static ServerSentEvent<Object> done() {
    return ServerSentEvent.<Object>builder("[DONE]").build();
  }

  /** The final event of a stream that failed after it began; the HTTP status was already sent. */
  public static ServerSentEvent<Object> error(Throwable error) {
    Map<String, Object> body = new LinkedHashMap<>();
    if (error instanceof ProblemException problem) {
      var p = problem.problem();
      body.put("message", p.detail());
      body.put("type", p.status().is4xxClientError() ? "invalid_request_error" : "server_error");
      body.put("code", p.code());
    } else {
      body.put("message", "generation failed: " + error.getMessage());
      body.put("type", "server_error");
      body.put("code", "internal_error");
    }
    return ServerSentEvent.<Object>builder(Map.of("error", body)).build();
  }
}
