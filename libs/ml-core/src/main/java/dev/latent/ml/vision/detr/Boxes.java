package dev.latent.ml.vision.detr;

/** Box geometry for {@code (cx, cy, w, h)} boxes. */
public final class Boxes {

  private Boxes() {}

  /**
   * Generalised IoU (Rezatofighi et al. 2019): IoU minus the share of the smallest enclosing box
   * not covered by the union; in [-1, 1], and informative even for disjoint boxes.
   */
  public static double giou(double[] a, double[] b) {
    double ax0 = a[0] - a[2] / 2, ay0 = a[1] - a[3] / 2, ax1 = a[0] + a[2] / 2, ay1 = a[1] + a[3] / 2;
    double bx0 = b[0] - b[2] / 2, by0 = b[1] - b[3] / 2, bx1 = b[0] + b[2] / 2, by1 = b[1] + b[3] / 2;
    double iw = Math.max(0, Math.min(ax1, bx1) - Math.max(ax0, bx0));
    double ih = Math.max(0, Math.min(ay1, by1) - Math.max(ay0, by0));
    double inter = iw * ih;
    double union = a[2] * a[3] + b[2] * b[3] - inter;
    double hull = (Math.max(ax1, bx1) - Math.min(ax0, bx0)) * (Math.max(ay1, by1) - Math.min(ay0, by0));
    double iou = union > 0 ? inter / union : 0;
    return hull > 0 ? iou - (hull - union) / hull : iou;
  }

  /** {@code (cx, cy, w, h)} → corners {@code (x0, y0, x1, y1)}. */
  public static double[] corners(double[] b) {
    return new double[] {b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2};
  }
}
