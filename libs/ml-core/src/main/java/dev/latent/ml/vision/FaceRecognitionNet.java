package dev.latent.ml.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * face-api's 128-d face descriptor network (dlib's ResNet-34-like metric net) rebuilt in DJL from
 * the package's tfjs weights. The forward pass follows face-api's {@code FaceRecognitionNet.ts}:
 * mean-RGB normalisation / 255, a 7x7/2 "valid" conv + 3x3/2 max-pool, residual stages of 32, 64,
 * 128, 256 channels (the down blocks add an avg-pooled, zero-channel-padded shortcut), global
 * average pool and a 256x128 matrix. Every conv is followed by an affine "scale" layer; both are
 * folded into one conv weight and bias at load time (same maths, one op less per layer).
 * Output descriptors are L2-normalised, so cosine similarity is a dot product.
 */
public final class FaceRecognitionNet implements AutoCloseable {

  public static final int INPUT_SIZE = 150;
  public static final int DIM = 128;
  private static final float[] MEAN_RGB = {122.782f, 117.001f, 104.298f};
  private static final List<String> STAGES = List.of(
      "conv32_1", "conv32_2", "conv32_3",
      "conv64_down", "conv64_1", "conv64_2", "conv64_3",
      "conv128_down", "conv128_1", "conv128_2",
      "conv256_down", "conv256_1", "conv256_2", "conv256_down_out");

  private record Conv(NDArray weight, NDArray bias) {}

  private final NDManager manager;
  private final Map<String, Conv> convs = new HashMap<>();
  private final NDArray fc;
  private final NDArray mean;

  private FaceRecognitionNet(NDManager manager, TfjsWeights weights) {
    this.manager = manager;
    convs.put("conv32_down", fold(weights, "conv32_down/"));
    for (String stage : STAGES) {
      convs.put(stage + "/conv1", fold(weights, stage + "/conv1/"));
      convs.put(stage + "/conv2", fold(weights, stage + "/conv2/"));
    }
    fc = weights.get("fc").toNd(manager); // [256, 128]
    mean = manager.create(MEAN_RGB, new Shape(1, 3, 1, 1));
  }

  /** Loads {@code weights_manifest.json} + shard from a model directory. */
  public static FaceRecognitionNet load(Path dir, NDManager parent) throws IOException {
    TfjsWeights weights = TfjsWeights.read(dir.resolve("weights_manifest.json"));
    return new FaceRecognitionNet(parent.newSubManager(), weights);
  }

  public static FaceRecognitionNet of(TfjsWeights weights, NDManager parent) {
    return new FaceRecognitionNet(parent.newSubManager(), weights);
  }

  private Conv fold(TfjsWeights w, String prefix) {
    NDArray kernel = w.convKernel(manager, prefix + "conv/filters"); // [out, in, kh, kw]
    try (NDManager scratch = manager.newSubManager()) {
      NDArray bias = w.get(prefix + "conv/bias").toNd(scratch);
      NDArray scale = w.get(prefix + "scale/weights").toNd(scratch);
      NDArray shift = w.get(prefix + "scale/biases").toNd(scratch);
      // (conv(x) + b) * s + t  ==  conv_{W*s}(x) + (b*s + t)
      NDArray folded = kernel.mul(scale.reshape(-1, 1, 1, 1));
      NDArray foldedBias = bias.mul(scale).add(shift);
      folded.attach(manager);
      foldedBias.attach(manager);
      kernel.close();
      return new Conv(folded, foldedBias);
    }
  }

  /**
   * Descriptors for a batch of aligned 150x150 face crops.
   *
   * @param crops {@code [B, 150, 150, 3]} RGB in [0, 255]
   * @return {@code [B, 128]} L2-normalised descriptors (attached to the input's manager)
   */
  public NDArray forward(NDArray crops) {
    NDArray x = crops.transpose(0, 3, 1, 2).sub(mean).div(255f); // [B, 3, 150, 150]
    x = conv(x, convs.get("conv32_down"), 2, 0, true); // [B, 32, 72, 72]
    x = Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2), new Shape(0, 0), false); // [B, 32, 35, 35]
    for (String stage : STAGES) {
      x = stage.endsWith("down") || stage.endsWith("down_out") ? residualDown(x, stage) : residual(x, stage);
    }
    // [B, 256, 2, 2] -> global average -> [B, 256] @ [256, 128]
    NDArray pooled = x.reshape(x.getShape().get(0), x.getShape().get(1), -1).mean(new int[] {2});
    NDArray out = pooled.matMul(fc);
    return out.div(out.norm(new int[] {1}, true).add(1e-10f));
  }

  /** Convenience: one crop per {@link RgbImage} (each must be 150x150). */
  public float[][] describe(List<RgbImage> crops) {
    try (NDManager m = manager.newSubManager()) {
      float[] flat = new float[crops.size() * INPUT_SIZE * INPUT_SIZE * 3];
      for (int i = 0; i < crops.size(); i++) {
        RgbImage c = crops.get(i);
        if (c.width() != INPUT_SIZE || c.height() != INPUT_SIZE) {
          throw new IllegalArgumentException("face crops must be 150x150");
        }
        System.arraycopy(c.pixels(), 0, flat, i * c.pixels().length, c.pixels().length);
      }
      NDArray in = m.create(flat, new Shape(crops.size(), INPUT_SIZE, INPUT_SIZE, 3));
      float[] out = forward(in).toFloatArray();
      float[][] rows = new float[crops.size()][DIM];
      for (int i = 0; i < rows.length; i++) {
        System.arraycopy(out, i * DIM, rows[i], 0, DIM);
      }
      return rows;
    }
  }

  private NDArray residual(NDArray x, String stage) {
    NDArray out = conv(x, convs.get(stage + "/conv1"), 1, 1, true);
    out = conv(out, convs.get(stage + "/conv2"), 1, 1, false);
    return out.add(x).maximum(0f);
  }

  private NDArray residualDown(NDArray x, String stage) {
    NDArray out = conv(x, convs.get(stage + "/conv1"), 2, 0, true);
    out = conv(out, convs.get(stage + "/conv2"), 1, 1, false);
    NDArray pooled = Pool.avgPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false, true);
    if (pooled.getShape().get(2) != out.getShape().get(2)) {
      // tfjs "valid" 3x3/2 gives one row/column less than the 2x2/2 pool: pad bottom/right with 0
      out = out.pad(new Shape(0, 1, 0, 1), 0);
    }
    if (pooled.getShape().get(1) != out.getShape().get(1)) {
      pooled = NDArrays.concat(new NDList(pooled, pooled.zerosLike()), 1);
    }
    return pooled.add(out).maximum(0f);
  }

  private static NDArray conv(NDArray x, Conv c, int stride, int pad, boolean relu) {
    NDArray y = Conv2d.conv2d(x, c.weight(), c.bias(), new Shape(stride, stride), new Shape(pad, pad))
        .singletonOrThrow();
    return relu ? y.maximum(0f) : y;
  }

  @Override
  public void close() {
    manager.close();
  }
}
