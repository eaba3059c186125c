package dev.latent.gateway.routing;

import dev.latent.support.problem.ProblemException;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ServerWebExchange;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The body of a model request ({@code /v1/chat/completions}, {@code /v1/completions},
 * {@code /v1/embeddings}), read once, token by token: checked to be one JSON object with a string
 * {@code model}, and the few top-level members filters ask about ({@link #MEMBERS}) noted by
 * position. The tree of the whole body is built only when a filter needs it ({@link #body()}:
 * a rewrite, a fallback model): plain routing and metering of a JSON request never build it.
 * A tree per request was the largest of our own allocations on the event loops (JFR, 2026-11-29
 * seventh session).
 */
public final class JsonRequest {

  static final String ATTR = JsonRequest.class.getName();
  static final String SERVED_MODEL_ATTR = JsonRequest.class.getName() + ".served";
  private static final String REWRITTEN_ATTR = JsonRequest.class.getName() + ".rewritten";
  /** Top-level members whose place in the body the scan keeps, so {@link #member} needs no tree. */
  static final List<String> MEMBERS = List.of("stream", "stream_options", "max_tokens", "max_completion_tokens", "n");

  private final JsonMapper json;
  private final byte[] raw;
  private final String model;
  // [start, end) of each noted member's value in raw, in MEMBERS' order; -1 = absent
  private final int[] spans;
  private @Nullable ObjectNode body;

  private JsonRequest(JsonMapper json, byte[] raw, String model, int[] spans) {
    this.json = json;
    this.raw = raw;
    this.model = model;
    this.spans = spans;
  }

  /**
   * Reads {@code bytes} as a model request.
   *
   * @throws ProblemException 400 when it is empty, not JSON, not one object, or has no string {@code model}
   */
  public static JsonRequest parse(JsonMapper json, byte[] bytes) {
    if (bytes.length == 0) {
      throw ProblemException.badRequest("Request body is empty; a JSON object is required");
    }
    int[] spans = new int[2 * MEMBERS.size()];
    Arrays.fill(spans, -1);
    String model = null;
    boolean modelSeen = false;
    try (JsonParser parser = json.tokenStreamFactory().createParser(ObjectReadContext.empty(), bytes, 0, bytes.length)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw ProblemException.badRequest("Request body must be a JSON object");
      }
      while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        if ("model".equals(name)) {
          modelSeen = true;
          model = value == JsonToken.VALUE_STRING ? parser.getString() : null; // the last one counts, as in a tree
          continue;
        }
        int member = MEMBERS.indexOf(name);
        int start = member < 0 ? 0 : (int) parser.currentTokenLocation().getByteOffset();
        parser.skipChildren();
        if (member >= 0) {
          parser.finishToken(); // a string is read lazily: its end is known once it is finished
          spans[2 * member] = start;
          spans[2 * member + 1] = (int) parser.currentLocation().getByteOffset();
        }
      }
      if (parser.nextToken() != null) {
        throw new ProblemException(HttpStatus.BAD_REQUEST, "malformed-request",
            "Malformed JSON request body: content after the JSON object", "invalid_request", null);
      }
    } catch (JacksonException e) {
      String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().lines().findFirst().orElse("");
      throw new ProblemException(HttpStatus.BAD_REQUEST, "malformed-request",
          "Malformed JSON request body: " + message, "invalid_request", null);
    }
    if (!modelSeen || model == null || model.isBlank()) {
      throw ProblemException.invalidParameter("model", "model is required (a string naming the model)");
    }
    return new JsonRequest(json, bytes, model, spans);
  }

  /** The {@code model} the client asked for. */
  public String model() {
    return model;
  }

  /** Bytes of the body as received. */
  public int size() {
    return raw.length;
  }

  /** The body as received, sent on as is unless a filter {@link #rewritten rewrote} it. */
  public byte[] raw() {
    return raw;
  }

  /**
   * The top-level member {@code name} (one of {@link #MEMBERS}) as a tree, or null when the body
   * has none; only that member's bytes are parsed.
   */
  public @Nullable JsonNode member(String name) {
    int i = MEMBERS.indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException(name + " is not a member the scan keeps: " + MEMBERS);
    }
    if (body != null) {
      return body.get(name); // a filter may have edited the tree
    }
    int start = spans[2 * i];
    return start < 0 ? null : json.readTree(raw, start, spans[2 * i + 1] - start);
  }

  /**
   * The JSON object as received, built on first use; filters that must change the request edit
   * it in place and say so with {@link #rewritten}, so the proxy serialises it again.
   */
  public ObjectNode body() {
    ObjectNode tree = body;
    if (tree == null) {
      tree = (ObjectNode) json.readTree(raw);
      body = tree;
    }
    return tree;
  }

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
    JsonNode stream = member("stream");
    return stream != null && stream.asBoolean(false);
  }
}
