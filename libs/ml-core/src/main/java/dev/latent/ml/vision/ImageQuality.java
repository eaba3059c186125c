package dev.latent.ml.vision;

/**
 * Full-reference quality of a reconstruction: PSNR over RGB (peak 255), and SSIM on luma (BT.601)
 * with the usual constants (K1 = 0.01, K2 = 0.03) averaged over 8x8 windows at stride 4 (a plain
 * window instead of the 11x11 Gaussian: cheaper, and the ranking of methods is what we report).
 */
public final class ImageQuality {

  private ImageQuality() {}

  public static double psnr(RgbImage a, RgbImage b) {
    check(a, b);
    double se = 0;
    for (int i = 0; i < a.pixels().length; i++) {
      double d = Math.min(255, Math.max(0, a.pixels()[i])) - Math.min(255, Math.max(0, b.pixels()[i]));
      se += d * d;
    }
    double mse = se / a.pixels().length;
    return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(255.0 * 255.0 / mse);
  }

  public static double ssim(RgbImage a, RgbImage b) {
    check(a, b);
    double c1 = Math.pow(0.01 * 255, 2);
    double c2 = Math.pow(0.03 * 255, 2);
    double sum = 0;
    int windows = 0;
    for (int y = 0; y + 8 <= a.height(); y += 4) {
      for (int x = 0; x + 8 <= a.width(); x += 4) {
        double ma = 0, mb = 0, va = 0, vb = 0, cov = 0;
        for (int j = 0; j < 8; j++) {
          for (int i = 0; i < 8; i++) {
            double la = luma(a, x + i, y + j);
            double lb = luma(b, x + i, y + j);
            ma += la;
            mb += lb;
            va += la * la;
            vb += lb * lb;
            cov += la * lb;
          }
        }
        ma /= 64;
        mb /= 64;
        va = va / 64 - ma * ma;
        vb = vb / 64 - mb * mb;
        cov = cov / 64 - ma * mb;
        sum += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
        windows++;
      }
    }
    return windows == 0 ? 1 : sum / windows;
  }

  private static double luma(RgbImage im, int x, int y) {
    return 0.299 * im.get(x, y, 0) + 0.587 * im.get(x, y, 1) + 0.114 * im.get(x, y, 2);
  }

  private static void check(RgbImage a, RgbImage b) {
    if (a.width() != b.width() || a.height() != b.height()) {
      throw new IllegalArgumentException("images differ in size");
    }
  }
}
