package dev.latent.ml.vision;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * BlazeFace post-processing (MediaPipe's SSD anchors, no learned anchor sizes): 896 anchors on two
 * grids (16x16 cells x 2 and 8x8 cells x 6, for either input size 128 or 256); each anchor
 * regresses a box centre/size and six keypoints as pixel offsets from the anchor centre; then
 * weighted NMS blends overlapping detections by score instead of dropping them (steadier boxes
 * than hard NMS, as MediaPipe does). Pure Java so that the decoding is testable without a model.
 */
public final class BlazeFace {

  public static final int ANCHORS = 896;
  private static final int VALUES = 16; // 4 box + 6 keypoints x 2

  private BlazeFace() {}

  /** Anchor centres in [0, 1], {@code [x0, y0, x1, y1, ...]}, in the model's output order. */
  public static float[] anchors() {
    float[] out = new float[ANCHORS * 2];
    int i = 0;
    int[][] layers = {{16, 2}, {8, 6}};
    for (int[] layer : layers) {
      int cells = layer[0];
      for (int y = 0; y < cells; y++) {
        for (int x = 0; x < cells; x++) {
          for (int a = 0; a < layer[1]; a++) {
            out[i++] = (x + 0.5f) / cells;
            out[i++] = (y + 0.5f) / cells;
          }
        }
      }
    }
    return out;
  }

  /**
   * Decodes raw outputs into detections in the model's input frame, [0, 1] coordinates.
   *
   * @param logits 896 score logits
   * @param regressors 896 x 16 values (dx, dy, w, h, then 6 keypoint dx, dy), in input pixels
   * @param inputSize the model's square input size in pixels (128 or 256)
   */
  public static List<FaceDetection> decode(float[] logits, float[] regressors, int inputSize,
      float scoreThreshold, float iouThreshold) {
    if (logits.length != ANCHORS || regressors.length != ANCHORS * VALUES) {
      throw new IllegalArgumentException("expected 896 scores and 896x16 regressors");
    }
    float[] anchors = anchors();
    float s = 1f / inputSize;
    List<FaceDetection> raw = new ArrayList<>();
    for (int i = 0; i < ANCHORS; i++) {
      float score = (float) (1 / (1 + Math.exp(-logits[i])));
      if (score < scoreThreshold) {
        continue;
      }
      int r = i * VALUES;
      float cx = anchors[2 * i] + regressors[r] * s;
      float cy = anchors[2 * i + 1] + regressors[r + 1] * s;
      float w = regressors[r + 2] * s;
      float h = regressors[r + 3] * s;
      float[] kp = new float[FaceDetection.KEYPOINTS * 2];
      for (int k = 0; k < FaceDetection.KEYPOINTS; k++) {
        kp[2 * k] = anchors[2 * i] + regressors[r + 4 + 2 * k] * s;
        kp[2 * k + 1] = anchors[2 * i + 1] + regressors[r + 5 + 2 * k] * s;
      }
      raw.add(new FaceDetection(cx - w / 2, cy - h / 2, w, h, score, kp));
    }
    return weightedNms(raw, iouThreshold);
  }

  /**
   * Weighted non-maximum suppression: take the best remaining detection, gather every remaining
   * one that overlaps it by at least {@code iouThreshold}, and replace the group by its
   * score-weighted mean box and keypoints, keeping the best score.
   */
  public static List<FaceDetection> weightedNms(List<FaceDetection> detections, float iouThreshold) {
    List<FaceDetection> remaining = new ArrayList<>(detections);
    remaining.sort(Comparator.comparingDouble(FaceDetection::score).reversed());
    List<FaceDetection> out = new ArrayList<>();
    while (!remaining.isEmpty()) {
      FaceDetection best = remaining.get(0);
      List<FaceDetection> group = new ArrayList<>();
      for (var it = remaining.iterator(); it.hasNext(); ) {
        FaceDetection d = it.next();
        if (d == best || best.iou(d) >= iouThreshold) {
          group.add(d);
          it.remove();
        }
      }
      float total = 0;
      float x = 0, y = 0, w = 0, h = 0;
      float[] kp = new float[FaceDetection.KEYPOINTS * 2];
      for (FaceDetection d : group) {
        float sc = d.score();
        total += sc;
        x += d.x() * sc;
        y += d.y() * sc;
        w += d.width() * sc;
        h += d.height() * sc;
        for (int k = 0; k < kp.length; k++) {
          kp[k] += d.keypoints()[k] * sc;
        }
      }
      for (int k = 0; k < kp.length; k++) {
        kp[k] /= total;
      }
      out.add(new FaceDetection(x / total, y / total, w / total, h / total, best.score(), kp));
    }
    return out;
  }
}
