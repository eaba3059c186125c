package dev.latent.ml.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam with bias correction, in two flavours that differ only in where weight decay goes.
 *
 * <ul>
 *   <li>{@link Kind#ADAMW} (Loshchilov &amp; Hutter): decay is decoupled from the gradient,
 *       {@code p -= lr * (m̂ / (√v̂ + ε) + wd * p)}, so every weight shrinks by the same fraction
 *       whatever its gradient history.
 *   <li>{@link Kind#ADAM}: classic L2, {@code g += wd * p} before the moments, so the decay is
 *       rescaled by {@code 1/√v̂} like the gradient and weights with large gradients barely decay.
 * </ul>
 *
 * <p>Updates happen in place on the parameters, outside any gradient recording. State (m, v) lives
 * in this optimizer's own manager; {@link #state} exports it for checkpoints.
 */
public final class AdamOptimizer implements AutoCloseable {

  /** Where weight decay is applied. */
  public enum Kind { ADAMW, ADAM }

  /** Hyperparameters other than the learning rate (which comes per step from a schedule). */
  public record Settings(Kind kind, float beta1, float beta2, float eps, float weightDecay) {
    public Settings {
      if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) {
        throw new IllegalArgumentException("betas must be in [0, 1)");
      }
      if (eps <= 0 || weightDecay < 0) {
        throw new IllegalArgumentException("eps must be > 0 and weight decay >= 0");
      }
    }

    public static Settings of(Kind kind, float weightDecay) {
      return new Settings(kind, 0.9f, 0.999f, 1e-8f, weightDecay);
    }
  }

  private final Settings settings;
  private final NDManager manager;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private long steps;
  private long priorSteps;

  public AdamOptimizer(Settings settings, NDManager parent) {
    this.settings = settings;
    this.manager = parent.newSubManager();
  }

  public Settings settings() {
    return settings;
  }

  /** Updates taken so far (the bias-correction exponent of the next update minus one). */
  public long steps() {
    return steps;
  }

  /**
   * Updates the restored moments already carry from another run (a job that continues the optimizer
   * state of the job that made its base model): they count in the bias correction, not in
   * {@link #steps()}, which stays this run's position in its learning-rate schedule.
   */
  public AdamOptimizer priorSteps(long n) {
    if (n < 0) {
      throw new IllegalArgumentException("prior steps must be >= 0");
    }
    this.priorSteps = n;
    return this;
  }

  /**
   * One update of every parameter in {@code params} with the gradient of the same name in
   * {@code grads} (parameters without a gradient are skipped).
   */
  public void step(Map<String, NDArray> params, Map<String, NDArray> grads, float lr) {
    steps++;
    float b1 = settings.beta1();
    float b2 = settings.beta2();
    float bc1 = (float) (1 - Math.pow(b1, steps + priorSteps));
    float bc2 = (float) (1 - Math.pow(b2, steps + priorSteps));
    float wd = settings.weightDecay();
    for (var e : params.entrySet()) {
      NDArray g0 = grads.get(e.getKey());
      if (g0 == null) {
        continue;
      }
      NDArray p = e.getValue();
      NDArray mt = m.computeIfAbsent(e.getKey(), k -> manager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
      NDArray vt = v.computeIfAbsent(e.getKey(), k -> manager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
      // Temporaries go to a scratch manager so the model's and optimizer's managers do not grow.
      try (NDManager scratch = manager.newSubManager()) {
        p.tempAttach(scratch);
        g0.tempAttach(scratch);
        mt.tempAttach(scratch);
        vt.tempAttach(scratch);
        // in place where the value is not needed again, each temporary closed after its last use:
        // at most three parameter-sized arrays at a time (the 37 MB vocabulary matrices of the
        // 15m shape made eleven, which set full fine-tuning's memory peak)
        NDArray g = settings.kind() == Kind.ADAM && wd != 0 ? g0.add(p.mul(wd)) : g0;
        NDArray t = g.mul(1 - b1);
        mt.muli(b1).addi(t);
        t.close();
        t = g.square().muli(1 - b2);
        vt.muli(b2).addi(t);
        t.close();
        if (g != g0) {
          g.close();
        }
        t = vt.div(bc2);
        NDArray denominator = t.sqrt().addi(settings.eps());
        t.close();
        NDArray update = mt.div(bc1).divi(denominator);
        denominator.close();
        if (settings.kind() == Kind.ADAMW && wd != 0) {
          t = p.mul(wd);
          update.addi(t);
          t.close();
        }
        p.subi(update.muli(lr));
      }
    }
  }

  /** Moments as {@code m.<name>} / {@code v.<name>} (views; copy before closing this optimizer). */
  public Map<String, NDArray> state() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    m.forEach((k, a) -> out.put("m." + k, a));
    v.forEach((k, a) -> out.put("v." + k, a));
    return out;
  }

  /** Restores moments written by {@link #state} and the step count, for resuming a job. */
  public void restore(Map<String, NDArray> state, long stepCount) {
    state.forEach((k, a) -> {
      NDArray copy = a.duplicate();
      copy.attach(manager);
      if (k.startsWith("m.")) {
        m.put(k.substring(2), copy);
      } else if (k.startsWith("v.")) {
        v.put(k.substring(2), copy);
      }
    });
    this.steps = stepCount;
  }

  @Override
  public void close() {
    manager.close();
  }
}
