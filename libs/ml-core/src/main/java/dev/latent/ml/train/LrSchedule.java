package dev.latent.ml.train;

/**
 * Linear warmup from 0 to the peak over {@code warmupSteps}, then cosine or linear decay to
 * {@code minRatio * peak} at {@code totalSteps}, or constant. Steps count from 0.
 */
public record LrSchedule(Kind kind, double peak, int warmupSteps, int totalSteps, double minRatio) {

  /** Shape after warmup. */
  public enum Kind { COSINE, LINEAR, CONSTANT }

  public LrSchedule {
    if (peak <= 0 || warmupSteps < 0 || totalSteps < 1 || minRatio < 0 || minRatio > 1) {
      throw new IllegalArgumentException("invalid schedule: peak " + peak + ", warmup " + warmupSteps
          + ", total " + totalSteps + ", min ratio " + minRatio);
    }
  }

  public static LrSchedule of(Kind kind, double peak, int warmupSteps, int totalSteps) {
    return new LrSchedule(kind, peak, warmupSteps, totalSteps, 0);
  }

  /** The learning rate for update number {@code step} (0-based). */
  public double lr(long step) {
    if (step < warmupSteps) {
      return peak * (step + 1) / warmupSteps;
    }
    if (kind == Kind.CONSTANT) {
      return peak;
    }
    int decaySteps = Math.max(1, totalSteps - warmupSteps);
    double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
    double factor = kind == Kind.COSINE ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
    return peak * (minRatio + (1 - minRatio) * factor);
  }
}
