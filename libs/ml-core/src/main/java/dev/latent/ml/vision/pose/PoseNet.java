package dev.latent.ml.vision.pose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import dev.latent.ml.train.AdamOptimizer;
import dev.latent.ml.vision.sr.NamedParams;
import java.util.List;
import java.util.Random;

/**
 * A small pose network for 64×64 stick-figure images, with one of three heads on the same
 * backbone (conv 3×3 stride 2, 16 → conv 3×3, 32 → conv 3×3 stride 2, 48 → conv 3×3, 48; ReLU):
 *
 * <ul>
 *   <li>{@link Head#HEATMAP}: a 1×1 conv to K logit maps at 16×16 (stride 4); trained with the
 *       cross-entropy between {@code softmax(map)} and a normalised Gaussian (σ = 1 cell) around
 *       the joint; decoded by argmax or by soft-argmax (the expectation under the softmax).
 *   <li>{@link Head#RLE}: conv 3×3 stride 2 (64) → flatten → FC 128 → FC 4K: per coordinate a
 *       location μ̂ and a scale σ̂ = sigmoid(·), trained with {@link RleLoss#rle} and a learned
 *       3-component residual mixture.
 *   <li>{@link Head#L1}: the same regression head trained with a plain L1 loss (σ̂ unused), the
 *       baseline RLE improves on.
 * </ul>
 *
 * Coordinates: pixels with pixel centres at integer + 0.5 (Java2D's convention).
 */
public final class PoseNet implements AutoCloseable {

  /** Which head and loss. */
  public enum Head { HEATMAP, RLE, L1 }

  public static final int SIZE = 64;
  public static final int MAP = 16;
  private static final int STRIDE = SIZE / MAP;

  private final Head head;
  private final int k;
  private final NamedParams params;

  public PoseNet(Head head, int keypoints, NDManager parent, long seed) {
    this.head = head;
    this.k = keypoints;
    this.params = new NamedParams(parent);
    Random rnd = new Random(seed);
    params.conv("c1", 16, 3, 3, rnd);
    params.conv("c2", 32, 16, 3, rnd);
    params.conv("c3", 48, 32, 3, rnd);
    params.conv("c4", 48, 48, 3, rnd);
    if (head == Head.HEATMAP) {
      params.normal("hm.w", new Shape(k, 48, 1, 1), Math.sqrt(1.0 / 48), rnd);
      params.constant("hm.b", new Shape(k), 0f);
    } else {
      params.conv("c5", 64, 48, 3, rnd);
      params.normal("fc1.w", new Shape(128, 64 * 8 * 8), Math.sqrt(2.0 / (64 * 8 * 8)), rnd);
      params.constant("fc1.b", new Shape(128), 0f);
      params.normal("fc2.w", new Shape(4L * k, 128), 0.01, rnd);
      params.put("fc2.b", params.manager().create(initialRegressionBias(k)));
      params.constant("mix.logits", new Shape(3), 0f);
      params.put("mix.means", params.manager().create(new float[] {0f, 0f, 0f}));
      params.put("mix.logscales", params.manager().create(new float[] {0f, -1f, 1f}));
    }
  }

  // μ starts at the image centre (0.5 in normalised units), σ̂ at sigmoid(-2) ≈ 0.12
  private static float[] initialRegressionBias(int k) {
    float[] b = new float[4 * k];
    for (int i = 0; i < 2 * k; i++) {
      b[i] = 0.5f;
      b[2 * k + i] = -2f;
    }
    return b;
  }

  public Head head() {
    return head;
  }

  public NamedParams params() {
    return params;
  }

  /** {@code [N, 3, 64, 64]} in [0, 1] → heatmap logits {@code [N, K, 16, 16]} or {@code [N, 4K]}. */
  public NDArray forward(NDArray x) {
    NDArray h = relu(conv(x, "c1", 2, 1));
    h = relu(conv(h, "c2", 1, 1));
    h = relu(conv(h, "c3", 2, 1));
    h = relu(conv(h, "c4", 1, 1));
    if (head == Head.HEATMAP) {
      return conv(h, "hm", 1, 0);
    }
    h = relu(conv(h, "c5", 2, 1)).reshape(x.getShape().get(0), -1);
    h = relu(h.matMul(params.get("fc1.w").transpose()).add(params.get("fc1.b")));
    return h.matMul(params.get("fc2.w").transpose()).add(params.get("fc2.b"));
  }

  private NDArray conv(NDArray x, String name, int stride, int pad) {
    return Conv2d.conv2d(x, params.get(name + ".w"), params.get(name + ".b"), new Shape(stride, stride),
        new Shape(pad, pad)).singletonOrThrow();
  }

  private static NDArray relu(NDArray x) {
    return Activation.relu(x);
  }

