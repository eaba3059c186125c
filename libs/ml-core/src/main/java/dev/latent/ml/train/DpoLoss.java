package dev.latent.ml.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Direct Preference Optimization, sigmoid form (Rafailov et al.): with implicit rewards
 * {@code r = beta * (log π(y|x) − log π_ref(y|x))}, the loss is {@code −log σ(r_chosen − r_rejected)}
 * averaged over the batch. Inputs are summed response log-probabilities, {@code [N]} each; the
 * reference ones carry no gradient.
 *
 * <p>Optionally plus {@code rpoAlpha} times the chosen responses' negative log-likelihood per token
 * (RPO, Pang et al. 2024; TRL's {@code rpo_alpha}). Plain DPO only asks that chosen rise relative to
 * rejected, and on a small model it often lowers both, so greedy decoding drifts away from the
 * correct answers it was trained to prefer; the NLL term anchors the chosen responses.
 */
public final class DpoLoss {

  /**
   * The loss (on the tape), the batch-mean rewards that get logged, and the chosen responses' NLL
   * per token (logged whether or not it is in the loss).
   */
  public record Result(NDArray loss, float chosenReward, float rejectedReward, float margin, float accuracy,
      float chosenNll) {}

  private DpoLoss() {}

  /** Plain DPO (no NLL term). */
  public static Result compute(NDArray policyChosen, NDArray policyRejected, NDArray refChosen,
      NDArray refRejected, double beta) {
    return compute(policyChosen, policyRejected, refChosen, refRejected, beta, 0, 1);
  }

  /**
   * @param chosenTokens response tokens of all chosen sequences together (the NLL's divisor)
   * @param rpoAlpha weight of the chosen NLL per token; 0 is plain DPO
   */
  public static Result compute(NDArray policyChosen, NDArray policyRejected, NDArray refChosen,
      NDArray refRejected, double beta, double rpoAlpha, long chosenTokens) {
    if (beta <= 0) {
      throw new IllegalArgumentException("beta must be > 0");
    }
    if (!(rpoAlpha >= 0) || Double.isInfinite(rpoAlpha)) {
      throw new IllegalArgumentException("rpo_alpha must be finite and >= 0");
    }
    if (chosenTokens < 1) {
      throw new IllegalArgumentException("chosen responses need at least one token");
    }
    float b = (float) beta;
    NDArray chosen = policyChosen.sub(refChosen).mul(b);
    NDArray rejected = policyRejected.sub(refRejected).mul(b);
    NDArray logits = chosen.sub(rejected);
    // −log σ(x) = softplus(−x) = relu(−x) + log(1 + e^{−|x|}), stable for large |x|.
    NDArray loss = logits.neg().maximum(0f).add(logits.abs().neg().exp().add(1f).log()).mean();
    NDArray nll = policyChosen.sum().neg().div((float) chosenTokens);
    if (rpoAlpha > 0) {
      loss = loss.add(nll.mul((float) rpoAlpha));
    }
    float c = chosen.mean().getFloat();
    float r = rejected.mean().getFloat();
    float acc = logits.gt(0f).toType(DataType.FLOAT32, false).mean().getFloat();
    return new Result(loss, c, r, c - r, acc, nll.getFloat());
  }
}
