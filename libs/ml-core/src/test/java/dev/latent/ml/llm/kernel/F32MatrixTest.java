package dev.latent.ml.llm.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The float32 kernel against a plain double-precision product, on odd sizes (vector tails, row tails). */
class F32MatrixTest {

  @ParameterizedTest(name = "{0}x{1}, batch {2}")
  @CsvSource({
      "1, 1, 1", "3, 7, 1", "5, 31, 2", "7, 33, 3", "13, 65, 1", "37, 100, 5", "4, 257, 16",
      "9, 768, 1", "9, 768, 16", "130, 1001, 4", "2, 2048, 17", "6, 9, 7", "11, 40, 15"})
  void productEqualsADoublePrecisionReference(int rows, int cols, int batch) {
    SplittableRandom random = new SplittableRandom(rows * 1000L + cols);
    float[] w = gaussian(random, rows * cols);
    float[] x = gaussian(random, batch * cols);
    try (Arena arena = Arena.ofConfined()) {
      F32Matrix m = new F32Matrix(native32(arena, w), rows, cols);
      float[] y = new float[batch * rows];
      m.matMul(x, batch, y, 1);
      assertProductNear(y, w, x, rows, cols, batch);
      float[] row = new float[cols + 2];
      m.row(rows - 1, row, 1);
      for (int c = 0; c < cols; c++) {
        assertThat(row[1 + c]).isEqualTo(w[(rows - 1) * cols + c]);
      }
    }
  }

  @ParameterizedTest(name = "batch {0}")
  @CsvSource({"1", "3", "16"})
  void rowsSplitOverThreadsGiveTheSameResults(int batch) {
    int rows = 515;
    int cols = 777; // 1.6 MB: split into several parts
    SplittableRandom random = new SplittableRandom(11);
    float[] x = gaussian(random, batch * cols);
    try (Arena arena = Arena.ofShared()) { // the helper threads read it too
      F32Matrix m = new F32Matrix(native32(arena, gaussian(random, rows * cols)), rows, cols);
      float[] one = new float[batch * rows];
      float[] three = new float[batch * rows];
      m.matMul(x, batch, one, 1);
      m.matMul(x, batch, three, 3);
      // the same bits: a row's sum does not depend on the thread, nor on whether that thread runs
      // the kernel interpreted or compiled (Lanes.sum; reduceLanes failed this)
      assertThat(three).isEqualTo(one);
    }
  }

  /**
   * Each input's outputs are bit for bit what that input alone gives, whatever the batch: 61 rows
   * of 1700 columns are three row blocks, three column chunks (768, 768, 160) and a 4-column tail,
   * and batches 2–17 cover the 8-, 4- and 1-input tiles. The serving runtime relies on it (greedy
   * outputs of concurrent streams equal the same prompts run one at a time).
   */
  @ParameterizedTest(name = "batch {0}")
  @CsvSource({"2", "3", "4", "5", "7", "8", "9", "12", "13", "16", "17"})
  void eachInputGivesTheBitsItGivesAlone(int batch) {
    int rows = 61;
    int cols = 1700;
    SplittableRandom random = new SplittableRandom(batch);
    float[] x = gaussian(random, batch * cols);
    try (Arena arena = Arena.ofConfined()) {
      F32Matrix m = new F32Matrix(native32(arena, gaussian(random, rows * cols)), rows, cols);
      float[] y = new float[batch * rows];
      m.matMul(x, batch, y, 1);
      for (int i = 0; i < batch; i++) {
        float[] alone = new float[rows];
        m.matMul(java.util.Arrays.copyOfRange(x, i * cols, (i + 1) * cols), 1, alone, 1);
        assertThat(java.util.Arrays.copyOfRange(y, i * rows, (i + 1) * rows)).as("input %d", i).isEqualTo(alone);
      }
    }
  }

  @org.junit.jupiter.api.Test
  void refusesMemoryThatIsTooSmallAndMismatchedInputs() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment five = arena.allocate(5 * Float.BYTES);
      assertThatThrownBy(() -> new F32Matrix(five, 2, 3)).hasMessageContaining("2x3");
      F32Matrix m = new F32Matrix(arena.allocate(6 * Float.BYTES), 2, 3);
      assertThatThrownBy(() -> m.matMul(new float[5], 2, new float[4], 1)).hasMessageContaining("2x3");
    }
  }

  /**
   * {@code y = x Wᵀ} against a double-precision product: f32 accumulation stays well under 1e-5
   * of the sum of magnitudes; a misplaced weight or input element is off by about one term,
   * orders of magnitude more.
   */
  static void assertProductNear(float[] y, float[] w, float[] x, int rows, int cols, int batch) {
    for (int i = 0; i < batch; i++) {
      for (int r = 0; r < rows; r++) {
        double exact = 0;
        double magnitude = 0;
        for (int c = 0; c < cols; c++) {
          exact += (double) w[r * cols + c] * x[i * cols + c];
          magnitude += Math.abs((double) w[r * cols + c] * x[i * cols + c]);
        }
        assertThat((double) y[i * rows + r]).as("row %d of input %d", r, i)
            .isCloseTo(exact, within(1e-5 * magnitude + 1e-7));
      }
    }
  }

  static MemorySegment native32(Arena arena, float[] values) {
    MemorySegment s = arena.allocate((long) values.length * Float.BYTES, 64);
    MemorySegment.copy(values, 0, s, ValueLayout.JAVA_FLOAT, 0, values.length);
    return s;
  }

  static float[] gaussian(SplittableRandom random, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return out;
  }
}
