package dev.latent.ml.vision.pose;

import ai.djl.ndarray.NDArray;

/**
 * The residual log-likelihood loss of RLE (Li et al. 2021, "Human Pose Regression with Residual
 * Log-likelihood Estimation"), for a regression head that predicts per coordinate a location
 * {@code μ̂} and a scale {@code σ̂}. With {@code x̄ = (μ_g − μ̂) / σ̂} the negative log-likelihood
 * of the ground truth is
 *
 * <pre>  L = log σ̂ − log Q(x̄) − log G(x̄)</pre>
 *
 * where Q is a fixed Laplace density ({@code −log Q(x̄) = log 2 + |x̄|}) and G a learned residual
 * density that corrects Q towards the real error distribution. The paper learns G with a
 * normalizing flow; here G is a small learned Gaussian mixture over x̄ (same role, far smaller; the
 * flow's normalisation term is ignored as in the paper). Without G ({@link #laplace}) the loss is
 * the plain Laplace likelihood, the paper's "direct likelihood" baseline. Returned losses are the
 * means over all elements.
 */
public final class RleLoss {

  private static final double LOG_2 = Math.log(2);
  private static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

  private RleLoss() {}

  /** Elementwise {@code log σ̂ + log 2 + |μ_g − μ̂| / σ̂}, averaged. */
  public static NDArray laplace(NDArray mu, NDArray sigma, NDArray target) {
    return laplaceTerms(mu, sigma, target).mean();
  }

  /**
   * The full RLE loss with a residual density {@code G(x̄) = Σ_c π_c N(x̄; m_c, s_c²)}, with
   * {@code π = softmax(mixLogits)} and {@code s = exp(mixLogScales)} (each {@code [C]}).
   */
  public static NDArray rle(NDArray mu, NDArray sigma, NDArray target, NDArray mixLogits, NDArray mixMeans,
      NDArray mixLogScales) {
    NDArray xbar = target.sub(mu).div(sigma);
    return laplaceTerms(mu, sigma, target).sub(logMixture(xbar, mixLogits, mixMeans, mixLogScales)).mean();
  }

  /** {@code log G(x̄)} elementwise, for any shape of x̄. */
  public static NDArray logMixture(NDArray xbar, NDArray mixLogits, NDArray mixMeans, NDArray mixLogScales) {
    NDArray x = xbar.expandDims(-1); // [..., 1] against [C]
    NDArray z = x.sub(mixMeans).div(mixLogScales.exp());
    NDArray logN = z.square().mul(-0.5f).sub(mixLogScales).sub((float) LOG_SQRT_2PI);
    NDArray logPi = mixLogits.sub(mixLogits.exp().sum().log()); // log softmax
    NDArray terms = logN.add(logPi);
    NDArray max = terms.max(new int[] {-1}, true);
    return terms.sub(max).exp().sum(new int[] {-1}).log().add(max.squeeze(-1));
  }

  private static NDArray laplaceTerms(NDArray mu, NDArray sigma, NDArray target) {
    return sigma.log().add((float) LOG_2).add(target.sub(mu).abs().div(sigma));
  }
}
