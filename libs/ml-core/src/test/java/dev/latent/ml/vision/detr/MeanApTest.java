package dev.latent.ml.vision.detr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.latent.ml.vision.detr.MeanAp.Prediction;
import dev.latent.ml.vision.detr.MeanAp.Truth;
import java.util.List;
import org.junit.jupiter.api.Test;

class MeanApTest {

  static final double[] A = {0, 0, 10, 10};
  static final double[] B = {20, 20, 30, 30};
  static final double[] NEAR_A = {1, 0, 11, 10}; // IoU 90/110 = 0.818
  static final double[] HALF_A = {5, 0, 15, 10}; // IoU 50/150 = 0.333

  @Test
  void iouOfHandMadeBoxes() {
    assertThat(MeanAp.iou(A, A)).isEqualTo(1.0);
    assertThat(MeanAp.iou(A, B)).isZero();
    assertThat(MeanAp.iou(A, NEAR_A)).isCloseTo(90.0 / 110, within(1e-12));
    assertThat(MeanAp.iou(A, HALF_A)).isCloseTo(50.0 / 150, within(1e-12));
  }

  @Test
  void perfectDetectionsScoreOne() {
    var r = MeanAp.evaluate(List.of(List.of(new Prediction(0, 0.9, A), new Prediction(1, 0.8, B))),
        List.of(List.of(new Truth(0, A), new Truth(1, B))), 2, 0.5);
    assertThat(r.map()).isEqualTo(1.0);
    assertThat(r.perClass()).containsExactly(1.0, 1.0);
  }

  @Test
  void aLowIouOrWrongClassIsAFalsePositive() {
    // class 0: one truth, found only by a box below IoU 0.5 → AP 0; class 1 found → AP 1
    var r = MeanAp.evaluate(List.of(List.of(new Prediction(0, 0.9, HALF_A), new Prediction(1, 0.8, B))),
        List.of(List.of(new Truth(0, A), new Truth(1, B))), 2, 0.5);
    assertThat(r.perClass()).containsExactly(0.0, 1.0);
    assertThat(r.map()).isEqualTo(0.5);
  }

  @Test
  void ranksMatterAndDuplicatesAreFalsePositives() {
    // class 0, two images with one truth each. Ranked: hit (img0), duplicate of it (FP), hit (img1).
    // precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1 → envelope: 1 over [0, .5], 2/3 over [.5, 1]
    var preds = List.of(List.of(new Prediction(0, 0.9, A), new Prediction(0, 0.8, NEAR_A)),
        List.of(new Prediction(0, 0.7, B)));
    var truths = List.of(List.of(new Truth(0, A)), List.of(new Truth(0, B)));
    assertThat(MeanAp.evaluate(preds, truths, 1, 0.5).map()).isCloseTo(0.5 + 0.5 * 2 / 3.0, within(1e-12));
    // the same detections with the duplicate ranked last: 1, 1 at recall .5, 1 → AP 1
    var reordered = List.of(List.of(new Prediction(0, 0.9, A), new Prediction(0, 0.1, NEAR_A)),
        List.of(new Prediction(0, 0.7, B)));
    assertThat(MeanAp.evaluate(reordered, truths, 1, 0.5).map()).isEqualTo(1.0);
  }

  @Test
  void missedTruthsCapRecallAndClassesWithoutTruthAreLeftOut() {
    var preds = List.of(List.of(new Prediction(0, 0.9, A)), List.<Prediction>of());
    var truths = List.of(List.of(new Truth(0, A)), List.of(new Truth(0, B)));
    var r = MeanAp.evaluate(preds, truths, 3, 0.5);
    assertThat(r.perClass()[0]).isEqualTo(0.5);
    assertThat(r.perClass()[1]).isNaN();
    assertThat(r.map()).isEqualTo(0.5);
  }
}
