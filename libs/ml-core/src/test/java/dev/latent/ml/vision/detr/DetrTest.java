package dev.latent.ml.vision.detr;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.train.AdamOptimizer;
import dev.latent.ml.train.LrSchedule;
import dev.latent.ml.vision.RgbImage;
import java.nio.file.Path;
import java.util.List;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DetrTest {

  static final DetrConfig TINY = new DetrConfig(32, ShapesDataset.LABELS, List.of(8, 16, 32, 32), 32, 4, 1, 2, 64, 5);

  @Test
  void forwardGivesLogitsAndBoxesPerQuery() {
    try (Detr model = Detr.create(TINY, 1, Device.cpu()); NDManager m = model.manager().newSubManager()) {
      var images = new ShapesDataset(3, 32, 3).samples(ShapesDataset.Split.TRAIN, 0, 2).stream()
          .map(ShapesDataset.Sample::image).toList();
      Detr.Output out = model.forward(model.toTensor(m, images));
      assertThat(out.last().logits().getShape()).isEqualTo(new Shape(2, 5, 5));
      assertThat(out.last().boxes().getShape()).isEqualTo(new Shape(2, 5, 4));
      assertThat(out.aux()).hasSize(1);
      float[] boxes = out.last().boxes().toFloatArray();
      for (float b : boxes) {
        assertThat(b).isBetween(0f, 1f);
      }
      // any input size is resized to the model's side
      assertThat(model.detect(List.of(RgbImage.blank(50, 20)), 0).getFirst()).hasSize(5);
    }
  }

  @Test
  void lossFallsOnATinySetAndTheModelSurvivesSaveAndLoad(@TempDir Path dir) throws Exception {
    var data = new ShapesDataset(7, 32, 2).samples(ShapesDataset.Split.TRAIN, 0, 4);
    try (Detr model = Detr.create(TINY, 2, Device.cpu());
        DetrTrainer trainer = new DetrTrainer(model, DetrLoss.paperDefaults(),
            AdamOptimizer.Settings.of(AdamOptimizer.Kind.ADAMW, 1e-4f), LrSchedule.of(LrSchedule.Kind.CONSTANT, 1e-3, 0, 40), 1.0)) {
      double first = trainer.step(data).loss();
      double last = first;
      for (int i = 0; i < 39; i++) {
        last = trainer.step(data).loss();
      }
      assertThat(last).isLessThan(first * 0.6);
      model.save(dir);
      List<List<Detr.Detection>> before = model.detect(data.stream().map(ShapesDataset.Sample::image).toList(), 0.05);
      try (Detr loaded = Detr.load(dir, Device.cpu())) {
        assertThat(loaded.config()).isEqualTo(TINY);
        List<List<Detr.Detection>> after = loaded.detect(data.stream().map(ShapesDataset.Sample::image).toList(), 0.05);
        assertThat(after).isEqualTo(before);
      }
    }
  }

  @Test
  void theDatasetIsAFunctionOfSeedSplitAndIndexWithBoxesInside() {
    var a = new ShapesDataset(5, 64, 4).sample(ShapesDataset.Split.TRAIN, 3);
    var b = new ShapesDataset(5, 64, 4).sample(ShapesDataset.Split.TRAIN, 3);
    var held = new ShapesDataset(5, 64, 4).sample(ShapesDataset.Split.HELD_OUT, 3);
    assertThat(a.image().pixels()).isEqualTo(b.image().pixels());
    assertThat(held.image().pixels()).isNotEqualTo(a.image().pixels());
    for (var s : new ShapesDataset(5, 64, 4).samples(ShapesDataset.Split.TRAIN, 0, 50)) {
      assertThat(s.classes().length).isBetween(1, 4).isEqualTo(s.boxes().length);
      for (double[] box : s.boxes()) {
        double[] c = Boxes.corners(box);
        assertThat(c[0]).isGreaterThanOrEqualTo(-1e-9);
        assertThat(c[3]).isLessThanOrEqualTo(1 + 1e-9);
        assertThat(box[2]).isGreaterThan(0.1);
      }
    }
  }

  @Test
  void tensorGiouMatchesTheScalarOne() {
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      double[][] a = {{0.5, 0.5, 0.2, 0.3}, {0.2, 0.3, 0.1, 0.1}};
      double[][] b = {{0.55, 0.45, 0.25, 0.2}, {0.8, 0.7, 0.2, 0.1}};
      float[] fa = new float[8];
      float[] fb = new float[8];
      for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 4; k++) {
          fa[i * 4 + k] = (float) a[i][k];
          fb[i * 4 + k] = (float) b[i][k];
        }
      }
      float[] g = DetrLoss.giou(m.create(fa, new Shape(2, 4)), m.create(fb, new Shape(2, 4))).toFloatArray();
      for (int i = 0; i < 2; i++) {
        assertThat((double) g[i]).isCloseTo(Boxes.giou(a[i], b[i]), org.assertj.core.api.Assertions.within(1e-4));
      }
    }
  }

  @Test
  void lossAndGradientsStayFiniteForDegenerateBoxesAndExtremeLogits() {
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      // image 0: a zero-size box on the target's centre, the target exactly, a zero-size box in the corner
      // (disjoint, empty hull with the stand-in), a full-image box; image 1: a zero-size target (a clipped
      // sliver) matched by a zero-size prediction at the same place
      float[] boxes = {0.3f, 0.3f, 0f, 0f, 0.7f, 0.6f, 0.2f, 0.3f, 0f, 0f, 0f, 0f, 0.5f, 0.5f, 1f, 1f,
          0.4f, 0.4f, 0f, 0f, 0f, 0f, 0f, 0f, 1f, 1f, 0f, 0f, 0.5f, 0.5f, 1f, 1f};
      float[] logits = new float[2 * 4 * 5];
      for (int i = 0; i < logits.length; i++) {
        logits[i] = i % 3 == 0 ? 1e4f : -1e4f; // softmax saturates: log p = -2e4 for the wrong class
      }
      NDArray b = m.create(boxes, new Shape(2, 4, 4));
      NDArray l = m.create(logits, new Shape(2, 4, 5));
      b.setRequiresGradient(true);
      l.setRequiresGradient(true);
      List<DetrLoss.Target> targets = List.of(
          new DetrLoss.Target(new int[] {0, 1}, new double[][] {{0.3, 0.3, 0.2, 0.2}, {0.7, 0.6, 0.2, 0.3}}),
          new DetrLoss.Target(new int[] {3}, new double[][] {{0.4, 0.4, 0, 0}}));
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        DetrLoss.Value v = DetrTraining.LOSS.compute(new Detr.Output(new Detr.Head(l, b), List.of()), targets);
        assertThat(Double.isFinite(v.loss().getFloat())).as("loss %s", v.loss().getFloat()).isTrue();
        gc.backward(v.loss());
      }
      for (float g : b.getGradient().toFloatArray()) {
        assertThat(Float.isFinite(g)).as("box gradient %s", g).isTrue();
      }
      for (float g : l.getGradient().toFloatArray()) {
        assertThat(Float.isFinite(g)).as("logit gradient %s", g).isTrue();
      }
    }
  }
}
