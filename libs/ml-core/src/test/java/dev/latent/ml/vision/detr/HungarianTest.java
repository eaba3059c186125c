package dev.latent.ml.vision.detr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HungarianTest {

  @Test
  void solvesAHandMadeCaseWhereGreedyFails() {
    // greedy takes (0,0)=1 and then must pay 100 for (1,1); the optimum is (0,1)+(1,0) = 2 + 2
    double[][] cost = {{1, 2, 50}, {2, 100, 60}};
    assertThat(Hungarian.solve(cost)).containsExactly(1, 0);
  }

  @Test
  void classicThreeByThree() {
    double[][] cost = {{4, 1, 3}, {2, 0, 5}, {3, 2, 2}};
    int[] a = Hungarian.solve(cost);
    assertThat(a).containsExactly(1, 0, 2); // 1 + 2 + 2 = 5, the known optimum
  }

  @Test
  void matchesBruteForceOnRandomRectangularMatrices() {
    Random random = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + random.nextInt(4);
      int m = n + random.nextInt(3);
      double[][] c = new double[n][m];
      for (double[] row : c) {
        for (int j = 0; j < m; j++) {
          row[j] = random.nextInt(20) - 5;
        }
      }
      int[] a = Hungarian.solve(c);
      assertThat(a).doesNotHaveDuplicates();
      assertThat(total(c, a)).isEqualTo(bruteForce(c, 0, new boolean[m]));
    }
  }

  @Test
  void detrCostPrefersTheRightClassAndTheOverlappingBox() {
    // two targets: class 1 at the left, class 2 at the right; four queries
    double[][] targets = {{0.25, 0.5, 0.2, 0.2}, {0.75, 0.5, 0.2, 0.2}};
    int[] classes = {1, 2};
    double[][] boxes = {
        {0.75, 0.5, 0.2, 0.2}, // right place, says class 1 (wrong for the right target)
        {0.26, 0.5, 0.2, 0.2}, // left place, says class 1
        {0.74, 0.5, 0.22, 0.2}, // right place, says class 2
        {0.5, 0.1, 0.1, 0.1}}; // nowhere, "no object"
    double[][] probs = {
        {0.05, 0.9, 0.05}, {0.05, 0.9, 0.05}, {0.05, 0.05, 0.9}, {0.9, 0.05, 0.05}};
    int[] m = SetMatcher.paperDefaults().match(probs, boxes, classes, targets);
    assertThat(m).containsExactly(1, 2);
  }

  @Test
  void giouIsOneForEqualBoxesAndNegativeWhenApart() {
    double[] a = {0.5, 0.5, 0.2, 0.2};
    assertThat(Boxes.giou(a, a)).isCloseTo(1, within(1e-12));
    assertThat(Boxes.giou(a, new double[] {0.9, 0.5, 0.2, 0.2})).isLessThan(0);
  }

  private static double total(double[][] c, int[] a) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += c[i][a[i]];
    }
    return s;
  }

  private static double bruteForce(double[][] c, int row, boolean[] used) {
    if (row == c.length) {
      return 0;
    }
    double best = Double.POSITIVE_INFINITY;
    for (int j = 0; j < c[0].length; j++) {
      if (!used[j]) {
        used[j] = true;
        best = Math.min(best, c[row][j] + bruteForce(c, row + 1, used));
        used[j] = false;
      }
    }
    return best;
  }
}
