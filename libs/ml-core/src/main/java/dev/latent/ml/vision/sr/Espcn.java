package dev.latent.ml.vision.sr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import dev.latent.ml.vision.RgbImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * ESPCN (Shi et al. 2016, "Real-Time Single Image and Video Super-Resolution Using an Efficient
 * Sub-Pixel Convolutional Neural Network"): every convolution runs at the low resolution, and the
 * last one emits {@code scale²·3} channels that {@link PixelShuffle} rearranges into the
 * high-resolution RGB image. conv 5×5 (64) → ReLU → conv 3×3 (32) → ReLU → conv 3×3 (scale²·3) →
 * pixel shuffle. Differences from the paper, on purpose: ReLU instead of tanh, RGB instead of the
 * luma channel, and a global skip: the input is added to each of the scale² sub-pixel groups before
 * the shuffle, so the convolutions learn the residual over nearest-neighbour upsampling (the same
 * network can express it without the skip; with it, training starts from a sensible image and
 * a few hundred CPU steps suffice — without it 600 steps reached 28.5 dB against bicubic's 31.6 on
 * the held-out photos). Values are in [0, 1] inside the network; {@link #upscale} takes and
 * returns [0, 255] images like the rest of the vision package.
 */
public final class Espcn implements AutoCloseable {

  /** The store file the weights live in: {@code <model-dir>/espcn.ndlist}. */
  public static final String WEIGHTS = "espcn.ndlist";

  private final int scale;
  private final NamedParams params;

  public Espcn(int scale, NDManager parent, long seed) {
    if (scale < 2 || scale > 4) {
      throw new IllegalArgumentException("scale must be 2, 3 or 4");
    }
    this.scale = scale;
    this.params = new NamedParams(parent);
    Random rnd = new Random(seed);
    params.conv("conv1", 64, 3, 5, rnd);
    params.conv("conv2", 32, 64, 3, rnd);
    // the last layer starts small: the first outputs are close to the nearest-neighbour upscale
    params.normal("conv3.w", new Shape(scale * scale * 3, 32, 3, 3), 0.1 * Math.sqrt(1.0 / (32 * 9)), rnd);
    params.constant("conv3.b", new Shape(scale * scale * 3), 0f);
  }

  /** Loads {@code espcn.ndlist} from a model directory (the scale is read from the weights). */
  public static Espcn load(Path dir, NDManager parent) throws IOException {
    Path file = dir.resolve(WEIGHTS);
    if (!Files.isRegularFile(file)) {
      throw new IOException("no " + WEIGHTS + " in " + dir);
    }
    int scale = scaleOf(file, parent);
    Espcn net = new Espcn(scale, parent, 0);
    net.params.load(file);
    return net;
  }

  private static int scaleOf(Path file, NDManager parent) throws IOException {
    try (NDManager m = parent.newSubManager()) {
      for (NDArray a : ai.djl.ndarray.NDList.decode(m, Files.readAllBytes(file))) {
        if ("conv3.b".equals(a.getName())) {
          return (int) Math.round(Math.sqrt(a.getShape().get(0) / 3.0));
        }
      }
    }
    throw new IOException(file + " is not an ESPCN weights file");
  }

  public int scale() {
    return scale;
  }

  public NamedParams params() {
    return params;
  }

  /** {@code [N, 3, H, W]} in [0, 1] → {@code [N, 3, H·scale, W·scale]} (not clamped). */
  public NDArray forward(NDArray x) {
    NDArray h = Activation.relu(conv(x, "conv1", 2));
    h = Activation.relu(conv(h, "conv2", 1));
    NDArray residual = conv(h, "conv3", 1); // [N, 3·s², H, W], channel c·s² + i·s + j
    long[] shape = residual.getShape().getShape();
    long[] xs = x.getShape().getShape();
    NDArray skip = x.expandDims(2).broadcast(new Shape(xs[0], xs[1], (long) scale * scale, xs[2], xs[3]))
        .reshape(new Shape(shape));
    return PixelShuffle.apply(residual.add(skip), scale);
  }

  private NDArray conv(NDArray x, String name, int pad) {
    return Conv2d.conv2d(x, params.get(name + ".w"), params.get(name + ".b"), new Shape(1, 1),
        new Shape(pad, pad)).singletonOrThrow();
  }

  public RgbImage upscale(RgbImage image) {
    try (NDManager m = params.manager().newSubManager()) {
      NDArray x = m.create(image.pixels(), new Shape(1, image.height(), image.width(), 3))
          .transpose(0, 3, 1, 2).div(255f);
      NDArray y = forward(x).clip(0f, 1f).mul(255f).transpose(0, 2, 3, 1);
      return new RgbImage(image.width() * scale, image.height() * scale, y.toFloatArray());
    }
  }

  public void save(Path dir) throws IOException {
    params.save(dir.resolve(WEIGHTS));
  }

  @Override
  public void close() {
    params.close();
  }
}
