package dev.latent.ml.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * Next-token cross-entropy. Logits {@code [B, T, V]} at position t predict {@code targets[b, t]};
 * {@code mask[b, t]} (0 or 1) says which targets count — for SFT only response tokens, and never
 * padding. Everything stays on the autograd tape.
 */
public final class CausalLmLoss {

  private CausalLmLoss() {}

  /** Log-probability of each target, {@code [B, T]} (float32). */
  public static NDArray tokenLogProbs(NDArray logits, NDArray targets) {
    long b = logits.getShape().get(0);
    long t = logits.getShape().get(1);
    long v = logits.getShape().get(2);
    return rowLogProbs(logits.reshape(b * t, v), targets.reshape(b * t)).reshape(b, t);
  }

  /** Log-probability of each row's target: logits {@code [N, V]}, targets {@code [N]} to {@code [N]}. */
  public static NDArray rowLogProbs(NDArray logits, NDArray targets) {
    long n = logits.getShape().get(0);
    NDManager m = logits.getManager();
    NDArray logProbs = logits.toType(DataType.FLOAT32, false).logSoftmax(-1);
    return logProbs.get(new NDIndex("{}, {}", m.arange(n), targets.toType(DataType.INT64, false)));
  }

  /** Mean negative log-likelihood over the tokens where {@code mask} is 1 (a scalar). */
  public static NDArray loss(NDArray logits, NDArray targets, NDArray mask) {
    NDArray maskF = mask.toType(DataType.FLOAT32, false);
    NDArray count = maskF.sum().maximum(1f);
    return masked(tokenLogProbs(logits, targets), maskF).sum().neg().div(count);
  }

  /** Summed log-probability of the masked targets of each sequence, {@code [B]} (for DPO). */
  public static NDArray sequenceLogProbs(NDArray logits, NDArray targets, NDArray mask) {
    return masked(tokenLogProbs(logits, targets), mask.toType(DataType.FLOAT32, false)).sum(new int[] {1});
  }

  static NDArray masked(NDArray logProbs, NDArray mask) {
    return logProbs.mul(mask);
  }
}
