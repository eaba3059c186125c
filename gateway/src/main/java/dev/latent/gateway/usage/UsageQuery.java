package dev.latent.gateway.usage;

import dev.latent.support.problem.ProblemException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import org.jspecify.annotations.Nullable;

/** Parses the usage API's common parameters; any bad one is a 400 naming it. */
final class UsageQuery {

  private UsageQuery() {}

  /** {@code 2026-11-28}, {@code 2026-11-28T10:00:00Z} or unix seconds. */
  static @Nullable Instant time(String name, @Nullable String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      if (value.matches("\\d{1,12}")) {
        return Instant.ofEpochSecond(Long.parseLong(value));
      }
      if (value.length() == 10) {
        return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
      }
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw ProblemException.invalidParameter(name,
          name + " must be a date (2026-11-28), an ISO instant (2026-11-28T10:00:00Z) or unix seconds");
    }
  }

  static boolean csv(@Nullable String format) {
    if (format == null || format.equals("json")) {
      return false;
    }
    if (format.equals("csv")) {
      return true;
    }
    throw ProblemException.invalidParameter("format", "format must be json or csv");
  }

  static String csvField(@Nullable Object value) {
    String text = value == null ? "" : value.toString();
    return text.contains(",") || text.contains("\"") || text.contains("\n")
        ? "\"" + text.replace("\"", "\"\"") + "\"" : text;
  }
}
