package dev.latent.training.jobs;

import dev.latent.support.problem.ProblemException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/** The registered {@link TrainingMethod}s by {@code method.type} (the LLM types are built in). */
@Component
public class TrainingMethods {

  /** The types {@link TrainingRun} trains. */
  public static final List<String> BUILT_IN = List.of("supervised", "dpo", "pretrain");

  private final Map<String, TrainingMethod> byType = new TreeMap<>();

  public TrainingMethods(ObjectProvider<TrainingMethod> methods) {
    methods.orderedStream().forEach(m -> {
      if (BUILT_IN.contains(m.type()) || byType.putIfAbsent(m.type(), m) != null) {
        throw new IllegalStateException("two training methods for method.type " + m.type());
      }
    });
  }

  /** The method for {@code type}, or null for a built-in (LLM) type. */
  public @Nullable TrainingMethod get(String type) {
    return byType.get(type);
  }

  /** The method for {@code type}; 400 on method.type when it is neither built in nor registered. */
  public @Nullable TrainingMethod require(String type) {
    TrainingMethod m = byType.get(type);
    if (m == null && !BUILT_IN.contains(type)) {
      throw ProblemException.invalidParameter("method.type", "method.type must be one of " + types());
    }
    return m;
  }

  public List<String> types() {
    List<String> all = new java.util.ArrayList<>(BUILT_IN);
    all.addAll(byType.keySet());
    return all;
  }
}
