package dev.latent.ml.vision.detr;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Mean average precision at an IoU threshold, VOC style (2010+): per class, detections of all
 * images sorted by score; each is a true positive when its best-overlapping ground truth of that
 * class (IoU ≥ threshold) is not yet taken, else a false positive; AP is the area under the
 * precision–recall curve with precision made monotone (all-point interpolation). mAP is the mean
 * over the classes that have ground truth.
 */
public final class MeanAp {

  private MeanAp() {}

  /** One predicted box in corner form. */
  public record Prediction(int classId, double score, double[] box) {}

  /** One ground-truth box in corner form. */
  public record Truth(int classId, double[] box) {}

  /** AP per class ({@code NaN} where a class has no ground truth) and their mean. */
  public record Result(double map, double[] perClass) {}

  /** IoU of corner boxes {@code (x0, y0, x1, y1)}. */
  public static double iou(double[] a, double[] b) {
    double iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
    double ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
    double inter = iw * ih;
    double union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return union > 0 ? inter / union : 0;
  }

  /**
   * @param predictions per image
   * @param truths per image (same order)
   */
  public static Result evaluate(List<List<Prediction>> predictions, List<List<Truth>> truths, int numClasses,
      double iouThreshold) {
    if (predictions.size() != truths.size()) {
      throw new IllegalArgumentException("predictions for " + predictions.size() + " images, truths for " + truths.size());
    }
    double[] ap = new double[numClasses];
    double sum = 0;
    int counted = 0;
    for (int c = 0; c < numClasses; c++) {
      ap[c] = classAp(predictions, truths, c, iouThreshold);
      if (!Double.isNaN(ap[c])) {
        sum += ap[c];
        counted++;
      }
    }
    return new Result(counted == 0 ? Double.NaN : sum / counted, ap);
  }

  private record Scored(int image, Prediction p) {}

  private static double classAp(List<List<Prediction>> predictions, List<List<Truth>> truths, int c, double thr) {
    int positives = 0;
    List<boolean[]> taken = new ArrayList<>();
    for (List<Truth> ts : truths) {
      taken.add(new boolean[ts.size()]);
      positives += (int) ts.stream().filter(t -> t.classId() == c).count();
    }
    if (positives == 0) {
      return Double.NaN;
    }
    List<Scored> dets = new ArrayList<>();
    for (int i = 0; i < predictions.size(); i++) {
      for (Prediction p : predictions.get(i)) {
        if (p.classId() == c) {
          dets.add(new Scored(i, p));
        }
      }
    }
    dets.sort(Comparator.comparingDouble((Scored s) -> -s.p().score()));
    double[] precision = new double[dets.size()];
    double[] recall = new double[dets.size()];
    int tp = 0;
    for (int k = 0; k < dets.size(); k++) {
      Scored s = dets.get(k);
      List<Truth> ts = truths.get(s.image());
      int best = -1;
      double bestIou = thr;
      for (int j = 0; j < ts.size(); j++) {
        if (ts.get(j).classId() != c) {
          continue;
        }
        double iou = iou(s.p().box(), ts.get(j).box());
        if (iou >= bestIou) {
          bestIou = iou;
          best = j;
        }
      }
      if (best >= 0 && !taken.get(s.image())[best]) {
        taken.get(s.image())[best] = true;
        tp++;
      }
      precision[k] = tp / (double) (k + 1);
      recall[k] = tp / (double) positives;
    }
    // all-point interpolation: precision envelope, summed over recall steps
    double ap = 0;
    double prevRecall = 0;
    for (int k = 0; k < dets.size(); k++) {
      double envelope = 0;
      for (int j = k; j < dets.size(); j++) {
        envelope = Math.max(envelope, precision[j]);
      }
      ap += (recall[k] - prevRecall) * envelope;
      prevRecall = recall[k];
    }
    return ap;
  }
}
