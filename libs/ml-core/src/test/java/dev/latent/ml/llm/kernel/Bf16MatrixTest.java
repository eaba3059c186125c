package dev.latent.ml.llm.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The kernel against a plain double-precision product of the same (bf16) weights. */
class Bf16MatrixTest {

  @ParameterizedTest(name = "{0}x{1}, batch {2}")
  @CsvSource({
      "1, 1, 1", "3, 7, 1", "5, 31, 2", "7, 33, 3", "13, 65, 1", "37, 100, 5", "4, 257, 16",
      "9, 768, 1", "9, 768, 16", "130, 1001, 4", "2, 2048, 17"})
  void productEqualsADoublePrecisionReference(int rows, int cols, int batch) {
    SplittableRandom random = new SplittableRandom(rows * 1000L + cols);
    float[] w = gaussian(random, rows * cols);
    float[] x = gaussian(random, batch * cols);
    try (Bf16Matrix m = Bf16Matrix.round(w, rows, cols)) {
      float[] wide = m.widen();
      float[] y = new float[batch * rows];
      m.matMul(x, batch, y, 1);
      F32MatrixTest.assertProductNear(y, wide, x, rows, cols, batch);
      if (batch == 1) {
        float[] v = new float[rows];
        m.matVec(x, v);
        for (int r = 0; r < rows; r++) {
          assertThat(v[r]).isCloseTo(y[r], within(1e-4f * (1 + Math.abs(y[r]))));
        }
      }
    }
  }

  @ParameterizedTest(name = "batch {0}")
  @CsvSource({"1", "3", "16"})
  void rowsSplitOverThreadsGiveIdenticalResults(int batch) {
    int rows = 515;
    int cols = 777; // 800 KB of bf16: split into several parts
    SplittableRandom random = new SplittableRandom(11);
    float[] x = gaussian(random, batch * cols);
    try (Bf16Matrix m = Bf16Matrix.round(gaussian(random, rows * cols), rows, cols)) {
      float[] one = new float[batch * rows];
      float[] three = new float[batch * rows];
      m.matMul(x, batch, one, 1);
      m.matMul(x, batch, three, 3);
      for (int i = 0; i < one.length; i++) {
        // the same products; only the lane reduction may differ (a helper thread can still run the
        // interpreted Vector API, which sums lanes in another order than the compiled intrinsic)
        assertThat(three[i]).as("element %d", i).isCloseTo(one[i], within(1e-4f * (1 + Math.abs(one[i]))));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"1.0", "-2.5", "3.0e-40", "65504.0", "1.00390625", "1.01171875", "-1.00390625"})
  void storesTheRoundedValueOfEachElement(float value) {
    try (Bf16Matrix m = Bf16Matrix.round(new float[] {value, 0f, value}, 1, 3)) {
      assertThat(m.bits(0, 0)).isEqualTo(Bf16.round(value));
      assertThat(m.widen()[2]).isEqualTo(Bf16.widen(Bf16.round(value)));
    }
  }

  @org.junit.jupiter.api.Test
  void rejectsMismatchedSizes() {
    assertThatThrownBy(() -> Bf16Matrix.round(new float[5], 2, 3)).hasMessageContaining("2x3");
    try (Bf16Matrix m = Bf16Matrix.round(new float[6], 2, 3)) {
      assertThatThrownBy(() -> m.matMul(new float[3], 2, new float[4], 1)).hasMessageContaining("2x3");
    }
  }

  static float[] gaussian(SplittableRandom random, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      // Box-Muller: the kernel must not depend on the values' sign or scale
      out[i] = (float) (Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble()));
    }
    return out;
  }
}
