package dev.latent.ml.vision.detr;

/**
 * DETR's bipartite matching cost between targets and predictions (Carion et al. 2020, sec. 3.1):
 * {@code -w_class * p(target class) + w_l1 * |box - box'|_1 + w_giou * (-GIoU)}, boxes as
 * normalised {@code (cx, cy, w, h)}. The paper's weights are 1, 5 and 2.
 */
public record SetMatcher(double classWeight, double l1Weight, double giouWeight) {

  public static SetMatcher paperDefaults() {
    return new SetMatcher(1, 5, 2);
  }

  /**
   * @param probs predicted class probabilities {@code [queries][classes]}
   * @param boxes predicted boxes {@code [queries][4]}
   * @param targetClasses {@code [targets]}
   * @param targetBoxes {@code [targets][4]}
   * @return the query matched to each target
   */
  public int[] match(double[][] probs, double[][] boxes, int[] targetClasses, double[][] targetBoxes) {
    return Hungarian.solve(cost(probs, boxes, targetClasses, targetBoxes));
  }

  public double[][] cost(double[][] probs, double[][] boxes, int[] targetClasses, double[][] targetBoxes) {
    double[][] c = new double[targetClasses.length][boxes.length];
    for (int t = 0; t < targetClasses.length; t++) {
      for (int q = 0; q < boxes.length; q++) {
        double l1 = 0;
        for (int k = 0; k < 4; k++) {
          l1 += Math.abs(boxes[q][k] - targetBoxes[t][k]);
        }
        c[t][q] = -classWeight * probs[q][targetClasses[t]] + l1Weight * l1
            - giouWeight * Boxes.giou(boxes[q], targetBoxes[t]);
      }
    }
    return c;
  }
}
