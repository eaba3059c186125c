package dev.latent.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.latent.ml.train.AdamOptimizer.Kind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One update of AdamW and of Adam+L2 against hand-computed values; schedules; clipping. */
class OptimizerMathTest {

  /**
   * p = [1, -2], g = [0.5, 0.1], lr 0.1, wd 0.1, betas 0.9/0.999. First step: m̂ = g, v̂ = g², so
   * the Adam direction is g/|g| = [1, 1] (up to ε).
   *
   * <p>AdamW: p − lr·(1 + wd·p) = [1 − 0.1·1.1, −2 − 0.1·(1 − 0.2)] = [0.89, −2.08]: the decay only
   * shrinks the weights, the second weight still moves along its gradient.
   *
   * <p>Adam+L2: g' = g + wd·p = [0.6, −0.1] so the direction is [1, −1]: p = [0.9, −1.9]. The
   * decay term entered the moments and, normalised by √v̂, outweighed the true gradient of the
   * second weight, which now moves against it.
   */
  @Test
  void oneUpdateOfAdamWAndAdamL2MatchHandComputedValues() {
    assertThat(oneStep(Kind.ADAMW)).containsExactly(new float[] {0.89f, -2.08f}, within(1e-6f));
    assertThat(oneStep(Kind.ADAM)).containsExactly(new float[] {0.9f, -1.9f}, within(1e-6f));
  }

  @Test
  void withoutWeightDecayBothAreTheSameAdam() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      float[][] out = new float[2][];
      int i = 0;
      for (Kind kind : Kind.values()) {
        NDArray p = m.create(new float[] {1f, -2f});
        try (AdamOptimizer opt = new AdamOptimizer(AdamOptimizer.Settings.of(kind, 0f), m)) {
          for (int s = 0; s < 3; s++) {
            opt.step(Map.of("p", p), Map.of("p", m.create(new float[] {0.5f * (s + 1), -0.3f})), 0.01f);
          }
        }
        out[i++] = p.toFloatArray();
      }
      assertThat(out[0]).containsExactly(out[1], within(1e-7f));
    }
  }

  /**
   * Restored moments m = 0.2, v = 0.01 that carry 9 prior updates, g = 0.5, lr 0.1, no decay: the
   * update is the 10th of the bias correction (m̂ = 0.23 / (1 − 0.9¹⁰), v̂ = 0.01024 / (1 − 0.999¹⁰)),
   * p = 1 − 0.1 · m̂ / √v̂ = 0.965182, while steps() (the schedule's position) counts from 0.
   */
  @Test
  void priorStepsCountInTheBiasCorrectionOnly() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray p = m.create(new float[] {1f});
      try (AdamOptimizer opt = new AdamOptimizer(AdamOptimizer.Settings.of(Kind.ADAMW, 0f), m)) {
        opt.restore(Map.of("m.p", m.create(new float[] {0.2f}), "v.p", m.create(new float[] {0.01f})), 0);
        opt.priorSteps(9).step(Map.of("p", p), Map.of("p", m.create(new float[] {0.5f})), 0.1f);
        assertThat(opt.steps()).isEqualTo(1);
      }
      assertThat(p.toFloatArray()).containsExactly(new float[] {0.965182f}, within(1e-6f));
    }
  }

  private static float[] oneStep(Kind kind) {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray p = m.create(new float[] {1f, -2f});
      NDArray g = m.create(new float[] {0.5f, 0.1f});
      int before = m.getManagedArrays().size();
      try (AdamOptimizer opt = new AdamOptimizer(AdamOptimizer.Settings.of(kind, 0.1f), m)) {
        opt.step(Map.of("p", p), Map.of("p", g), 0.1f);
        assertThat(opt.steps()).isEqualTo(1);
        assertThat(opt.state()).containsOnlyKeys("m.p", "v.p");
      }
      assertThat(m.getManagedArrays()).hasSize(before);
      return p.toFloatArray();
    }
  }

  @Test
  void schedulesWarmUpThenDecay() {
    LrSchedule cosine = LrSchedule.of(LrSchedule.Kind.COSINE, 1.0, 4, 14);
    assertThat(cosine.lr(0)).isEqualTo(0.25);
    assertThat(cosine.lr(3)).isEqualTo(1.0);
    assertThat(cosine.lr(4)).isEqualTo(1.0);
    assertThat(cosine.lr(9)).isCloseTo(0.5, within(1e-12));
    assertThat(cosine.lr(14)).isCloseTo(0.0, within(1e-12));
    LrSchedule linear = LrSchedule.of(LrSchedule.Kind.LINEAR, 2.0, 0, 10);
    assertThat(linear.lr(0)).isEqualTo(2.0);
    assertThat(linear.lr(5)).isCloseTo(1.0, within(1e-12));
    assertThat(linear.lr(20)).isCloseTo(0.0, within(1e-12));
    LrSchedule constant = LrSchedule.of(LrSchedule.Kind.CONSTANT, 0.5, 2, 10);
    assertThat(constant.lr(0)).isEqualTo(0.25);
    assertThat(constant.lr(9)).isEqualTo(0.5);
    assertThat(new LrSchedule(LrSchedule.Kind.COSINE, 1.0, 0, 10, 0.1).lr(10)).isCloseTo(0.1, within(1e-12));
  }

  @Test
  void clippingScalesToTheGlobalNorm() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray a = m.create(new float[] {3f, 0f});
      NDArray b = m.create(new float[] {0f, 4f, 0f});
      double norm = GradientClipping.clip(List.of(a, b), 1.0);
      assertThat(norm).isCloseTo(5.0, within(1e-6));
      assertThat(a.toFloatArray()).containsExactly(new float[] {0.6f, 0f}, within(1e-5f));
      assertThat(b.toFloatArray()).containsExactly(new float[] {0f, 0.8f, 0f}, within(1e-5f));
      assertThat(GradientClipping.clip(List.of(a, b), 10.0)).isCloseTo(1.0, within(1e-5));
      assertThat(a.toFloatArray()[0]).isCloseTo(0.6f, within(1e-5f));
    }
  }
}
