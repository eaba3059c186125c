package dev.latent.inference.openai;

import dev.latent.support.problem.ProblemException;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Range checks for wire records' compact constructors: a bad value is a 400 naming it. */
public final class Params {

  private Params() {}

  public static void range(String name, @Nullable Double value, double min, double max) {
    if (value != null && (value.isNaN() || value < min || value > max)) {
      throw ProblemException.invalidParameter(
          name, name + " must be between " + min + " and " + max + ", got " + value);
    }
  }

  public static void range(String name, @Nullable Integer value, int min, int max) {
    if (value != null && (value < min || value > max)) {
      throw ProblemException.invalidParameter(
          name, name + " must be between " + min + " and " + max + ", got " + value);
    }
  }

  public static void required(String name, @Nullable Object value) {
    if (value == null || value instanceof String s && s.isBlank()) {
      throw ProblemException.invalidParameter(name, name + " is required");
    }
  }

  /** {@code stop}: up to four strings (OpenAI's limit), none empty. */
  public static List<String> stop(@Nullable List<String> stop) {
    if (stop == null) {
      return List.of();
    }
    if (stop.size() > 4) {
      throw ProblemException.invalidParameter("stop", "stop takes at most 4 sequences");
    }
    if (stop.stream().anyMatch(s -> s == null || s.isEmpty())) {
      throw ProblemException.invalidParameter("stop", "stop sequences must not be empty");
    }
    return List.copyOf(stop);
  }
}
