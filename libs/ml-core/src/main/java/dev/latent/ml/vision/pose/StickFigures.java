package dev.latent.ml.vision.pose;

import dev.latent.ml.vision.RgbImage;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Random;

/**
 * Generated pose data: a stick figure with 11 joints in a random pose, size, rotation and place,
 * drawn anti-aliased on a random gradient with distractor strokes and pixel noise; the joints are
 * known exactly. Left limbs are drawn in warm colours and right limbs in cool ones so that left and
 * right are distinguishable (as clothing and body shape make them in photos).
 */
public final class StickFigures {

  public static final List<String> JOINTS = List.of("head", "neck", "pelvis", "left_elbow", "left_hand",
      "right_elbow", "right_hand", "left_knee", "left_foot", "right_knee", "right_foot");

  /** Bones as joint index pairs; the first four are the torso and the left limbs' roots. */
  private static final int[][] BONES = {{0, 1}, {1, 2}, {1, 3}, {3, 4}, {1, 5}, {5, 6}, {2, 7}, {7, 8}, {2, 9}, {9, 10}};

  /** One sample: the image and the joint positions in pixels. */
  public record Sample(RgbImage image, double[] xs, double[] ys) {}

  private StickFigures() {}

  public static Sample sample(int size, Random rnd) {
    double[] x = new double[11];
    double[] y = new double[11];
    double height = size * (0.45 + 0.35 * rnd.nextDouble()); // head to feet, upright
    double torso = height * 0.35;
    double upper = height * 0.2;
    double lower = height * 0.2;
    double thigh = height * 0.25;
    double shin = height * 0.22;
    // pose in a body frame: neck at origin, y down
    double lean = rnd.nextGaussian() * 0.15;
    x[1] = 0;
    y[1] = 0;
    x[2] = torso * Math.sin(lean);
    y[2] = torso * Math.cos(lean);
    x[0] = -height * 0.1 * Math.sin(lean);
    y[0] = -height * 0.1 * Math.cos(lean);
    limb(x, y, 1, 3, 4, upper, lower, Math.PI / 2 + 0.3 + rnd.nextDouble() * 2.4, rnd.nextDouble() * 2.2);
    limb(x, y, 1, 5, 6, upper, lower, Math.PI / 2 - 0.3 - rnd.nextDouble() * 2.4, -rnd.nextDouble() * 2.2);
    limb(x, y, 2, 7, 8, thigh, shin, Math.PI / 2 + rnd.nextGaussian() * 0.35 + 0.15, rnd.nextDouble() * -1.2);
    limb(x, y, 2, 9, 10, thigh, shin, Math.PI / 2 + rnd.nextGaussian() * 0.35 - 0.15, rnd.nextDouble() * 1.2);
    // the figure's left limbs point to -x (a figure seen from behind), its right limbs to +x
    double rot = rnd.nextGaussian() * 0.3;
    double minX = Double.MAX_VALUE, maxX = -Double.MAX_VALUE, minY = Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
    for (int i = 0; i < 11; i++) {
      double rx = x[i] * Math.cos(rot) - y[i] * Math.sin(rot);
      double ry = x[i] * Math.sin(rot) + y[i] * Math.cos(rot);
      x[i] = rx;
      y[i] = ry;
      minX = Math.min(minX, rx);
      maxX = Math.max(maxX, rx);
      minY = Math.min(minY, ry);
      maxY = Math.max(maxY, ry);
    }
    double margin = size * 0.08;
    double shrink = Math.min(1.0, Math.min((size - 2 * margin) / (maxX - minX), (size - 2 * margin) / (maxY - minY)));
    double spanX = (maxX - minX) * shrink;
    double spanY = (maxY - minY) * shrink;
    double ox = margin + rnd.nextDouble() * Math.max(0, size - 2 * margin - spanX);
    double oy = margin + rnd.nextDouble() * Math.max(0, size - 2 * margin - spanY);
    for (int i = 0; i < 11; i++) {
      x[i] = ox + (x[i] - minX) * shrink;
      y[i] = oy + (y[i] - minY) * shrink;
    }
    return new Sample(render(size, x, y, height * shrink, rnd), x, y);
  }

  // root -> mid -> end with an absolute angle for the first segment and a bend for the second
  private static void limb(double[] x, double[] y, int root, int mid, int end, double a, double b, double angle,
      double bend) {
    x[mid] = x[root] + a * Math.cos(angle);
    y[mid] = y[root] + a * Math.sin(angle);
    x[end] = x[mid] + b * Math.cos(angle + bend);
    y[end] = y[mid] + b * Math.sin(angle + bend);
  }

  private static RgbImage render(int size, double[] x, double[] y, double height, Random rnd) {
    var b = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = b.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
    g.setPaint(new GradientPaint(0, 0, grey(rnd, 40, 200), size, size, grey(rnd, 40, 200)));
    g.fillRect(0, 0, size, size);
    for (int i = 0; i < 3; i++) { // distractors
      g.setColor(grey(rnd, 0, 255));
      g.setStroke(new BasicStroke(1f));
      g.draw(new Line2D.Double(rnd.nextDouble() * size, rnd.nextDouble() * size, rnd.nextDouble() * size,
          rnd.nextDouble() * size));
    }
    float width = (float) Math.max(1.5, height * 0.05);
    g.setStroke(new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    Color torso = grey(rnd, 0, 255);
    Color left = new Color(200 + rnd.nextInt(56), 40 + rnd.nextInt(80), rnd.nextInt(40));
    Color right = new Color(rnd.nextInt(40), 60 + rnd.nextInt(100), 200 + rnd.nextInt(56));
    for (int i = 0; i < BONES.length; i++) {
      int j = BONES[i][1];
      String name = JOINTS.get(j);
      g.setColor(name.startsWith("left") ? left : name.startsWith("right") ? right : torso);
      g.draw(new Line2D.Double(x[BONES[i][0]], y[BONES[i][0]], x[j], y[j]));
    }
    double r = height * 0.07;
    g.setColor(torso);
    g.fill(new Ellipse2D.Double(x[0] - r, y[0] - r, 2 * r, 2 * r));
    g.dispose();
    RgbImage image = RgbImage.of(b);
    float[] p = image.pixels().clone();
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) Math.min(255, Math.max(0, p[i] + rnd.nextGaussian() * 8));
    }
    return new RgbImage(size, size, p);
  }

  private static Color grey(Random rnd, int lo, int hi) {
    int v = lo + rnd.nextInt(hi - lo + 1);
    int t = rnd.nextInt(30) - 15;
    return new Color(clamp(v + t), clamp(v), clamp(v - t));
  }

  private static int clamp(int v) {
    return Math.min(255, Math.max(0, v));
  }
}
