package dev.latent.ml.vision.pose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class HeatmapsTest {

  @Test
  void argmaxFindsTheHighestCellOfEachMap() {
    // two 3x4 maps: peak at (x=2, y=1) and at (x=0, y=2)
    float[] maps = new float[2 * 3 * 4];
    maps[1 * 4 + 2] = 0.9f;
    maps[0] = 0.5f;
    maps[12 + 2 * 4] = 0.7f;
    Heatmaps.Peak[] p = Heatmaps.argmax(maps, 2, 3, 4);
    assertThat(p[0].x()).isEqualTo(2);
    assertThat(p[0].y()).isEqualTo(1);
    assertThat(p[0].score()).isCloseTo(0.9, within(1e-6));
    assertThat(p[1].x()).isEqualTo(0);
    assertThat(p[1].y()).isEqualTo(2);
  }

  @Test
  void softArgmaxIsTheExpectationUnderTheSoftmax() {
    // 1x1x3 map with logits (0, ln 2, ln 1) -> probabilities (1/4, 2/4, 1/4) -> x = 0.5 + 2*0.25 = 1.0
    float[] sym = {0f, (float) Math.log(2), 0f};
    assertThat(Heatmaps.softArgmax(sym, 1, 1, 3, 1.0)[0].x()).isCloseTo(1.0, within(1e-6));
    // logits (0, 0, ln 2): probabilities (1/4, 1/4, 1/2) -> x = 0.25 + 1.0 = 1.25, between the cells
    float[] skew = {0f, 0f, (float) Math.log(2)};
    Heatmaps.Peak p = Heatmaps.softArgmax(skew, 1, 1, 3, 1.0)[0];
    assertThat(p.x()).isCloseTo(1.25, within(1e-6));
    assertThat(p.score()).isCloseTo(0.5, within(1e-6));
    // argmax of the same map is stuck on the grid
    assertThat(Heatmaps.argmax(skew, 1, 1, 3)[0].x()).isEqualTo(2);
    // a low temperature sharpens towards the argmax
    assertThat(Heatmaps.softArgmax(skew, 1, 1, 3, 0.01)[0].x()).isCloseTo(2.0, within(1e-6));
  }

  @Test
  void aGaussianTargetBetweenCellsDecodesToItsSubCellCentre() {
    float[] t = Heatmaps.gaussianTargets(new double[] {3.3}, new double[] {5.7}, 12, 10, 1.0);
    double sum = 0;
    for (float v : t) {
      sum += v;
    }
    assertThat(sum).isCloseTo(1.0, within(1e-5));
    Heatmaps.Peak e = Heatmaps.expectation(t, 1, 12, 10)[0];
    assertThat(e.x()).isCloseTo(3.3, within(0.01));
    assertThat(e.y()).isCloseTo(5.7, within(0.01));
    Heatmaps.Peak a = Heatmaps.argmax(t, 1, 12, 10)[0];
    assertThat(a.x()).isEqualTo(3);
    assertThat(a.y()).isEqualTo(6);
  }
}
