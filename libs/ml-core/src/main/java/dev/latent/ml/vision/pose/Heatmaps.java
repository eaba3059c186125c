package dev.latent.ml.vision.pose;

/**
 * Decoding K keypoint heatmaps {@code [K, H, W]} (row-major floats, one map per keypoint) into
 * coordinates in map cells, cell centres at integer positions (x = column, y = row):
 *
 * <ul>
 *   <li>{@link #argmax}: the cell with the highest value; its score is that value. Accuracy is
 *       limited by the grid (a quarter of a cell on average along each axis at best).
 *   <li>{@link #softArgmax}: the expectation of the position under {@code softmax(map / t)}, a
 *       differentiable, sub-cell estimate (the integral-regression decoding); its score is the
 *       largest probability. For maps that are already probabilities use {@link #expectation}.
 * </ul>
 */
public final class Heatmaps {

  private Heatmaps() {}

  /** A decoded position in map cells and its score. */
  public record Peak(double x, double y, double score) {}

  public static Peak[] argmax(float[] maps, int k, int h, int w) {
    check(maps, k, h, w);
    Peak[] out = new Peak[k];
    for (int j = 0; j < k; j++) {
      int base = j * h * w;
      int best = 0;
      for (int i = 1; i < h * w; i++) {
        if (maps[base + i] > maps[base + best]) {
          best = i;
        }
      }
      out[j] = new Peak(best % w, best / w, maps[base + best]);
    }
    return out;
  }

  /** Soft-argmax with temperature {@code t} over raw scores (logits). */
  public static Peak[] softArgmax(float[] maps, int k, int h, int w, double t) {
    check(maps, k, h, w);
    if (t <= 0) {
      throw new IllegalArgumentException("temperature must be > 0");
    }
    float[] probs = new float[maps.length];
    for (int j = 0; j < k; j++) {
      int base = j * h * w;
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < h * w; i++) {
        max = Math.max(max, maps[base + i]);
      }
      double sum = 0;
      for (int i = 0; i < h * w; i++) {
        double e = Math.exp((maps[base + i] - max) / t);
        probs[base + i] = (float) e;
        sum += e;
      }
      for (int i = 0; i < h * w; i++) {
        probs[base + i] /= (float) sum;
      }
    }
    return expectation(probs, k, h, w);
  }

  /** The mean position under maps that are (or are normalised into) distributions. */
  public static Peak[] expectation(float[] maps, int k, int h, int w) {
    check(maps, k, h, w);
    Peak[] out = new Peak[k];
    for (int j = 0; j < k; j++) {
      int base = j * h * w;
      double sum = 0;
      double sx = 0;
      double sy = 0;
      double max = 0;
      for (int i = 0; i < h * w; i++) {
        double p = Math.max(0, maps[base + i]);
        sum += p;
        sx += p * (i % w);
        sy += p * (i / w);
        max = Math.max(max, p);
      }
      out[j] = sum == 0 ? new Peak((w - 1) / 2.0, (h - 1) / 2.0, 0) : new Peak(sx / sum, sy / sum, max / sum);
    }
    return out;
  }

  /**
   * Target maps: for each keypoint (in cells) a Gaussian of std {@code sigma} normalised to sum 1
   * (a distribution, for a cross-entropy loss against {@code softmax(logits)}).
   */
  public static float[] gaussianTargets(double[] xs, double[] ys, int h, int w, double sigma) {
    int k = xs.length;
    float[] out = new float[k * h * w];
    for (int j = 0; j < k; j++) {
      double sum = 0;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          double d2 = (x - xs[j]) * (x - xs[j]) + (y - ys[j]) * (y - ys[j]);
          double v = Math.exp(-d2 / (2 * sigma * sigma));
          out[j * h * w + y * w + x] = (float) v;
          sum += v;
        }
      }
      for (int i = 0; i < h * w; i++) {
        out[j * h * w + i] /= (float) sum;
      }
    }
    return out;
  }

  private static void check(float[] maps, int k, int h, int w) {
    if (k < 1 || h < 1 || w < 1 || maps.length != k * h * w) {
      throw new IllegalArgumentException("expected " + k + "x" + h + "x" + w + " values, got " + maps.length);
    }
  }
}
