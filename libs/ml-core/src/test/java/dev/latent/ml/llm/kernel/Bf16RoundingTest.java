package dev.latent.ml.llm.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.latent.ml.llm.io.Checkpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel rounds f32 to bf16 bit for bit as the checkpoint writer does. */
class Bf16RoundingTest {

  @TempDir Path dir;

  @Test
  void roundingMatchesTheSafetensorsWriter() throws IOException {
    float[] values = edgeCasesAndRandom();
    byte[] data;
    try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
      NDArray a = m.create(values);
      Checkpoint.write(dir, Map.of("t", a), Long.MAX_VALUE, true);
      data = Files.readAllBytes(dir.resolve("model.safetensors"));
    }
    ByteBuffer file = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    int start = 8 + (int) file.getLong(0); // header length, header, then the one tensor's bytes
    try (Bf16Matrix kernel = Bf16Matrix.round(values, 1, values.length)) {
      for (int i = 0; i < values.length; i++) {
        short written = file.getShort(start + 2 * i);
        assertThat(kernel.bits(0, i)).as("value %s (bits %08x)", values[i], Float.floatToRawIntBits(values[i]))
            .isEqualTo(written)
            .isEqualTo(Bf16.round(values[i]));
      }
    }
  }

  @Test
  void tiesGoToEvenAndWideningIsExact() {
    // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: the even one (1) wins; 1 + 3*2^-8 goes up
    assertThat(Bf16.widen(Bf16.round(1.00390625f))).isEqualTo(1f);
    assertThat(Bf16.widen(Bf16.round(1.01171875f))).isEqualTo(1.015625f);
    assertThat(Bf16.widen(Bf16.round(Math.nextUp(1.00390625f)))).isEqualTo(1.0078125f); // above the tie
    assertThat(Bf16.widen(Bf16.round(Float.NaN))).isNaN();
    assertThat(Bf16.widen(Bf16.round(Float.NEGATIVE_INFINITY))).isEqualTo(Float.NEGATIVE_INFINITY);
    for (int bits = 0; bits < 1 << 16; bits += 7) { // every bf16 value survives widen + round
      float v = Bf16.widen((short) bits);
      if (!Float.isNaN(v)) {
        assertThat(Bf16.round(v)).isEqualTo((short) bits);
      }
    }
  }

  private static float[] edgeCasesAndRandom() {
    float[] edge = {0f, -0f, 1f, -1f, 1.00390625f, 1.01171875f, Math.nextUp(1.00390625f), 3.4e38f, -3.4e38f,
        Float.MAX_VALUE, Float.MIN_VALUE, 1e-39f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.NaN, 65504f, 0.1f, (float) Math.PI};
    SplittableRandom random = new SplittableRandom(3);
    float[] out = java.util.Arrays.copyOf(edge, edge.length + 2000);
    for (int i = edge.length; i < out.length; i++) {
      out[i] = Float.intBitsToFloat(random.nextInt()); // any bit pattern, NaNs included
    }
    return out;
  }
}
