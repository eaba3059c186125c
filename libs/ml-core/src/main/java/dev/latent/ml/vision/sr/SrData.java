package dev.latent.ml.vision.sr;

import dev.latent.ml.vision.RgbImage;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Images for super-resolution: photos read from disk, rendered text/shape patterns, the
 * degradation (box-average downscale: an exact area resize, no aliasing) and random aligned
 * low/high-resolution patch pairs. Training and evaluation use the same degradation.
 */
public final class SrData {

  private SrData() {}

  /** A high-resolution image and its degraded version for one scale. */
  public record Pair(RgbImage high, RgbImage low, int scale) {
    public static Pair of(RgbImage image, int scale) {
      RgbImage high = cropToMultiple(image, scale);
      return new Pair(high, boxDownscale(high, scale), scale);
    }
  }

  /** Every .jpg/.jpeg/.png under the given paths (files or directories), sorted by name. */
  public static List<Path> imageFiles(List<Path> roots) throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path root : roots) {
      if (Files.isDirectory(root)) {
        try (Stream<Path> s = Files.list(root)) {
          s.filter(SrData::isImage).sorted().forEach(out::add);
        }
      } else if (isImage(root)) {
        out.add(root);
      }
    }
    return out;
  }

  private static boolean isImage(Path p) {
    String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    return Files.isRegularFile(p) && (n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png"));
  }

  /** Reads an image, box-shrinking it by an integer factor first when {@code maxSide} is exceeded. */
  public static RgbImage read(Path file, int maxSide) throws IOException {
    BufferedImage b = ImageIO.read(file.toFile());
    if (b == null) {
      throw new IOException("not an image: " + file);
    }
    RgbImage image = RgbImage.of(b);
    int f = (int) Math.ceil(Math.max(image.width(), image.height()) / (double) maxSide);
    return f > 1 ? boxDownscale(image, f) : image;
  }

  public static RgbImage cropToMultiple(RgbImage image, int scale) {
    int w = image.width() / scale * scale;
    int h = image.height() / scale * scale;
    return w == image.width() && h == image.height() ? image : image.crop(0, 0, w, h);
  }

  /** Area downscale by an integer factor (trailing rows/columns that do not fill a block are dropped). */
  public static RgbImage boxDownscale(RgbImage src, int f) {
    int w = src.width() / f;
    int h = src.height() / f;
    float[] out = new float[w * h * 3];
    float norm = 1f / (f * f);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int c = 0; c < 3; c++) {
          float sum = 0;
          for (int j = 0; j < f; j++) {
            for (int i = 0; i < f; i++) {
              sum += src.get(x * f + i, y * f + j, c);
            }
          }
          out[(y * w + x) * 3 + c] = sum * norm;
        }
      }
    }
    return new RgbImage(w, h, out);
  }

  /**
   * A rendered training image: random text in several fonts and sizes, lines, ellipses and
   * stripes on a smooth random background: sharp edges of every orientation, which photos alone
   * have few of.
   */
  public static RgbImage pattern(int size, Random rnd) {
    var b = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = b.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setPaint(new java.awt.GradientPaint(0, 0, color(rnd), size, size, color(rnd)));
    g.fillRect(0, 0, size, size);
    String[] fonts = {Font.SANS_SERIF, Font.SERIF, Font.MONOSPACED};
    String letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int i = 0; i < 12; i++) {
      g.setColor(color(rnd));
      switch (rnd.nextInt(4)) {
        case 0 -> {
          g.setFont(new Font(fonts[rnd.nextInt(fonts.length)], rnd.nextBoolean() ? Font.BOLD : Font.PLAIN,
              8 + rnd.nextInt(28)));
          StringBuilder s = new StringBuilder();
          for (int k = 0; k < 4 + rnd.nextInt(10); k++) {
            s.append(letters.charAt(rnd.nextInt(letters.length())));
          }
          g.drawString(s.toString(), rnd.nextInt(size) - size / 4, rnd.nextInt(size));
        }
        case 1 -> {
          g.setStroke(new BasicStroke(1 + rnd.nextInt(5)));
          g.drawLine(rnd.nextInt(size), rnd.nextInt(size), rnd.nextInt(size), rnd.nextInt(size));
        }
        case 2 -> g.fillOval(rnd.nextInt(size), rnd.nextInt(size), 4 + rnd.nextInt(size / 3), 4 + rnd.nextInt(size / 3));
        default -> {
          int period = 2 + rnd.nextInt(8);
          int x0 = rnd.nextInt(size);
          for (int x = 0; x < size / 4; x += period) {
            g.fillRect(x0 + x, 0, Math.max(1, period / 2), size);
          }
        }
      }
    }
    g.dispose();
    return RgbImage.of(b);
  }

  private static Color color(Random rnd) {
    return new Color(rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(256));
  }

  /**
   * A batch of random aligned patches: {@code low} as {@code [N, 3, p, p]} and {@code high} as
   * {@code [N, 3, p·s, p·s]}, both channel-first in [0, 1], with random flips and transposes.
   */
  public record Patches(float[] low, float[] high, int n, int patch, int scale) {}

  public static Patches sample(List<Pair> pairs, int n, int patch, Random rnd) {
    int s = pairs.getFirst().scale();
    int hp = patch * s;
    float[] low = new float[n * 3 * patch * patch];
    float[] high = new float[n * 3 * hp * hp];
    for (int k = 0; k < n; k++) {
      Pair pair = pairs.get(rnd.nextInt(pairs.size()));
      int x = rnd.nextInt(pair.low().width() - patch + 1);
      int y = rnd.nextInt(pair.low().height() - patch + 1);
      int aug = rnd.nextInt(8);
      copy(pair.low(), x, y, patch, aug, low, k);
      copy(pair.high(), x * s, y * s, hp, aug, high, k);
    }
    return new Patches(low, high, n, patch, s);
  }

  // aug: bit 0 flips x, bit 1 flips y, bit 2 transposes
  private static void copy(RgbImage im, int x0, int y0, int p, int aug, float[] out, int k) {
    int base = k * 3 * p * p;
    for (int v = 0; v < p; v++) {
      for (int u = 0; u < p; u++) {
        int a = (aug & 1) != 0 ? p - 1 - u : u;
        int b = (aug & 2) != 0 ? p - 1 - v : v;
        int sx = (aug & 4) != 0 ? b : a;
        int sy = (aug & 4) != 0 ? a : b;
        for (int c = 0; c < 3; c++) {
          out[base + c * p * p + v * p + u] = im.get(x0 + sx, y0 + sy, c) / 255f;
        }
      }
    }
  }
}
