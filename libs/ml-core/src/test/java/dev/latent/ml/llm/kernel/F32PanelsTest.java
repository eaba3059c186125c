package dev.latent.ml.llm.kernel;

import static dev.latent.ml.llm.kernel.F32MatrixTest.assertProductNear;
import static dev.latent.ml.llm.kernel.F32MatrixTest.gaussian;
import static dev.latent.ml.llm.kernel.F32MatrixTest.native32;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The float32 kernel on its panel copy ({@link F32Matrix#withPanels}): products against a
 * double-precision reference, the same bits for each input whatever the batch and the threads.
 */
class F32PanelsTest {

  @ParameterizedTest(name = "{0}x{1}, batch {2}")
  @CsvSource({
      "1, 1, 1", "3, 7, 1", "15, 31, 2", "16, 33, 3", "17, 65, 1", "37, 100, 5", "64, 257, 16",
      "9, 768, 1", "70, 768, 16", "130, 1001, 4", "2, 2048, 17", "6, 9, 7", "40, 40, 13",
      "70, 768, 80", "33, 2048, 48"})
  void productEqualsADoublePrecisionReference(int rows, int cols, int batch) {
    SplittableRandom random = new SplittableRandom(rows * 1000L + cols);
    float[] w = gaussian(random, rows * cols);
    float[] x = gaussian(random, batch * cols);
    try (Arena arena = Arena.ofConfined()) {
      F32Matrix m = new F32Matrix(native32(arena, w), rows, cols).withPanels(arena);
      assertThat(m.hasPanels()).isTrue();
      assertThat(m.panelBytes()).as("made at the first product").isZero();
      float[] y = new float[batch * rows + 3];
      Arrays.fill(y, 7f);
      m.matMul(x, batch, y, 1);
      assertThat(m.panelBytes()).isEqualTo((rows + 15) / 16 * 16L * cols * Float.BYTES);
      assertProductNear(y, w, x, rows, cols, batch);
      assertThat(Arrays.copyOfRange(y, batch * rows, y.length)).as("nothing past the outputs")
          .containsExactly(7f, 7f, 7f);
    }
  }

  /**
   * Each input's outputs are bit for bit what that input alone gives: 61 rows are three full panels
   * and a partial one (batch 1 runs them four a quarter apart, then one), 300 columns make
   * several fetch blocks, and batches 2–17 cover the 6-, 4- and 1-input tiles; 48, 80 and 272 are
   * mixed steps' sizes (16 decoding rows and a prompt chunk of 32, 64 or 256 rows). The serving
   * runtime relies on it (greedy outputs of concurrent streams equal the same prompts one at a time).
   */
  @ParameterizedTest(name = "batch {0}")
  @CsvSource({"2", "3", "4", "5", "6", "7", "9", "10", "11", "12", "13", "16", "17", "32", "48", "80", "272"})
  void eachInputGivesTheBitsItGivesAlone(int batch) {
    int rows = 61 * 16 + 5;
    int cols = 300;
    SplittableRandom random = new SplittableRandom(batch);
    float[] x = gaussian(random, batch * cols);
    try (Arena arena = Arena.ofConfined()) {
      F32Matrix m = new F32Matrix(native32(arena, gaussian(random, rows * cols)), rows, cols).withPanels(arena);
      float[] y = new float[batch * rows];
      m.matMul(x, batch, y, 1);
      for (int i = 0; i < batch; i++) {
        float[] alone = new float[rows];
        m.matMul(Arrays.copyOfRange(x, i * cols, (i + 1) * cols), 1, alone, 1);
        assertThat(Arrays.copyOfRange(y, i * rows, (i + 1) * rows)).as("input %d", i).isEqualTo(alone);
      }
    }
  }

  @ParameterizedTest(name = "batch {0}")
  @CsvSource({"1", "3", "16", "80"})
  void rowsSplitOverThreadsGiveTheSameResults(int batch) {
    int rows = 515;
    int cols = 777; // 1.6 MB: split into several parts of whole panels
    SplittableRandom random = new SplittableRandom(11);
    float[] x = gaussian(random, batch * cols);
    try (Arena arena = Arena.ofShared()) { // the helper threads read it too
      F32Matrix m = new F32Matrix(native32(arena, gaussian(random, rows * cols)), rows, cols).withPanels(arena);
      float[] one = new float[batch * rows];
      float[] three = new float[batch * rows];
      m.matMul(x, batch, one, 1);
      m.matMul(x, batch, three, 3);
      assertThat(three).isEqualTo(one);
    }
  }

  @org.junit.jupiter.api.Test
  void withoutPanelsReadsTheViewAgainAndRowsComeFromIt() {
    SplittableRandom random = new SplittableRandom(5);
    int rows = 20;
    int cols = 24;
    float[] w = gaussian(random, rows * cols);
    try (Arena arena = Arena.ofConfined()) {
      var memory = native32(arena, w);
      F32Matrix packed = new F32Matrix(memory, rows, cols).withPanels(arena);
      float[] row = new float[cols];
      packed.row(17, row, 0);
      assertThat(row).containsExactly(Arrays.copyOfRange(w, 17 * cols, 18 * cols));
      float[] x = new float[cols];
      x[0] = 1;
      float[] y = new float[rows];
      packed.matMul(x, 1, y, 1);
      assertThat(y[0]).isEqualTo(w[0]);
      memory.set(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, 1000f); // W[0, 0]: the copy does not see it
      packed.matMul(x, 1, y, 1);
      assertThat(y[0]).isEqualTo(w[0]);
      F32Matrix plain = packed.withoutPanels();
      assertThat(plain.hasPanels()).isFalse();
      plain.matMul(x, 1, y, 1);
      assertThat(y[0]).isEqualTo(1000f);
    }
  }
}
