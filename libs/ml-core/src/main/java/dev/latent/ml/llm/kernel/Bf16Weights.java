package dev.latent.ml.llm.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.jspecify.annotations.Nullable;

/**
 * Which model matrices have a bf16 twin, and the projection through it. A bf16 model keeps each
 * projection matrix twice: as a {@link Bf16Matrix} that batch-1 and small-batch steps read (half
 * the bytes of f32), and as the same values widened into a float32 NDArray for everything DJL does
 * with weights (embedding gather, absorbed MLA, LoRA shapes, saving, big-batch prefill GEMMs).
 * The twin is registered in {@link KernelWeights} and closed with the NDArray's manager.
 */
public final class Bf16Weights {

  /**
   * Up to this many input rows run in the kernel; more (prefill chunks) take DJL's f32 GEMM on the
   * widened copy. Measured on 110m (docs/engine.md "Dtypes"): the kernel wins at 16 rows (batch-16
   * decode), DJL at 32, 64 and 512 (its GEMM runs ~50 GFLOPS, the kernel ~30). The system property
   * {@code latent.bf16.kernel-rows} overrides it for such measurements.
   */
  public static final int MAX_KERNEL_ROWS = Integer.getInteger("latent.bf16.kernel-rows", 16);

  private Bf16Weights() {}

  /**
   * Rounds {@code weight} (float32 {@code [out, in]}) to bf16 and returns the float32 NDArray of the
   * rounded values (made in the weight's manager), registered with its bf16 twin; {@code weight} is
   * closed. Both then hold exactly the same numbers.
   */
  public static NDArray round(NDArray weight) {
    Shape shape = weight.getShape();
    if (shape.dimension() != 2 || weight.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException("bf16 twin needs a float32 matrix, got " + weight.getDataType() + shape);
    }
    Bf16Matrix bf16 = Bf16Matrix.round(weight.toFloatArray(), (int) shape.get(0), (int) shape.get(1));
    NDArray rounded = weight.getManager().create(bf16.widen(), shape);
    rounded.setName(weight.getName());
    weight.close();
    KernelWeights.register(rounded, bf16, bf16::close);
    return rounded;
  }

  /** The bf16 twin of {@code weight}, or null when it has none. */
  public static @Nullable Bf16Matrix twin(NDArray weight) {
    return KernelWeights.of(weight) instanceof Bf16Matrix twin ? twin : null;
  }
}
