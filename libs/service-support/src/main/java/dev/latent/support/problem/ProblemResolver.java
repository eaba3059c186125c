package dev.latent.support.problem;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.core.codec.CodecException;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.support.WebExchangeBindException;
import org.springframework.web.reactive.resource.NoResourceFoundException;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.NotAcceptableStatusException;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;

/** Maps any throwable a request can end with onto one {@link Problem}. */
public final class ProblemResolver {

  private static final int MAX_DETAIL = 300;

  public Problem resolve(Throwable error) {
    ProblemException explicit = find(error, ProblemException.class);
    if (explicit != null) {
      return explicit.problem();
    }
    DataBufferLimitException tooLarge = find(error, DataBufferLimitException.class);
    if (tooLarge != null) {
      return problem(HttpStatus.CONTENT_TOO_LARGE, "payload-too-large",
          "Request body is larger than this endpoint accepts", "payload_too_large");
    }
    return switch (error) {
      case WebExchangeBindException bind -> validation(bind);
      case NoResourceFoundException ignored -> problem(HttpStatus.NOT_FOUND, "not-found",
          "No endpoint at this path (the API is described at /v3/api-docs)", "not_found");
      case UnsupportedMediaTypeStatusException media -> problem(
          HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
          "Content-Type " + (media.getContentType() == null ? "(none)" : media.getContentType())
              + " is not supported; use one of " + media.getSupportedMediaTypes(),
          "unsupported_media_type");
      case MethodNotAllowedException method -> withHeaders(problem(HttpStatus.METHOD_NOT_ALLOWED,
          "method-not-allowed", "Method " + method.getHttpMethod() + " is not allowed here",
          "method_not_allowed"), method.getHeaders());
      case NotAcceptableStatusException notAcceptable -> problem(HttpStatus.NOT_ACCEPTABLE,
          "not-acceptable", "Cannot produce any of the accepted media types", "not_acceptable");
      case ServerWebInputException input -> problem(HttpStatus.BAD_REQUEST, "malformed-request",
          inputDetail(input), "invalid_request");
      case ErrorResponse response -> fromStatus(response);
      default -> problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error",
          "The server failed to handle this request", "internal_error");
    };
  }

  private static Problem fromStatus(ErrorResponse response) {
    HttpStatus status = HttpStatus.resolve(response.getStatusCode().value());
    if (status == null) {
      status = HttpStatus.INTERNAL_SERVER_ERROR;
    }
    String detail = response.getBody().getDetail();
    String slug = status.getReasonPhrase().toLowerCase().replaceAll("[^a-z0-9]+", "-");
    return withHeaders(problem(status, slug, detail != null ? detail : status.getReasonPhrase(),
        slug.replace('-', '_')), response.getHeaders());
  }

  private static Problem validation(WebExchangeBindException bind) {
    List<Map<String, String>> errors = bind.getFieldErrors().stream()
        .map(e -> Map.of("field", e.getField(), "message", String.valueOf(e.getDefaultMessage())))
        .toList();
    String first = errors.isEmpty() ? "Request is invalid"
        : errors.getFirst().get("field") + ": " + errors.getFirst().get("message");
    String param = errors.isEmpty() ? null : errors.getFirst().get("field");
    return new Problem("invalid-parameter", HttpStatus.BAD_REQUEST, first, "invalid_parameter",
        param, Map.of("errors", errors), new HttpHeaders());
  }

  /** The most specific reason a body could not be read: a record's own validation message wins. */
  private static String inputDetail(ServerWebInputException input) {
    IllegalArgumentException invalid = find(input, IllegalArgumentException.class);
    if (invalid != null && invalid.getMessage() != null) {
      return "Invalid request: " + truncate(invalid.getMessage());
    }
    CodecException codec = find(input, CodecException.class);
    if (codec != null) {
      Throwable root = codec;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      String message = root.getMessage() == null ? "" : root.getMessage().lines().findFirst().orElse("");
      return "Malformed JSON request body: " + truncate(message);
    }
    return input.getReason() != null ? input.getReason() : "Malformed request";
  }

  private static Problem problem(HttpStatus status, String slug, String detail, String code) {
    return new Problem(slug, status, detail, code, null, Map.of(), new HttpHeaders());
  }

  private static Problem withHeaders(Problem problem, HttpHeaders headers) {
    problem.headers().addAll(headers);
    return problem;
  }

  private static String truncate(String text) {
    return text.length() <= MAX_DETAIL ? text : text.substring(0, MAX_DETAIL) + "…";
  }

  static <T extends Throwable> @Nullable T find(Throwable error, Class<T> type) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }
}
