package dev.latent.ml.vision;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * PP-OCRv4 on ONNX Runtime: DB text detection (probability map → binary map at 0.3 → connected
 * regions → boxes grown by the DB "unclip" distance area * 1.5 / perimeter), then CTC recognition
 * of each box resized to height 48 (greedy decode: best class per step, collapse repeats, drop
 * the blank). Boxes are axis-aligned: rotated text is out of scope, so the angle classifier
 * shipped with the models is not used yet.
 */
public final class PaddleOcr implements AutoCloseable {

  /** One text line in image pixels. */
  public record Line(String text, float score, int x, int y, int width, int height) {}

  private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  private static final float[] STD = {0.229f, 0.224f, 0.225f};

  private final OnnxModel det;
  private final OnnxModel rec;
  private final List<String> keys;

  private PaddleOcr(OnnxModel det, OnnxModel rec, List<String> keys) {
    this.det = det;
    this.rec = rec;
    this.keys = keys;
  }

  public static PaddleOcr load(Path dir) throws IOException {
    List<String> keys = new ArrayList<>(Files.readAllLines(dir.resolve("keys.txt")));
    keys.add(" "); // use_space_char: the last class is a space
    return new PaddleOcr(OnnxModel.load(dir.resolve("det.onnx")), OnnxModel.load(dir.resolve("rec.onnx")), keys);
  }

  public List<Line> read(RgbImage image) {
    List<Line> lines = new ArrayList<>();
    for (int[] box : detect(image)) {
      Line line = recognise(image, box);
      if (!line.text().isBlank()) {
        lines.add(line);
      }
    }
    lines.sort(Comparator.comparingInt(Line::y).thenComparingInt(Line::x));
    return lines;
  }

  /** Text boxes {@code [x, y, w, h]} in image pixels. */
  List<int[]> detect(RgbImage image) {
    double ratio = Math.min(1.0, 960.0 / Math.max(image.width(), image.height()));
    int w = Math.max(32, (int) Math.round(image.width() * ratio / 32) * 32);
    int h = Math.max(32, (int) Math.round(image.height() * ratio / 32) * 32);
    RgbImage resized = Resampling.BILINEAR.resize(image, w, h);
    float[] chw = new float[3 * w * h];
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < w * h; i++) {
        chw[c * w * h + i] = (resized.pixels()[3 * i + c] / 255f - MEAN[c]) / STD[c];
      }
    }
    float[] prob = det.run(chw, 1, 3, h, w).getFirst().values();
    boolean[] seen = new boolean[w * h];
    List<int[]> boxes = new ArrayList<>();
    for (int start = 0; start < prob.length; start++) {
      if (seen[start] || prob[start] <= 0.3f) {
        continue;
      }
      int x0 = w, y0 = h, x1 = 0, y1 = 0, n = 0;
      double sum = 0;
      var queue = new ArrayDeque<Integer>();
      queue.add(start);
      seen[start] = true;
      while (!queue.isEmpty()) {
        int p = queue.poll();
        int px = p % w, py = p / w;
        x0 = Math.min(x0, px); x1 = Math.max(x1, px); y0 = Math.min(y0, py); y1 = Math.max(y1, py);
        sum += prob[p];
        n++;
        int[] next = {p - 1, p + 1, p - w, p + w};
        for (int q : next) {
          boolean neighbour = q >= 0 && q < prob.length && (Math.abs(q % w - px) <= 1);
          if (neighbour && !seen[q] && prob[q] > 0.3f) {
            seen[q] = true;
            queue.add(q);
          }
        }
      }
      int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
      if (n < 9 || Math.min(bw, bh) < 3 || sum / n < 0.6) {
        continue;
      }
      double d = bw * bh * 1.5 / (2.0 * (bw + bh)); // DB unclip distance
      double sx = (double) image.width() / w, sy = (double) image.height() / h;
      int bx = (int) Math.max(0, Math.floor((x0 - d) * sx));
      int by = (int) Math.max(0, Math.floor((y0 - d) * sy));
      int ex = (int) Math.min(image.width(), Math.ceil((x1 + 1 + d) * sx));
      int ey = (int) Math.min(image.height(), Math.ceil((y1 + 1 + d) * sy));
      boxes.add(new int[] {bx, by, ex - bx, ey - by});
    }
    return boxes;
  }

  Line recognise(RgbImage image, int[] box) {
    RgbImage crop = image.crop(box[0], box[1], box[2], box[3]);
    int h = 48;
    int w = Math.max(16, Math.min(2048, (int) Math.ceil(h * (double) box[2] / box[3])));
    RgbImage resized = Resampling.BILINEAR.resize(crop, w, h);
    float[] chw = new float[3 * w * h];
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < w * h; i++) {
        chw[c * w * h + i] = (resized.pixels()[3 * i + c] / 255f - 0.5f) / 0.5f;
      }
    }
    OnnxModel.Output out = rec.run(chw, 1, 3, h, w).getFirst(); // [1, T, classes]
    int steps = (int) out.shape()[1];
    int classes = (int) out.shape()[2];
    StringBuilder text = new StringBuilder();
    double scoreSum = 0;
    int kept = 0;
    int previous = -1;
    for (int t = 0; t < steps; t++) {
      int best = 0;
      float bestP = -1;
      for (int k = 0; k < classes; k++) {
        float p = out.values()[t * classes + k];
        if (p > bestP) {
          bestP = p;
          best = k;
        }
      }
      if (best != 0 && best != previous && best - 1 < keys.size()) {
        text.append(keys.get(best - 1));
        scoreSum += bestP;
        kept++;
      }
      previous = best;
    }
    return new Line(text.toString().strip(), kept == 0 ? 0 : (float) (scoreSum / kept), box[0], box[1], box[2], box[3]);
  }

  @Override
  public void close() {
    det.close();
    rec.close();
  }
}
