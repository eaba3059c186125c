package dev.latent.ml.vision.detr;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.train.AdamOptimizer;
import dev.latent.ml.train.LrSchedule;
import dev.latent.ml.vision.RgbImage;
import java.nio.file.Path;
import java.util.List;
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
}
