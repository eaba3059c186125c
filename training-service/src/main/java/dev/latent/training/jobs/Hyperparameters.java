package dev.latent.training.jobs;

import dev.latent.support.problem.ProblemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link TrainingMethod}'s {@code method.<type>.hyperparameters}, read the same way by every
 * method: only known keys, typed values in range, defaults for absent ones, and a 400 naming
 * {@code hyperparameters.<key>} for anything else.
 */
public final class Hyperparameters {

  private final Map<String, Object> values;

  private Hyperparameters(Map<String, Object> values) {
    this.values = values;
  }

  /** {@code block.hyperparameters} (or none) of method {@code type}, refusing keys outside {@code known}. */
  @SuppressWarnings("unchecked")
  public static Hyperparameters of(String type, Map<String, Object> block, Set<String> known) {
    Object h = block.get("hyperparameters");
    Map<String, Object> values = h instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    for (String k : values.keySet()) {
      if (!known.contains(k)) {
        throw ProblemException.invalidParameter("hyperparameters." + k,
            k + " is not a " + type + " hyperparameter; known: " + known.stream().sorted().toList());
      }
    }
    return new Hyperparameters(values);
  }

  /** An integer in {@code [min, max]}, {@code def} when absent. */
  public int integer(String k, int def, int min, int max) {
    Object v = values.get(k);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Integer i) || i < min || i > max) {
      throw ProblemException.invalidParameter("hyperparameters." + k,
          k + " must be an integer in [" + min + ", " + max + "]");
    }
    return i;
  }

  /** A number in {@code [min, max]}, {@code def} when absent. */
  public double number(String k, double def, double min, double max) {
    Object v = values.get(k);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Number n) || !(n.doubleValue() >= min && n.doubleValue() <= max)) {
      throw ProblemException.invalidParameter("hyperparameters." + k,
          k + " must be a number in [" + min + ", " + max + "]");
    }
    return n.doubleValue();
  }

  /** A list of non-blank path strings, empty when absent. */
  public List<Path> paths(String k) {
    Object v = values.get(k);
    if (v == null) {
      return List.of();
    }
    List<Path> out = new ArrayList<>();
    if (v instanceof List<?> list) {
      for (Object o : list) {
        if (!(o instanceof String s) || s.isBlank()) {
          throw ProblemException.invalidParameter("hyperparameters." + k, k + " must be a list of paths");
        }
        out.add(Path.of(s));
      }
      return out;
    }
    throw ProblemException.invalidParameter("hyperparameters." + k, k + " must be a list of paths");
  }
}
