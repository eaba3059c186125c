package dev.latent.support.problem;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/**
 * One error answer: an RFC 9457 problem with a stable {@code type}, plus what an OpenAI client
 * reads from {@code error}. Built by {@link ProblemException} or resolved from framework errors.
 *
 * @param slug stable last segment of the problem type URI, e.g. {@code invalid-parameter}
 * @param status HTTP status
 * @param detail human-readable explanation of this occurrence
 * @param code OpenAI-style machine code ({@code model_not_found}, {@code insufficient_quota}…)
 * @param param the request parameter at fault, if one is
 * @param properties extra members written at the top level of the problem
 * @param headers response headers to send with it, e.g. {@code Retry-After}
 */
public record Problem(
    String slug,
    HttpStatus status,
    String detail,
    @Nullable String code,
    @Nullable String param,
    Map<String, Object> properties,
    HttpHeaders headers) {

  /** Prefix of every problem type this platform answers with. */
  public static final String TYPE_PREFIX = "https://latent.dev/problems/";

  public Problem {
    if (!slug.matches("[a-z0-9-]+")) {
      throw new IllegalArgumentException("problem slug must be kebab-case: " + slug);
    }
    properties = Map.copyOf(properties);
  }

  public URI type() {
    return URI.create(TYPE_PREFIX + slug);
  }

  public String title() {
    return status.getReasonPhrase();
  }

  /**
   * The JSON body: RFC 9457 members, the extra properties, and on OpenAI paths an {@code error}
   * object with {@code message}, {@code type}, {@code code} and {@code param}.
   */
  public Map<String, Object> body(String instance, @Nullable String requestId, boolean openAiShape) {
    var body = new LinkedHashMap<String, Object>();
    body.put("type", type().toString());
    body.put("title", title());
    body.put("status", status.value());
    body.put("detail", detail);
    body.put("instance", instance);
    if (requestId != null) {
      body.put("request_id", requestId);
    }
    body.putAll(properties);
    if (openAiShape) {
      body.put("error", openAiError());
    }
    return body;
  }

  /** The {@code error} member as OpenAI's API writes it. */
  public Map<String, Object> openAiError() {
    var error = new LinkedHashMap<String, Object>();
    error.put("message", detail);
    error.put("type", openAiType());
    error.put("code", code != null ? code : slug.replace('-', '_'));
    error.put("param", param);
    return error;
  }

  private String openAiType() {
    if ("insufficient_quota".equals(code)) {
      return "insufficient_quota";
    }
    return switch (status) {
      case UNAUTHORIZED -> "authentication_error";
      case FORBIDDEN -> "permission_error";
      case NOT_FOUND -> "not_found_error";
      case TOO_MANY_REQUESTS -> "rate_limit_error";
      case PAYMENT_REQUIRED -> "insufficient_quota";
      default -> status.is4xxClientError() ? "invalid_request_error" : "server_error";
    };
  }
}
