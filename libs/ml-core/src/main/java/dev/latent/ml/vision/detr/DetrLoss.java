package dev.latent.ml.vision.detr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * DETR's set-prediction loss (Carion et al. 2020, sec. 3.1): per image the predictions are matched
 * one-to-one to the targets by the Hungarian algorithm on {@link SetMatcher}'s cost; then
 * cross-entropy over all queries (unmatched ones target "no object", weighted {@code eosCoef}),
 * plus {@code l1Weight·L1 + giouWeight·(1 − GIoU)} on matched boxes, normalised by the number of
 * targets. With auxiliary losses every decoder layer's output is matched and scored the same way.
 */
public record DetrLoss(SetMatcher matcher, double classWeight, double l1Weight, double giouWeight, double eosCoef,
    boolean auxiliary) {

  public static DetrLoss paperDefaults() {
    return new DetrLoss(SetMatcher.paperDefaults(), 1, 5, 2, 0.1, true);
  }

  /** The image's targets: class ids and normalised {@code (cx, cy, w, h)} boxes. */
  public record Target(int[] classes, double[][] boxes) {}

  /** The loss (a scalar to back-propagate) and its parts for the last layer, as numbers. */
  public record Value(NDArray loss, double classLoss, double l1, double giou) {}

  public Value compute(Detr.Output out, List<Target> targets) {
    Value last = layer(out.last(), targets);
    NDArray total = last.loss();
    if (auxiliary) {
      for (Detr.Head h : out.aux()) {
        total = total.add(layer(h, targets).loss());
      }
    }
    return new Value(total, last.classLoss(), last.l1(), last.giou());
  }

  private Value layer(Detr.Head head, List<Target> targets) {
    NDManager m = head.logits().getManager();
    Shape s = head.logits().getShape();
    int b = (int) s.get(0);
    int q = (int) s.get(1);
    int c1 = (int) s.get(2);
    float[] probs = head.logits().softmax(-1).toFloatArray();
    float[] boxes = head.boxes().toFloatArray();
    float[] onehot = new float[b * q * c1];
    float[] weight = new float[b * q];
    float[] tbox = new float[b * q * 4];
    float[] mask = new float[b * q];
    int numBoxes = 0;
    for (int i = 0; i < b; i++) {
      Target t = targets.get(i);
      int[] assigned = new int[q];
      java.util.Arrays.fill(assigned, -1);
      if (t.classes().length > 0) {
        double[][] p = new double[q][c1];
        double[][] bx = new double[q][4];
        for (int j = 0; j < q; j++) {
          for (int c = 0; c < c1; c++) {
            p[j][c] = probs[(i * q + j) * c1 + c];
          }
          for (int k = 0; k < 4; k++) {
            bx[j][k] = boxes[(i * q + j) * 4 + k];
          }
        }
        int[] match = matcher.match(p, bx, t.classes(), t.boxes());
        for (int k = 0; k < match.length; k++) {
          assigned[match[k]] = k;
        }
      }
      for (int j = 0; j < q; j++) {
        int row = i * q + j;
        int k = assigned[j];
        if (k < 0) {
          onehot[row * c1 + c1 - 1] = 1;
          weight[row] = (float) eosCoef;
          // a benign stand-in box: masked out, but a degenerate one could give inf gradients (inf·0 = NaN)
          for (int d = 0; d < 4; d++) {
            tbox[row * 4 + d] = 0.5f;
          }
        } else {
          onehot[row * c1 + t.classes()[k]] = 1;
          weight[row] = 1;
          mask[row] = 1;
          for (int d = 0; d < 4; d++) {
            tbox[row * 4 + d] = (float) t.boxes()[k][d];
          }
          numBoxes++;
        }
      }
    }
    float norm = Math.max(1, numBoxes);
    NDArray w = m.create(weight, new Shape(b, q));
    NDArray ce = head.logits().logSoftmax(-1).mul(m.create(onehot, s)).sum(new int[] {-1}).neg().mul(w).sum()
        .div(w.sum());
    NDArray msk = m.create(mask, new Shape(b, q));
    NDArray target = m.create(tbox, new Shape(b, q, 4));
    NDArray l1 = head.boxes().sub(target).abs().sum(new int[] {-1}).mul(msk).sum().div(norm);
    NDArray giou = giou(head.boxes(), target).neg().add(1).mul(msk).sum().div(norm);
    NDArray loss = ce.mul((float) classWeight).add(l1.mul((float) l1Weight)).add(giou.mul((float) giouWeight));
    return new Value(loss, ce.getFloat(), l1.getFloat(), giou.getFloat());
  }

  /** Element-wise GIoU of {@code (cx, cy, w, h)} boxes {@code [..., 4]}. */
  static NDArray giou(NDArray a, NDArray b) {
    NDArray[] ac = corners(a);
    NDArray[] bc = corners(b);
    NDArray iw = ac[2].minimum(bc[2]).sub(ac[0].maximum(bc[0])).maximum(0f);
    NDArray ih = ac[3].minimum(bc[3]).sub(ac[1].maximum(bc[1])).maximum(0f);
    NDArray inter = iw.mul(ih);
    NDArray areaA = ac[2].sub(ac[0]).mul(ac[3].sub(ac[1]));
    NDArray areaB = bc[2].sub(bc[0]).mul(bc[3].sub(bc[1]));
    NDArray union = areaA.add(areaB).sub(inter).add(1e-7f);
    NDArray hull = ac[2].maximum(bc[2]).sub(ac[0].minimum(bc[0])).mul(ac[3].maximum(bc[3]).sub(ac[1].minimum(bc[1])))
        .add(1e-7f);
    return inter.div(union).sub(hull.sub(union).div(hull));
  }

  private static NDArray[] corners(NDArray box) {
    NDArray cx = box.get("..., 0");
    NDArray cy = box.get("..., 1");
    NDArray hw = box.get("..., 2").mul(0.5f);
    NDArray hh = box.get("..., 3").mul(0.5f);
    return new NDArray[] {cx.sub(hw), cy.sub(hh), cx.add(hw), cy.add(hh)};
  }
}
