package dev.latent.ml.vision.pose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class RleLossTest {

  @Test
  void laplaceTermMatchesTheFormulaByHand() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      // element 1: mu 0.5, sigma 0.1, target 0.7 -> ln 0.1 + ln 2 + 0.2/0.1 = -2.302585 + 0.693147 + 2 = 0.390562
      // element 2: mu 0.2, sigma 0.5, target 0.2 -> ln 0.5 + ln 2 + 0 = 0
      float loss = RleLoss.laplace(m.create(new float[] {0.5f, 0.2f}), m.create(new float[] {0.1f, 0.5f}),
          m.create(new float[] {0.7f, 0.2f})).getFloat();
      assertThat((double) loss).isCloseTo((0.390562 + 0.0) / 2, within(1e-5));
    }
  }

  @Test
  void residualMixtureTermMatchesTheFormulaByHand() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      // x̄ = (0.7 - 0.5) / 0.1 = 2; G = 0.5 N(2; 0, 1) + 0.5 N(2; 1, e^0.5)
      double n1 = Math.exp(-0.5 * 4) / Math.sqrt(2 * Math.PI);
      double s2 = Math.exp(0.5);
      double n2 = Math.exp(-0.5 * (1 / s2) * (1 / s2)) / (s2 * Math.sqrt(2 * Math.PI));
      double expected = Math.log(0.1) + Math.log(2) + 2 - Math.log(0.5 * n1 + 0.5 * n2);
      float loss = RleLoss.rle(m.create(new float[] {0.5f}), m.create(new float[] {0.1f}),
          m.create(new float[] {0.7f}), m.create(new float[] {0f, 0f}), m.create(new float[] {0f, 1f}),
          m.create(new float[] {0f, 0.5f})).getFloat();
      assertThat((double) loss).isCloseTo(expected, within(1e-4));
      // log G on its own, unequal weights: softmax(ln 3, 0) = (3/4, 1/4) at x̄ = 0 with unit scales
      float logG = RleLoss.logMixture(m.create(new float[] {0f}), m.create(new float[] {(float) Math.log(3), 0f}),
          m.create(new float[] {0f, 2f}), m.create(new float[] {0f, 0f})).getFloat();
      double g = 0.75 / Math.sqrt(2 * Math.PI) + 0.25 * Math.exp(-2) / Math.sqrt(2 * Math.PI);
      assertThat((double) logG).isCloseTo(Math.log(g), within(1e-5));
    }
  }

  @Test
  void aSmallerSigmaIsRewardedOnlyWhenThePredictionIsClose() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      var mu = m.create(new float[] {0.5f});
      var close = m.create(new float[] {0.51f});
      var far = m.create(new float[] {0.9f});
      var tight = m.create(new float[] {0.02f});
      var loose = m.create(new float[] {0.2f});
      assertThat(RleLoss.laplace(mu, tight, close).getFloat()).isLessThan(RleLoss.laplace(mu, loose, close).getFloat());
      assertThat(RleLoss.laplace(mu, tight, far).getFloat()).isGreaterThan(RleLoss.laplace(mu, loose, far).getFloat());
    }
  }
}
