package dev.latent.ml.train;

import java.util.List;

/**
 * LoRA hyperparameters as PEFT names them: rank {@code r}, {@code alpha} (the update is scaled by
 * {@code alpha / r}), {@code dropout} on the adapter input, and the module names adapted
 * ({@code q_proj}, {@code k_proj}, {@code v_proj}, {@code o_proj}, {@code gate_proj},
 * {@code up_proj}, {@code down_proj}).
 */
public record LoraConfig(int r, double alpha, double dropout, List<String> targetModules) {

  public static final List<String> DEFAULT_TARGETS = List.of("q_proj", "v_proj");
  public static final List<String> SUPPORTED_TARGETS =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  public LoraConfig {
    if (r < 1) {
      throw new IllegalArgumentException("r must be >= 1");
    }
    if (alpha <= 0) {
      throw new IllegalArgumentException("alpha must be > 0");
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("dropout must be in [0, 1)");
    }
    targetModules = List.copyOf(targetModules.isEmpty() ? DEFAULT_TARGETS : targetModules);
    for (String t : targetModules) {
      if (!SUPPORTED_TARGETS.contains(t)) {
        throw new IllegalArgumentException("unknown target module " + t + "; supported: " + SUPPORTED_TARGETS);
      }
    }
  }

  public double scale() {
    return alpha / r;
  }
}
