package dev.latent.vision.faces;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.latent.ml.vision.FaceRecognitionNet;
import dev.latent.ml.vision.RgbImage;
import dev.latent.vision.TestImages;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The DJL rebuild against face-api itself (tfjs, CPU backend) on the same 150x150 input. */
class FaceRecognitionGoldenTest {

  // face-api 1.7.15 FaceRecognitionNet.forwardInput on pixel (x, y, c) = (7x + 13y + 29c) mod 256:
  // the first 8 of 128 values, and the vector's L2 norm (1.3072764096778446).
  private static final double[] TFJS = {-0.04688975214958191, 0.1288606971502304, 0.061239711940288544,
      -0.012114218436181545, -0.039385534822940826, -0.04582101106643677, -0.08215805143117905,
      -0.005842347629368305};
  private static final double TFJS_NORM = 1.3072764096778446;

  @Test
  void descriptorMatchesFaceApi() throws Exception {
    float[] px = new float[150 * 150 * 3];
    for (int y = 0; y < 150; y++) {
      for (int x = 0; x < 150; x++) {
        for (int c = 0; c < 3; c++) {
          px[(y * 150 + x) * 3 + c] = (x * 7 + y * 13 + c * 29) % 256;
        }
      }
    }
    try (NDManager nd = NDManager.newBaseManager("PyTorch");
        var net = FaceRecognitionNet.load(TestImages.modelStore().resolve("vision/face-recognition-128"), nd)) {
      float[] d = net.describe(List.of(new RgbImage(150, 150, px)))[0];
      for (int i = 0; i < TFJS.length; i++) {
        assertThat((double) d[i]).isCloseTo(TFJS[i] / TFJS_NORM, within(1e-4));
      }
    }
  }
}
