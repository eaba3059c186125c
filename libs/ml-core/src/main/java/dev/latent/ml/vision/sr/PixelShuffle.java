package dev.latent.ml.vision.sr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Sub-pixel rearrangement (depth to space), PyTorch's {@code PixelShuffle} order: input channel
 * {@code c·r² + i·r + j} at (h, w) becomes output channel c at (h·r + i, w·r + j).
 */
public final class PixelShuffle {

  private PixelShuffle() {}

  /** {@code [N, C·r², H, W]} → {@code [N, C, H·r, W·r]}. */
  public static NDArray apply(NDArray x, int r) {
    long[] s = x.getShape().getShape();
    if (s.length != 4 || s[1] % ((long) r * r) != 0) {
      throw new IllegalArgumentException("expected [N, C*r*r, H, W] with r=" + r + ", got " + x.getShape());
    }
    long n = s[0], c = s[1] / ((long) r * r), h = s[2], w = s[3];
    return x.reshape(new Shape(n, c, r, r, h, w))
        .transpose(0, 1, 4, 2, 5, 3)
        .reshape(new Shape(n, c, h * r, w * r));
  }
}
