package dev.latent.ml.vision.sr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.vision.ImageQuality;
import dev.latent.ml.vision.Resampling;
import dev.latent.ml.vision.RgbImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EspcnTest {

  @Test
  void pixelShuffleMovesChannelsToSubPixelsInPyTorchOrder() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      // one output channel, r = 2, a 1x2 input: channel q = i*2 + j holds value 10*q + w
      float[] v = new float[4 * 2];
      for (int q = 0; q < 4; q++) {
        for (int w = 0; w < 2; w++) {
          v[q * 2 + w] = 10 * q + w;
        }
      }
      NDArray out = PixelShuffle.apply(m.create(v, new Shape(1, 4, 1, 2)), 2);
      assertThat(out.getShape()).isEqualTo(new Shape(1, 1, 2, 4));
      // row 0: (w=0: q0, q1), (w=1: q0, q1); row 1: q2, q3
      assertThat(out.toFloatArray()).containsExactly(0, 10, 1, 11, 20, 30, 21, 31);
      assertThatThrownBy(() -> PixelShuffle.apply(m.create(v, new Shape(1, 2, 2, 2)), 2))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void withZeroResidualTheNetworkIsBicubicUpsampling() {
    try (NDManager m = NDManager.newBaseManager("PyTorch"); Espcn net = new Espcn(3, m, 1)) {
      net.params().get("conv3.w").muli(0f);
      RgbImage small = SrData.pattern(12, new Random(3));
      RgbImage up = net.upscale(small);
      assertThat(up.width()).isEqualTo(36);
      RgbImage bicubic = Resampling.BICUBIC.resize(small, 36, 36); // clamps to [0, 255] as upscale does
      for (int i = 0; i < up.pixels().length; i++) {
        assertThat(up.pixels()[i]).isCloseTo(bicubic.pixels()[i], org.assertj.core.data.Offset.offset(0.05f));
      }
    }
  }

  @Test
  void theSkipTreatsEveryImageOfABatchAlike() {
    try (NDManager m = NDManager.newBaseManager("PyTorch"); Espcn net = new Espcn(2, m, 1)) {
      net.params().get("conv3.w").muli(0f);
      float[] v = new float[2 * 3 * 2 * 2];
      for (int i = 0; i < v.length; i++) {
        v[i] = i / 24f;
      }
      float[] both = net.forward(m.create(v, new Shape(2, 3, 2, 2))).toFloatArray();
      float[] second = new float[12];
      System.arraycopy(v, 12, second, 0, 12);
      float[] alone = net.forward(m.create(second, new Shape(1, 3, 2, 2))).toFloatArray();
      for (int i = 0; i < 48; i++) {
        assertThat(both[48 + i]).isCloseTo(alone[i], org.assertj.core.data.Offset.offset(1e-6f));
      }
      // a constant image stays constant (the bicubic phases each sum to 1)
      float[] flat = new float[12];
      java.util.Arrays.fill(flat, 0.3f);
      for (float f : net.forward(m.create(flat, new Shape(1, 3, 2, 2))).toFloatArray()) {
        assertThat(f).isCloseTo(0.3f, org.assertj.core.data.Offset.offset(1e-5f));
      }
    }
  }

  @Test
  void trainingImprovesHeldOutPsnrAndWeightsRoundTrip(@TempDir Path dir) throws Exception {
    Random rnd = new Random(5);
    List<SrData.Pair> train = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      train.add(SrData.Pair.of(SrData.pattern(64, rnd), 2));
    }
    List<SrData.Pair> held = List.of(SrData.Pair.of(SrData.pattern(64, new Random(99)), 2));
    try (NDManager m = NDManager.newBaseManager("PyTorch"); Espcn net = new Espcn(2, m, 1);
        EspcnTrainer trainer = new EspcnTrainer(net, train, new EspcnTrainer.Settings(60, 8, 12, 3e-3f, 1))) {
      double before = EspcnTrainer.meanPsnr(net, held);
      double first = trainer.next();
      double last = first;
      while (!trainer.done()) {
        last = trainer.next();
      }
      double after = EspcnTrainer.meanPsnr(net, held);
      assertThat(last).isLessThan(first);
      assertThat(after).isGreaterThan(before);
      net.save(dir);
      try (Espcn loaded = Espcn.load(dir, m)) {
        assertThat(loaded.scale()).isEqualTo(2);
        RgbImage low = held.getFirst().low();
        assertThat(ImageQuality.psnr(loaded.upscale(low), net.upscale(low))).isGreaterThan(80);
      }
    }
  }

  @Test
  void boxDownscaleAveragesBlocks() {
    float[] p = new float[4 * 2 * 3];
    for (int i = 0; i < p.length; i++) {
      p[i] = i;
    }
    RgbImage down = SrData.boxDownscale(new RgbImage(4, 2, p), 2);
    assertThat(down.width()).isEqualTo(2);
    assertThat(down.height()).isEqualTo(1);
    // block (0,0): pixels 0,1 (row 0) and 4,5 (row 1), red = 0,3,12,15 -> 7.5
    assertThat(down.get(0, 0, 0)).isEqualTo(7.5f);
  }
}
