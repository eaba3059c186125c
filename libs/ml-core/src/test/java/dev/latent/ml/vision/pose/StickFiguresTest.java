package dev.latent.ml.vision.pose;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StickFiguresTest {

  @Test
  void jointsLieInsideTheImageAndTheHeadIsAboveThePelvis() {
    Random rnd = new Random(1);
    for (int i = 0; i < 200; i++) {
      StickFigures.Sample s = StickFigures.sample(64, rnd);
      for (int j = 0; j < 11; j++) {
        assertThat(s.xs()[j]).isBetween(0.0, 64.0);
        assertThat(s.ys()[j]).isBetween(0.0, 64.0);
      }
      assertThat(s.ys()[0]).isLessThan(s.ys()[2]);
    }
  }

  @Test
  void aFewStepsOfEveryHeadLowerItsLoss() {
    Random rnd = new Random(2);
    List<StickFigures.Sample> batch = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      batch.add(StickFigures.sample(PoseNet.SIZE, rnd));
    }
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      for (PoseNet.Head head : PoseNet.Head.values()) {
        try (PoseNet net = new PoseNet(head, 11, m, 3);
            var adam = new dev.latent.ml.train.AdamOptimizer(
                dev.latent.ml.train.AdamOptimizer.Settings.of(dev.latent.ml.train.AdamOptimizer.Kind.ADAM, 0f), m)) {
          double first = net.params().step(x -> net.loss(x, batch), adam, 2e-3f);
          double last = first;
          for (int s = 0; s < 15; s++) {
            last = net.params().step(x -> net.loss(x, batch), adam, 2e-3f);
          }
          assertThat(last).as(head.name()).isLessThan(first);
          double[][][] pred = net.predict(batch, true);
          assertThat(pred).hasNumberOfRows(8);
          assertThat(pred[0]).hasNumberOfRows(11);
        }
      }
    }
  }

  @Test
  void pixelAndCellCoordinatesRoundTrip() {
    assertThat(PoseNet.fromCell(PoseNet.toCell(17.3))).isEqualTo(17.3, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(PoseNet.toCell(0.5)).isEqualTo(0.0);
  }
}
