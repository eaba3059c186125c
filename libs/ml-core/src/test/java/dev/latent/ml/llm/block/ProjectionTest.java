package dev.latent.ml.llm.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import dev.latent.ml.Engines;
import dev.latent.ml.llm.kernel.F32Matrix;
import dev.latent.ml.llm.kernel.KernelWeights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * float32 projections through the Java kernel (reading the weight tensor's own memory) against
 * DJL's linear, and the cases that must stay on DJL.
 */
class ProjectionTest {

  @ParameterizedTest(name = "{0} rows, {1} -> {2}")
  @CsvSource({"1, 768, 2304", "1, 37, 11", "5, 100, 33", "16, 64, 130", "17, 64, 130"})
  void kernelProjectionEqualsDjlLinear(int n, int in, int out) {
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      m.getEngine().setRandomSeed(3);
      NDArray w = KernelWeights.viewF32(m.randomNormal(new Shape(out, in)));
      NDArray b = m.randomNormal(new Shape(out));
      NDArray x = m.randomNormal(new Shape(n, in));
      assertThat(KernelWeights.of(w)).isInstanceOf(F32Matrix.class);

      float[] got = KernelWeights.withoutAutograd(() -> Projection.apply(x, w, b).toFloatArray());
      float[] want = Linear.linear(x, w, b).singletonOrThrow().toFloatArray();

      assertThat(got).hasSameSizeAs(want);
      for (int i = 0; i < got.length; i++) {
        assertThat(got[i]).as("element %d", i).isCloseTo(want[i], within(2e-4f * (float) Math.sqrt(in)));
      }
    }
  }

  /**
   * The kernel reads the tensor in place: a write into it shows in its next product, and when
   * {@code set} gives the tensor new storage the kernel follows it.
   */
  @org.junit.jupiter.api.Test
  void kernelReadsTheTensorsOwnMemoryAndIsReleasedWithIt() {
    KernelWeights.withoutAutograd(() -> {
      inPlace();
      return null;
    });
  }

  private static void inPlace() {
    NDArray w;
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      w = KernelWeights.viewF32(m.ones(new Shape(3, 4)));
      NDArray x = m.create(new float[] {1, 2, 3, 4}, new Shape(1, 4));
      assertThat(Projection.apply(x, w).toFloatArray()).containsExactly(10f, 10f, 10f);
      w.muli(2); // in place
      assertThat(Projection.apply(x, w).toFloatArray()).containsExactly(20f, 20f, 20f);
      w.set(new float[] {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0});
      assertThat(Projection.apply(x, w).toFloatArray()).containsExactly(1f, 2f, 3f);
      // a transposed view is not contiguous: DJL would hand out a copy, so no kernel
      NDArray t = KernelWeights.viewF32(m.ones(new Shape(4, 3)).transpose());
      assertThat(KernelWeights.of(t)).isNull();
    }
    assertThat(KernelWeights.of(w)).as("dropped when the weights' manager closes").isNull();
  }

  /**
   * Training: under a gradient collector (autograd on) projections stay on DJL, so gradients flow
   * through them to the input and the weight, even for a decode-sized input.
   */
  @org.junit.jupiter.api.Test
  void inputsOrWeightsWithGradientsStayOnDjl() {
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      NDArray w = KernelWeights.viewF32(m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3)));
      NDArray x = m.create(new float[] {1, 1, 1}, new Shape(1, 3));
      x.setRequiresGradient(true); // a frozen weight (LoRA): the gradient must still reach x
      try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
        gc.backward(Projection.apply(x, w).sum());
      }
      assertThat(x.getGradient().toFloatArray()).containsExactly(5f, 7f, 9f);
    }
  }
}
