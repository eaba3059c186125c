package dev.latent.gateway.routing;

import org.jspecify.annotations.Nullable;
import org.springframework.web.server.ServerWebExchange;
import tools.jackson.databind.node.ObjectNode;

/**
 * The parsed body of a model request ({@code /v1/chat/completions}, {@code /v1/completions},
 * {@code /v1/embeddings}). Parsed once; later filters (metering) may edit {@link #body} before the
 * proxy serialises it for the backend.
 *
 * @param body the JSON object as received, edited in place by filters that must change it
 * @param model the {@code model} the client asked for
 * @param size bytes of the body as received
 * @param raw the body as received, sent on as is unless a filter {@link #rewritten rewrote} it
 */
public record JsonRequest(ObjectNode body, String model, int size, byte[] raw) {

  static final String ATTR = JsonRequest.class.getName();
  static final String SERVED_MODEL_ATTR = JsonRequest.class.getName() + ".served";
  private static final String REWRITTEN_ATTR = JsonRequest.class.getName() + ".rewritten";

  /** A filter that edits {@link #body} says so here, so the proxy serialises it again. */
  public static void rewritten(ServerWebExchange exchange) {
    exchange.getAttributes().put(REWRITTEN_ATTR, Boolean.TRUE);
  }

  static boolean isRewritten(ServerWebExchange exchange) {
    return exchange.getAttributes().containsKey(REWRITTEN_ATTR);
  }

  public static @Nullable JsonRequest of(ServerWebExchange exchange) {
    return exchange.getAttribute(ATTR);
  }

  /** The model that actually answered: the requested one, or the fallback the proxy used. */
  public static String servedModel(ServerWebExchange exchange, JsonRequest request) {
    String served = exchange.getAttribute(SERVED_MODEL_ATTR);
    return served != null ? served : request.model();
  }

  public boolean stream() {
    return body.path("stream").asBoolean(false);
  }
}
