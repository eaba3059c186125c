package dev.latent.ml.vision;

import java.awt.image.BufferedImage;

/**
 * An RGB image as floats in [0, 255], row-major and channel-interleaved ({@code [H, W, 3]}, the
 * layout tfjs and ONNX NHWC models expect). Immutable by convention: methods return new images.
 */
public record RgbImage(int width, int height, float[] pixels) {

  public RgbImage {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("image must be at least 1x1, got " + width + "x" + height);
    }
    if (pixels.length != width * height * 3) {
      throw new IllegalArgumentException("expected " + width * height * 3 + " values, got " + pixels.length);
    }
  }

  public static RgbImage blank(int width, int height) {
    return new RgbImage(width, height, new float[width * height * 3]);
  }

  public static RgbImage of(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
    float[] out = new float[w * h * 3];
    for (int i = 0; i < argb.length; i++) {
      out[3 * i] = (argb[i] >> 16) & 0xff;
      out[3 * i + 1] = (argb[i] >> 8) & 0xff;
      out[3 * i + 2] = argb[i] & 0xff;
    }
    return new RgbImage(w, h, out);
  }

  public BufferedImage toBufferedImage() {
    var image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    int[] rgb = new int[width * height];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = clamp(pixels[3 * i]) << 16 | clamp(pixels[3 * i + 1]) << 8 | clamp(pixels[3 * i + 2]);
    }
    image.setRGB(0, 0, width, height, rgb, 0, width);
    return image;
  }

  public float get(int x, int y, int c) {
    return pixels[(y * width + x) * 3 + c];
  }

  /** The pixel at (x, y) clamped to the border. */
  public float clamped(int x, int y, int c) {
    int cx = Math.min(width - 1, Math.max(0, x));
    int cy = Math.min(height - 1, Math.max(0, y));
    return pixels[(cy * width + cx) * 3 + c];
  }

  /** Bilinear sample at a real position (pixel centres at integer + 0.5); black outside. */
  public float sample(double x, double y, int c) {
    double fx = x - 0.5;
    double fy = y - 0.5;
    int x0 = (int) Math.floor(fx);
    int y0 = (int) Math.floor(fy);
    double ax = fx - x0;
    double ay = fy - y0;
    return (float) ((1 - ay) * ((1 - ax) * at(x0, y0, c) + ax * at(x0 + 1, y0, c))
        + ay * ((1 - ax) * at(x0, y0 + 1, c) + ax * at(x0 + 1, y0 + 1, c)));
  }

  private float at(int x, int y, int c) {
    return x < 0 || y < 0 || x >= width || y >= height ? 0f : pixels[(y * width + x) * 3 + c];
  }

  public RgbImage crop(int x, int y, int w, int h) {
    if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > width || y + h > height) {
      throw new IllegalArgumentException("crop outside the image");
    }
    float[] out = new float[w * h * 3];
    for (int row = 0; row < h; row++) {
      System.arraycopy(pixels, ((y + row) * width + x) * 3, out, row * w * 3, w * 3);
    }
    return new RgbImage(w, h, out);
  }

  /** Multiplies every value (brightness), clamped to [0, 255]. */
  public RgbImage scaled(float factor) {
    float[] out = new float[pixels.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.min(255f, Math.max(0f, pixels[i] * factor));
    }
    return new RgbImage(width, height, out);
  }

  static int clamp(float v) {
    return Math.min(255, Math.max(0, Math.round(v)));
  }
}
