package dev.latent.support.problem;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/**
 * Thrown by service code (and by wire records' compact constructors) to answer with a specific
 * problem. The factory methods cover the common cases; {@link #with} adds members.
 */
public class ProblemException extends RuntimeException {

  private final String slug;
  private final HttpStatus status;
  private final @Nullable String code;
  private final @Nullable String param;
  private final Map<String, Object> properties = new LinkedHashMap<>();
  private final HttpHeaders headers = new HttpHeaders();

  public ProblemException(HttpStatus status, String slug, String detail) {
    this(status, slug, detail, null, null);
  }

  public ProblemException(
      HttpStatus status, String slug, String detail, @Nullable String code, @Nullable String param) {
    super(detail, null, false, false);
    this.status = status;
    this.slug = slug;
    this.code = code;
    this.param = param;
  }

  /** 400 for a request parameter with a bad value; the message names the parameter. */
  public static ProblemException invalidParameter(String param, String detail) {
    return new ProblemException(
        HttpStatus.BAD_REQUEST, "invalid-parameter", detail, "invalid_parameter", param);
  }

  public static ProblemException badRequest(String detail) {
    return new ProblemException(HttpStatus.BAD_REQUEST, "bad-request", detail);
  }

  public static ProblemException notFound(String code, String detail) {
    return new ProblemException(HttpStatus.NOT_FOUND, "not-found", detail, code, null);
  }

  public static ProblemException conflict(String detail) {
    return new ProblemException(HttpStatus.CONFLICT, "conflict", detail);
  }

  /** 429 or 503 with {@code Retry-After}: the caller may try again later. */
  public static ProblemException overloaded(HttpStatus status, String detail, Duration retryAfter) {
    return new ProblemException(status, "overloaded", detail, "overloaded", null)
        .retryAfter(retryAfter);
  }

  public ProblemException with(String name, Object value) {
    properties.put(name, value);
    return this;
  }

  public ProblemException header(String name, String value) {
    headers.set(name, value);
    return this;
  }

  public ProblemException retryAfter(Duration retryAfter) {
    long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    return header(HttpHeaders.RETRY_AFTER, Long.toString(seconds)).with("retry_after_seconds", seconds);
  }

  public HttpStatus status() {
    return status;
  }

  public Problem problem() {
    return new Problem(slug, status, getMessage(), code, param, properties, headers);
  }
}
