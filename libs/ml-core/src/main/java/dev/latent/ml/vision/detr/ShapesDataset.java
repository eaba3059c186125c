package dev.latent.ml.vision.detr;

import dev.latent.ml.vision.RgbImage;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A generated detection dataset: 1–{@code maxObjects} shapes (circle, square, triangle, star) of
 * random size (20–46 % of the side) and colour on a plain, linear-gradient or noise background,
 * drawn with Java2D, with tight boxes. Sample {@code i} of a split is a pure function of
 * {@code (seed, split, i)}, so a dataset is named by its seed and size; the held-out split draws
 * from a different stream than the training split.
 */
public final class ShapesDataset {

  public static final List<String> LABELS = List.of("circle", "square", "triangle", "star");

  /** An image with its objects: class ids and normalised {@code (cx, cy, w, h)} boxes. */
  public record Sample(RgbImage image, int[] classes, double[][] boxes) {}

  /** Which stream samples come from. */
  public enum Split { TRAIN, HELD_OUT }

  private final long seed;
  private final int size;
  private final int maxObjects;

  public ShapesDataset(long seed, int size, int maxObjects) {
    if (size < 16 || maxObjects < 1) {
      throw new IllegalArgumentException("size >= 16 and maxObjects >= 1");
    }
    this.seed = seed;
    this.size = size;
    this.maxObjects = maxObjects;
  }

  /** Samples {@code from, from+1, …, from+n-1} of a split. */
  public List<Sample> samples(Split split, int from, int n) {
    List<Sample> out = new ArrayList<>(n);
    for (int i = from; i < from + n; i++) {
      out.add(sample(split, i));
    }
    return out;
  }