  /** The training loss of a batch of samples. */
  public NDArray loss(NDManager m, List<StickFigures.Sample> batch) {
    int n = batch.size();
    NDArray x = images(m, batch);
    NDArray out = forward(x);
    if (head == Head.HEATMAP) {
      float[] targets = new float[n * k * MAP * MAP];
      for (int i = 0; i < n; i++) {
        StickFigures.Sample s = batch.get(i);
        double[] cx = new double[k];
        double[] cy = new double[k];
        for (int j = 0; j < k; j++) {
          cx[j] = toCell(s.xs()[j]);
          cy[j] = toCell(s.ys()[j]);
        }
        System.arraycopy(Heatmaps.gaussianTargets(cx, cy, MAP, MAP, 1.0), 0, targets, i * k * MAP * MAP, k * MAP * MAP);
      }
      NDArray logits = out.reshape(n, k, MAP * MAP);
      NDArray t = m.create(targets, new Shape(n, k, MAP * MAP));
      return t.mul(logits.logSoftmax(-1)).sum(new int[] {-1}).neg().mean();
    }
    float[] target = new float[n * 2 * k];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < k; j++) {
        target[i * 2 * k + 2 * j] = (float) (batch.get(i).xs()[j] / SIZE);
        target[i * 2 * k + 2 * j + 1] = (float) (batch.get(i).ys()[j] / SIZE);
      }
    }
    NDArray t = m.create(target, new Shape(n, 2L * k));
    NDArray mu = out.get(":, 0:" + 2 * k);
    if (head == Head.L1) {
      return mu.sub(t).abs().mean();
    }
    NDArray sigma = Activation.sigmoid(out.get(":, " + 2 * k + ":")).add(1e-4f);
    return RleLoss.rle(mu, sigma, t, params.get("mix.logits"), params.get("mix.means"),
        params.get("mix.logscales"));
  }

  /**
   * Predicted joints in pixels, {@code [n][k][2]}; for the heatmap head {@code softArgmax}
   * chooses the decoding (argmax otherwise).
   */
  public double[][][] predict(List<StickFigures.Sample> batch, boolean softArgmax) {
    int n = batch.size();
    double[][][] out = new double[n][k][2];
    try (NDManager m = params.manager().newSubManager()) {
      float[] y = forward(images(m, batch)).toFloatArray();
      for (int i = 0; i < n; i++) {
        if (head == Head.HEATMAP) {
          float[] maps = new float[k * MAP * MAP];
          System.arraycopy(y, i * k * MAP * MAP, maps, 0, maps.length);
          Heatmaps.Peak[] peaks = softArgmax ? Heatmaps.softArgmax(maps, k, MAP, MAP, 1.0)
              : Heatmaps.argmax(maps, k, MAP, MAP);
          for (int j = 0; j < k; j++) {
            out[i][j][0] = fromCell(peaks[j].x());
            out[i][j][1] = fromCell(peaks[j].y());
          }
        } else {
          for (int j = 0; j < k; j++) {
            out[i][j][0] = y[i * 4 * k + 2 * j] * SIZE;
            out[i][j][1] = y[i * 4 * k + 2 * j + 1] * SIZE;
          }
        }
      }
    }
    return out;
  }

  // cell c is centred on input pixel index STRIDE·c (stride-2 3×3 convs, padding 1, twice), i.e.
  // continuous coordinate STRIDE·c + 0.5
  static double toCell(double px) {
    return (px - 0.5) / STRIDE;
  }

  static double fromCell(double cell) {
    return cell * STRIDE + 0.5;
  }

  private static NDArray images(NDManager m, List<StickFigures.Sample> batch) {
    int n = batch.size();
    float[] chw = new float[n * 3 * SIZE * SIZE];
    for (int i = 0; i < n; i++) {
      float[] p = batch.get(i).image().pixels();
      for (int q = 0; q < SIZE * SIZE; q++) {
        for (int c = 0; c < 3; c++) {
          chw[i * 3 * SIZE * SIZE + c * SIZE * SIZE + q] = p[q * 3 + c] / 255f;
        }
      }
    }
    return m.create(chw, new Shape(n, 3, SIZE, SIZE));
  }

  /** Trains for {@code steps} Adam steps on freshly generated batches; returns the last losses. */
  public double train(int steps, int batch, float lr, long seed, java.util.function.IntConsumer onStep) {
    Random rnd = new Random(seed);
    double last = Double.NaN;
    try (AdamOptimizer adam = new AdamOptimizer(AdamOptimizer.Settings.of(AdamOptimizer.Kind.ADAM, 0f),
        params.manager())) {
      for (int s = 0; s < steps; s++) {
        List<StickFigures.Sample> b = new java.util.ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
          b.add(StickFigures.sample(SIZE, rnd));
        }
        double t = s / (double) steps;
        float rate = (float) (lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * t))));
        last = params.step(m -> loss(m, b), adam, rate);
        onStep.accept(s + 1);
      }
    }
    return last;
  }

  @Override
  public void close() {
    params.close();
  }
}
