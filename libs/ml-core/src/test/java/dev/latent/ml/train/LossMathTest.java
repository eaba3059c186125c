package dev.latent.ml.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.latent.ml.Engines;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Masked causal-LM cross-entropy and DPO against values computed by hand. */
class LossMathTest {

  @Test
  void onlyMaskedTargetsCountInTheLoss() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      // B=1, T=2, V=2. Position 0: logits [0, 0] -> log p = ln 0.5 for either target.
      // Position 1: logits [ln 3, 0] -> p(0) = 0.75.
      NDArray logits = m.create(new float[] {0f, 0f, (float) Math.log(3), 0f}, new Shape(1, 2, 2));
      NDArray targets = m.create(new long[] {1, 0}, new Shape(1, 2));
      double both = CausalLmLoss.loss(logits, targets, m.create(new float[] {1, 1}, new Shape(1, 2))).getFloat();
      assertThat(both).isCloseTo(-(Math.log(0.5) + Math.log(0.75)) / 2, within(1e-6));
      double responseOnly = CausalLmLoss.loss(logits, targets, m.create(new float[] {0, 1}, new Shape(1, 2))).getFloat();
      assertThat(responseOnly).isCloseTo(-Math.log(0.75), within(1e-6));
      NDArray seq = CausalLmLoss.sequenceLogProbs(logits, targets, m.create(new float[] {1, 1}, new Shape(1, 2)));
      assertThat(seq.toFloatArray()[0]).isCloseTo((float) (Math.log(0.5) + Math.log(0.75)), within(1e-6f));
    }
  }

  @Test
  void batchesPadAndMaskThePrompt() {
    LmBatch b = LmBatch.of(List.of(
        new LmBatch.Sequence(new int[] {5, 6, 7, 8}, new boolean[] {false, false, true, true}),
        LmBatch.Sequence.all(new int[] {1, 2})), 0);
    assertThat(b.inputs()[0]).containsExactly(5, 6, 7);
    assertThat(b.targets()[0]).containsExactly(6, 7, 8);
    assertThat(b.mask()[0]).containsExactly(0f, 1f, 1f);
    assertThat(b.inputs()[1]).containsExactly(1, 0, 0);
    assertThat(b.mask()[1]).containsExactly(1f, 0f, 0f);
    assertThat(b.trainedTokens()).isEqualTo(3);
  }

  @Test
  void dpoLossRewardsAndMarginMatchTheFormula() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray pc = m.create(new float[] {-1f, -2f});
      NDArray pr = m.create(new float[] {-3f, -1f});
      NDArray rc = m.create(new float[] {-2f, -2f});
      NDArray rr = m.create(new float[] {-2f, -2f});
      DpoLoss.Result r = DpoLoss.compute(pc, pr, rc, rr, 0.5);
      // chosen rewards 0.5·[1, 0], rejected 0.5·[−1, 1]; logits [1, −0.5]
      double expected = (Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(0.5))) / 2;
      assertThat(r.loss().getFloat()).isCloseTo((float) expected, within(1e-6f));
      assertThat(r.chosenReward()).isCloseTo(0.25f, within(1e-6f));
      assertThat(r.rejectedReward()).isCloseTo(0f, within(1e-6f));
      assertThat(r.margin()).isCloseTo(0.25f, within(1e-6f));
      assertThat(r.accuracy()).isEqualTo(0.5f);
      // At the reference (all rewards 0) the loss is ln 2.
      assertThat(DpoLoss.compute(rc, rr, rc, rr, 0.1).loss().getFloat()).isCloseTo((float) Math.log(2), within(1e-6f));
    }
  }

  @Test
  void rpoAddsTheChosenNllPerTokenToTheDpoLoss() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray pc = m.create(new float[] {-1f, -2f});
      NDArray pr = m.create(new float[] {-3f, -1f});
      NDArray rc = m.create(new float[] {-2f, -2f});
      NDArray rr = m.create(new float[] {-2f, -2f});
      double dpo = (Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(0.5))) / 2;
      // Chosen log-probs sum to −3 over 6 response tokens: NLL per token 0.5; alpha 0.4 adds 0.2.
      DpoLoss.Result r = DpoLoss.compute(pc, pr, rc, rr, 0.5, 0.4, 6);
      assertThat(r.loss().getFloat()).isCloseTo((float) (dpo + 0.4 * 0.5), within(1e-6f));
      assertThat(r.chosenNll()).isCloseTo(0.5f, within(1e-6f));
      assertThat(r.margin()).isCloseTo(0.25f, within(1e-6f));
      // alpha 0 is plain DPO, and the NLL is still reported.
      DpoLoss.Result plain = DpoLoss.compute(pc, pr, rc, rr, 0.5, 0, 6);
      assertThat(plain.loss().getFloat()).isCloseTo((float) dpo, within(1e-6f));
      assertThat(plain.chosenNll()).isCloseTo(0.5f, within(1e-6f));
    }
  }

  @Test
  void rpoGradientOnTheChosenLogProbs() {
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        GradientCollector gc = Engines.pytorch().newGradientCollector()) {
      NDArray pc = m.create(new float[] {-1f, -2f});
      pc.setRequiresGradient(true);
      NDArray pr = m.create(new float[] {-3f, -1f});
      NDArray rc = m.create(new float[] {-2f, -2f});
      NDArray rr = m.create(new float[] {-2f, -2f});
      gc.backward(DpoLoss.compute(pc, pr, rc, rr, 0.5, 0.4, 6).loss());
      // d/dpc_i of mean_i softplus(−x_i), x = 0.5·(pc − rc) − 0.5·(pr − rr): −σ(−x_i)·0.5/2;
      // of 0.4·(−Σpc)/6: −0.4/6. x = [1, −0.5].
      float[] g = pc.getGradient().toFloatArray();
      assertThat(g[0]).isCloseTo((float) (-sigmoid(-1) * 0.25 - 0.4 / 6), within(1e-6f));
      assertThat(g[1]).isCloseTo((float) (-sigmoid(0.5) * 0.25 - 0.4 / 6), within(1e-6f));
    }
  }

  @Test
  void rpoAlphaMustBeFiniteAndNotNegative() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray x = m.create(new float[] {-1f});
      assertThatThrownBy(() -> DpoLoss.compute(x, x, x, x, 0.1, -0.1, 1))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> DpoLoss.compute(x, x, x, x, 0.1, Double.NaN, 1))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }
}