  public Sample sample(Split split, int index) {
    Random rnd = new Random(seed * 0x9E3779B97F4A7C15L + (split == Split.TRAIN ? 0 : 0x5851F42D4C957F2DL)
        + index * 0xBF58476D1CE4E5B9L);
    BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    Color bgA = randomColour(rnd);
    Color bgB = randomColour(rnd);
    background(g, img, rnd, bgA, bgB);
    int n = 1 + rnd.nextInt(maxObjects);
    List<double[]> boxes = new ArrayList<>();
    List<Integer> classes = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      for (int attempt = 0; attempt < 20; attempt++) {
        int cls = rnd.nextInt(LABELS.size());
        double side = size * (0.2 + 0.26 * rnd.nextDouble());
        double x0 = rnd.nextDouble() * (size - side);
        double y0 = rnd.nextDouble() * (size - side);
        double[] corners = shape(cls, x0, y0, side, rnd);
        double[] box = {(corners[0] + corners[2]) / 2 / size, (corners[1] + corners[3]) / 2 / size,
            (corners[2] - corners[0]) / size, (corners[3] - corners[1]) / size};
        if (overlaps(box, boxes)) {
          continue;
        }
        g.setColor(contrasting(rnd, bgA, bgB));
        draw(g, cls, x0, y0, side, corners);
        boxes.add(box);
        classes.add(cls);
        break;
      }
    }
    g.dispose();
    return new Sample(RgbImage.of(img), classes.stream().mapToInt(Integer::intValue).toArray(),
        boxes.toArray(double[][]::new));
  }

  private static boolean overlaps(double[] box, List<double[]> others) {
    for (double[] o : others) {
      if (MeanAp.iou(Boxes.corners(box), Boxes.corners(o)) > 0.1) {
        return true;
      }
    }
    return false;
  }

  private static Color randomColour(Random rnd) {
    return new Color(rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(256));
  }

  /** A colour at least a fixed distance from both background colours. */
  private static Color contrasting(Random rnd, Color a, Color b) {
    Color c = randomColour(rnd);
    for (int i = 0; i < 50 && (distance(c, a) < 120 || distance(c, b) < 120); i++) {
      c = randomColour(rnd);
    }
    return c;
  }

  private static double distance(Color x, Color y) {
    return Math.sqrt(Math.pow(x.getRed() - y.getRed(), 2) + Math.pow(x.getGreen() - y.getGreen(), 2)
        + Math.pow(x.getBlue() - y.getBlue(), 2));
  }

  /** Half plain, a quarter linear gradients, a quarter per-pixel noise between the two colours. */
  private void background(Graphics2D g, BufferedImage img, Random rnd, Color a, Color b) {
    int kind = rnd.nextInt(2) == 0 ? 2 : rnd.nextInt(2);
    switch (kind) {
      case 0 -> {
        g.setPaint(new GradientPaint(rnd.nextFloat() * size, rnd.nextFloat() * size, a,
            rnd.nextFloat() * size, rnd.nextFloat() * size, b));
        g.fill(new Rectangle2D.Double(0, 0, size, size));
      }
      case 1 -> {
        for (int y = 0; y < size; y++) {
          for (int x = 0; x < size; x++) {
            double t = rnd.nextDouble();
            img.setRGB(x, y, mix(a, b, t));
          }
        }
      }
      default -> {
        g.setColor(a);
        g.fill(new Rectangle2D.Double(0, 0, size, size));
      }
    }
  }

  private static int mix(Color a, Color b, double t) {
    int r = (int) (a.getRed() * (1 - t) + b.getRed() * t);
    int gr = (int) (a.getGreen() * (1 - t) + b.getGreen() * t);
    int bl = (int) (a.getBlue() * (1 - t) + b.getBlue() * t);
    return r << 16 | gr << 8 | bl;
  }

  /** The shape's pixel corners {@code x0, y0, x1, y1}, followed by its polygon (if any). */
  private static double[] shape(int cls, double x0, double y0, double side, Random rnd) {
    return switch (cls) {
      case 0, 1 -> new double[] {x0, y0, x0 + side, y0 + side};
      case 2 -> { // triangle: apex up or down, with a random horizontal apex offset
        double apex = x0 + side * (0.2 + 0.6 * rnd.nextDouble());
        boolean up = rnd.nextBoolean();
        double[] poly = up ? new double[] {apex, y0, x0 + side, y0 + side, x0, y0 + side}
            : new double[] {apex, y0 + side, x0 + side, y0, x0, y0};
        yield withBounds(poly);
      }
      default -> { // five-pointed star, random rotation
        double rot = rnd.nextDouble() * 2 * Math.PI / 5;
        double cx = x0 + side / 2;
        double cy = y0 + side / 2;
        double[] poly = new double[20];
        for (int i = 0; i < 10; i++) {
          double r = (i % 2 == 0 ? 0.5 : 0.2) * side;
          double a = rot + i * Math.PI / 5 - Math.PI / 2;
          poly[2 * i] = cx + r * Math.cos(a);
          poly[2 * i + 1] = cy + r * Math.sin(a);
        }
        yield withBounds(poly);
      }
    };
  }

  private static double[] withBounds(double[] poly) {
    double x0 = Double.MAX_VALUE;
    double y0 = Double.MAX_VALUE;
    double x1 = -Double.MAX_VALUE;
    double y1 = -Double.MAX_VALUE;
    for (int i = 0; i < poly.length; i += 2) {
      x0 = Math.min(x0, poly[i]);
      x1 = Math.max(x1, poly[i]);
      y0 = Math.min(y0, poly[i + 1]);
      y1 = Math.max(y1, poly[i + 1]);
    }
    double[] out = new double[4 + poly.length];
    out[0] = x0;
    out[1] = y0;
    out[2] = x1;
    out[3] = y1;
    System.arraycopy(poly, 0, out, 4, poly.length);
    return out;
  }

  private static void draw(Graphics2D g, int cls, double x0, double y0, double side, double[] corners) {
    switch (cls) {
      case 0 -> g.fill(new Ellipse2D.Double(x0, y0, side, side));
      case 1 -> g.fill(new Rectangle2D.Double(x0, y0, side, side));
      default -> {
        Path2D.Double path = new Path2D.Double();
        path.moveTo(corners[4], corners[5]);
        for (int i = 6; i < corners.length; i += 2) {
          path.lineTo(corners[i], corners[i + 1]);
        }
        path.closePath();
        g.fill(path);
      }
    }
  }
}
