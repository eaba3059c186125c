package dev.latent.ml.llm.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.TransformerConfig.RopeScaling;
import org.junit.jupiter.api.Test;

/** RoPE frequency scalings against values worked out by hand from the HF definitions. */
class RopeTest {

  static final TransformerConfig BASE = TransformerConfig.llama(64, 1, 4, 4, 32, 10); // head dim 16

  @Test
  void plainAndLinearScaling() {
    double[] plain = new Rope(BASE).invFreq();
    assertThat(plain[0]).isEqualTo(1.0);
    assertThat(plain[1]).isCloseTo(Math.pow(10000, -2.0 / 16), within(1e-12));
    double[] linear = new Rope(BASE.withRope(10000, scaling("linear", 4))).invFreq();
    for (int i = 0; i < plain.length; i++) {
      assertThat(linear[i]).isCloseTo(plain[i] / 4, within(1e-12));
    }
  }

  @Test
  void llama3KeepsHighFrequenciesAndScalesLowOnes() {
    double[] plain = new Rope(BASE.withRope(500000, null)).invFreq();
    double[] scaled = new Rope(BASE.withRope(500000, scaling("llama3", 8))).invFreq();
    // wavelength 2*pi < 8192/4: untouched; the longest wavelength > 8192: divided by the factor
    assertThat(scaled[0]).isEqualTo(plain[0]);
    int last = plain.length - 1;
    assertThat(2 * Math.PI / plain[last]).isGreaterThan(8192);
    assertThat(scaled[last]).isCloseTo(plain[last] / 8, within(1e-15));
  }

  @Test
  void yarnAsDeepSeekV2LiteConfiguresIt() {
    // factor 40, mscale = mscale_all_dim = 0.707: the cos/sin factor cancels to 1, the softmax
    // scale grows by (0.1 * 0.707 * ln 40 + 1)^2
    assertThat(Rope.yarnMscale(40, 0.707)).isCloseTo(0.1 * 0.707 * Math.log(40) + 1, within(1e-12));
    assertThat(Rope.yarnMscale(1, 0.707)).isEqualTo(1.0);
    TransformerConfig c = BASE.withRope(10000, new RopeScaling("yarn", 40, 4096, 32, 1, 0.707, 0.707, 1, 4));
    Rope rope = new Rope(c);
    assertThat(rope.mscale()).isCloseTo(1.0, within(1e-12));
    double[] plain = new Rope(BASE).invFreq();
    double[] yarn = rope.invFreq();
    assertThat(yarn[0]).isCloseTo(plain[0], within(1e-12)); // fast rotations extrapolate
    assertThat(yarn[yarn.length - 1]).isCloseTo(plain[plain.length - 1] / 40, within(1e-12)); // slow ones interpolate
  }

  private static RopeScaling scaling(String type, double factor) {
    return new RopeScaling(type, factor, 8192, 32, 1, 1, 0, 1, 4);
  }
}
