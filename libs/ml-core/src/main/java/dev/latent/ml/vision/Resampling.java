package dev.latent.ml.vision;

import java.util.Locale;

/**
 * Classic interpolation for resizing, with pixel centres aligned (half-pixel convention, as
 * OpenCV and PIL do): the baselines super-resolution must beat, and the resizer for model inputs.
 */
public enum Resampling {
  NEAREST,
  BILINEAR,
  /** Keys' cubic convolution with a = -0.5 (the common "bicubic"). */
  BICUBIC;

  public static Resampling parse(String name) {
    return valueOf(name.toUpperCase(Locale.ROOT));
  }

  public RgbImage resize(RgbImage src, int width, int height) {
    float[] out = new float[width * height * 3];
    double sx = (double) src.width() / width;
    double sy = (double) src.height() / height;
    for (int y = 0; y < height; y++) {
      double fy = (y + 0.5) * sy - 0.5;
      for (int x = 0; x < width; x++) {
        double fx = (x + 0.5) * sx - 0.5;
        int o = (y * width + x) * 3;
        for (int c = 0; c < 3; c++) {
          out[o + c] = switch (this) {
            case NEAREST -> src.clamped((int) Math.floor((x + 0.5) * sx), (int) Math.floor((y + 0.5) * sy), c);
            case BILINEAR -> bilinear(src, fx, fy, c);
            case BICUBIC -> Math.min(255f, Math.max(0f, bicubic(src, fx, fy, c)));
          };
        }
      }
    }
    return new RgbImage(width, height, out);
  }

  private static float bilinear(RgbImage src, double fx, double fy, int c) {
    int x0 = (int) Math.floor(fx);
    int y0 = (int) Math.floor(fy);
    double ax = fx - x0;
    double ay = fy - y0;
    return (float) ((1 - ay) * ((1 - ax) * src.clamped(x0, y0, c) + ax * src.clamped(x0 + 1, y0, c))
        + ay * ((1 - ax) * src.clamped(x0, y0 + 1, c) + ax * src.clamped(x0 + 1, y0 + 1, c)));
  }

  private static float bicubic(RgbImage src, double fx, double fy, int c) {
    int x0 = (int) Math.floor(fx);
    int y0 = (int) Math.floor(fy);
    double sum = 0;
    for (int j = -1; j <= 2; j++) {
      double wy = cubic(fy - (y0 + j));
      for (int i = -1; i <= 2; i++) {
        sum += wy * cubic(fx - (x0 + i)) * src.clamped(x0 + i, y0 + j, c);
      }
    }
    return (float) sum;
  }

  private static double cubic(double t) {
    double a = -0.5;
    double x = Math.abs(t);
    if (x <= 1) {
      return (a + 2) * x * x * x - (a + 3) * x * x + 1;
    }
    if (x < 2) {
      return a * x * x * x - 5 * a * x * x + 8 * a * x - 4 * a;
    }
    return 0;
  }
}
