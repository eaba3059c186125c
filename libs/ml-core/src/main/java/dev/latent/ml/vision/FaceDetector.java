package dev.latent.ml.vision;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * BlazeFace on ONNX Runtime: letterboxes the image into the model's square NHWC input (aspect
 * kept, black padding), scales pixels to [-1, 1], runs the net and maps the decoded detections
 * back to image pixels. The barracuda export has four outputs: scores and regressors of the
 * 16x16 grid (512 anchors) and of the 8x8 grid (384 anchors).
 */
public final class FaceDetector implements AutoCloseable {

  private final OnnxModel model;
  private final int inputSize;

  public FaceDetector(OnnxModel model, int inputSize) {
    this.model = model;
    this.inputSize = inputSize;
  }

  /** Loads {@code model.onnx}; the input size is 256 for the "back" model, 128 for "front". */
  public static FaceDetector load(Path dir, int inputSize) throws IOException {
    return new FaceDetector(OnnxModel.load(dir.resolve("model.onnx")), inputSize);
  }

  public int inputSize() {
    return inputSize;
  }

  public List<FaceDetection> detect(RgbImage image, float scoreThreshold, float iouThreshold) {
    float scale = (float) inputSize / Math.max(image.width(), image.height());
    int w = Math.max(1, Math.round(image.width() * scale));
    int h = Math.max(1, Math.round(image.height() * scale));
    int ox = (inputSize - w) / 2;
    int oy = (inputSize - h) / 2;
    RgbImage resized = Resampling.BILINEAR.resize(image, w, h);
    float[] input = new float[inputSize * inputSize * 3];
    java.util.Arrays.fill(input, -1f);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int src = (y * w + x) * 3;
        int dst = ((y + oy) * inputSize + x + ox) * 3;
        for (int c = 0; c < 3; c++) {
          input[dst + c] = resized.pixels()[src + c] / 127.5f - 1f;
        }
      }
    }
    List<OnnxModel.Output> outs = new ArrayList<>(model.run(input, 1, inputSize, inputSize, 3));
    // scores are [1, n, 1], regressors [1, n, 16]; the 512-anchor grid comes first
    outs.sort(Comparator.comparingLong((OnnxModel.Output o) -> o.shape()[o.shape().length - 1])
        .thenComparingLong(o -> -o.shape()[1]));
    float[] logits = concat(outs.get(0).values(), outs.get(1).values());
    float[] regressors = concat(outs.get(2).values(), outs.get(3).values());
    List<FaceDetection> found = BlazeFace.decode(logits, regressors, inputSize, scoreThreshold, iouThreshold);
    List<FaceDetection> mapped = new ArrayList<>(found.size());
    for (FaceDetection d : found) {
      float[] kp = new float[d.keypoints().length];
      for (int k = 0; k < kp.length; k += 2) {
        kp[k] = (d.keypoints()[k] * inputSize - ox) / scale;
        kp[k + 1] = (d.keypoints()[k + 1] * inputSize - oy) / scale;
      }
      mapped.add(new FaceDetection((d.x() * inputSize - ox) / scale, (d.y() * inputSize - oy) / scale,
          d.width() * inputSize / scale, d.height() * inputSize / scale, d.score(), kp));
    }
    return mapped;
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Override
  public void close() {
    model.close();
  }
}
