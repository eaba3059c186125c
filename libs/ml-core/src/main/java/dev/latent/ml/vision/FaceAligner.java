package dev.latent.ml.vision;

/**
 * Aligns a face to a canonical 150x150 crop from BlazeFace's keypoints. We use the four stable
 * points (both eyes, nose tip, mouth centre; the ear points drift with head yaw) and fit the
 * least-squares similarity transform (rotation, uniform scale, translation; Umeyama without
 * reflection) onto a template, then sample the crop bilinearly through the inverse transform.
 * The template puts the points where dlib's 150-px face chips (padding 0.25) have them, which is
 * the framing face-api's recognition network was trained on. Chosen over the 68-point landmark
 * net: one network less per face, and 4 points already fix a similarity transform well.
 */
public final class FaceAligner {

  public static final int SIZE = FaceRecognitionNet.INPUT_SIZE;
  /** Template positions as fractions of the crop: right eye, left eye, nose tip, mouth centre. */
  static final double[][] TEMPLATE = {{0.367, 0.367}, {0.633, 0.367}, {0.5, 0.53}, {0.5, 0.687}};
  private static final int[] USED = {0, 1, 2, 3};

  private FaceAligner() {}

  /** Similarity transform {@code [a, b, tx, ty]}: template = [[a, -b], [b, a]] * src + t. */
  static double[] fit(float[] keypoints) {
    int n = USED.length;
    double msx = 0, msy = 0, mdx = 0, mdy = 0;
    for (int i = 0; i < n; i++) {
      msx += keypoints[2 * USED[i]];
      msy += keypoints[2 * USED[i] + 1];
      mdx += TEMPLATE[i][0] * SIZE;
      mdy += TEMPLATE[i][1] * SIZE;
    }
    msx /= n;
    msy /= n;
    mdx /= n;
    mdy /= n;
    double sxx = 0, sxy = 0, var = 0;
    for (int i = 0; i < n; i++) {
      double sx = keypoints[2 * USED[i]] - msx;
      double sy = keypoints[2 * USED[i] + 1] - msy;
      double dx = TEMPLATE[i][0] * SIZE - mdx;
      double dy = TEMPLATE[i][1] * SIZE - mdy;
      sxx += sx * dx + sy * dy; // sum of dot products
      sxy += sx * dy - sy * dx; // sum of cross products
      var += sx * sx + sy * sy;
    }
    if (var < 1e-9) {
      throw new IllegalArgumentException("degenerate keypoints");
    }
    double a = sxx / var;
    double b = sxy / var;
    double tx = mdx - (a * msx - b * msy);
    double ty = mdy - (b * msx + a * msy);
    return new double[] {a, b, tx, ty};
  }

  /** The aligned 150x150 crop of the face whose keypoints (image pixels) are given. */
  public static RgbImage align(RgbImage image, float[] keypoints) {
    double[] t = fit(keypoints);
    double a = t[0], b = t[1], tx = t[2], ty = t[3];
    double det = a * a + b * b;
    float[] out = new float[SIZE * SIZE * 3];
    for (int v = 0; v < SIZE; v++) {
      for (int u = 0; u < SIZE; u++) {
        // inverse of the similarity: src = R^-1 (dst - t) / s, with R^-1 = [[a, b], [-b, a]] / det
        double dx = u + 0.5 - tx;
        double dy = v + 0.5 - ty;
        double sx = (a * dx + b * dy) / det;
        double sy = (-b * dx + a * dy) / det;
        int o = (v * SIZE + u) * 3;
        for (int c = 0; c < 3; c++) {
          out[o + c] = image.sample(sx, sy, c);
        }
      }
    }
    return new RgbImage(SIZE, SIZE, out);
  }
}
