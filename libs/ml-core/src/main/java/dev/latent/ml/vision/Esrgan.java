package dev.latent.ml.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;

/**
 * UpscalerJS ESRGAN-slim (an RDN: residual dense blocks, global feature fusion, nearest upsampling
 * then a 3x3 conv) on its Keras weights. Input and output range [0, 255] (the package's
 * {@code inputRange}/{@code outputRange}); the output is clamped.
 */
public final class Esrgan implements AutoCloseable {

  private final KerasGraph graph;
  private final NDManager manager;
  private final int scale;

  private Esrgan(KerasGraph graph, NDManager manager, int scale) {
    this.graph = graph;
    this.manager = manager;
    this.scale = scale;
  }

  public static Esrgan load(Path dir, NDManager parent, int scale) throws IOException {
    return new Esrgan(KerasGraph.load(dir.resolve("model.json"), parent), parent, scale);
  }

  public int scale() {
    return scale;
  }

  public RgbImage upscale(RgbImage image) {
    try (NDManager m = manager.newSubManager()) {
      NDArray x = m.create(image.pixels(), new Shape(1, image.height(), image.width(), 3)).transpose(0, 3, 1, 2);
      NDArray y = graph.forward(x).clip(0f, 255f).transpose(0, 2, 3, 1); // [1, sH, sW, 3]
      long[] s = y.getShape().getShape();
      return new RgbImage((int) s[2], (int) s[1], y.toFloatArray());
    }
  }

  @Override
  public void close() {
    graph.close();
  }
}
