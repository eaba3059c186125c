package dev.latent.ml.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class VisionBlocksTest {

  @Test
  void anchorsFollowTheTwoBlazeFaceGrids() {
    float[] a = BlazeFace.anchors();
    assertThat(a).hasSize(896 * 2);
    assertThat(a[0]).isEqualTo(0.5f / 16); // first cell of the 16x16 grid, anchor 0
    assertThat(a[2]).isEqualTo(0.5f / 16); // same cell, anchor 1
    assertThat(a[512 * 2]).isEqualTo(0.5f / 8); // first cell of the 8x8 grid
  }

  @Test
  void decodeFindsTheOneConfidentAnchorAndMapsItsBox() {
    float[] logits = new float[896];
    java.util.Arrays.fill(logits, -10f);
    float[] reg = new float[896 * 16];
    logits[0] = 5f;
    reg[2] = 32; // width 32 px of 128
    reg[3] = 16;
    List<FaceDetection> d = BlazeFace.decode(logits, reg, 128, 0.5f, 0.3f);
    assertThat(d).hasSize(1);
    assertThat(d.get(0).width()).isEqualTo(0.25f);
    assertThat(d.get(0).x()).isCloseTo(0.5f / 16 - 0.125f, within(1e-6f));
  }

  @Test
  void weightedNmsBlendsOverlapsAndKeepsSeparateFaces() {
    float[] kp = new float[12];
    var a = new FaceDetection(0, 0, 10, 10, 0.9f, kp);
    var b = new FaceDetection(2, 0, 10, 10, 0.3f, kp);
    var far = new FaceDetection(50, 50, 10, 10, 0.8f, kp);
    List<FaceDetection> out = BlazeFace.weightedNms(List.of(b, far, a), 0.3f);
    assertThat(out).hasSize(2);
    assertThat(out.get(0).score()).isEqualTo(0.9f);
    assertThat(out.get(0).x()).isCloseTo((0 * 0.9f + 2 * 0.3f) / 1.2f, within(1e-5f));
    assertThat(out.get(1).x()).isEqualTo(50f);
  }

  @Test
  void alignmentMapsTemplateKeypointsOntoThemselves() {
    float[] kp = new float[12];
    for (int i = 0; i < 4; i++) {
      // the template rotated by 90 degrees and scaled by 2 around the origin
      double x = FaceAligner.TEMPLATE[i][0] * FaceAligner.SIZE;
      double y = FaceAligner.TEMPLATE[i][1] * FaceAligner.SIZE;
      kp[2 * i] = (float) (-2 * y);
      kp[2 * i + 1] = (float) (2 * x);
    }
    double[] t = FaceAligner.fit(kp);
    // inverse: scale 1/2, rotation -90 degrees -> a = 0, b = -0.5
    assertThat(t[0]).isCloseTo(0, within(1e-6));
    assertThat(t[1]).isCloseTo(-0.5, within(1e-6));
  }

  @Test
  void resamplingKeepsConstantsAndSizes() {
    RgbImage flat = RgbImage.blank(4, 3).scaled(0);
    java.util.Arrays.fill(flat.pixels(), 100f);
    for (Resampling r : Resampling.values()) {
      RgbImage up = r.resize(flat, 8, 6);
      assertThat(up.width()).isEqualTo(8);
      assertThat(up.get(5, 4, 1)).isCloseTo(100f, within(1e-3f));
    }
  }
}
