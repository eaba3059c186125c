package dev.latent.ml.train;

import ai.djl.ndarray.NDArray;

/**
 * Direct Preference Optimization, sigmoid form (Rafailov et al.): with implicit rewards
 * {@code r = beta * (log π(y|x) − log π_ref(y|x))}, the loss is {@code −log σ(r_chosen − r_rejected)}
 * averaged over the batch. Inputs are summed response log-probabilities, {@code [N]} each; the
 * reference ones carry no gradient.
 */
public final class DpoLoss {

  /** The loss (on the tape) and the batch-mean rewards that get logged. */
  public record Result(NDArray loss, float chosenReward, float rejectedReward, float margin, float accuracy) {}

  private DpoLoss() {}

  public static Result compute(NDArray policyChosen, NDArray policyRejected, NDArray refChosen,
      NDArray refRejected, double beta) {
    if (beta <= 0) {
      throw new IllegalArgumentException("beta must be > 0");
    }
    float b = (float) beta;
    NDArray chosen = policyChosen.sub(refChosen).mul(b);
    NDArray rejected = policyRejected.sub(refRejected).mul(b);
    NDArray logits = chosen.sub(rejected);
    // −log σ(x) = softplus(−x) = relu(−x) + log(1 + e^{−|x|}), stable for large |x|.
    NDArray loss = logits.neg().maximum(0f).add(logits.abs().neg().exp().add(1f).log()).mean();
    float c = chosen.mean().getFloat();
    float r = rejected.mean().getFloat();
    float acc = logits.gt(0f).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).mean().getFloat();
    return new Result(loss, c, r, c - r, acc);
  }
}
