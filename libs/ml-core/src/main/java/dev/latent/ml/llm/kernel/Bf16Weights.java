package dev.latent.ml.llm.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Which model matrices have a bf16 twin, and the projection through it. A bf16 model keeps each
 * projection matrix twice: as a {@link Bf16Matrix} that batch-1 and small-batch steps read (half
 * the bytes of f32), and as the same values widened into a float32 NDArray for everything DJL does
 * with weights (embedding gather, absorbed MLA, LoRA shapes, saving, big-batch prefill GEMMs).
 * The twin is found by the NDArray's uid and dropped when the NDArray's manager closes.
 */
public final class Bf16Weights {

  /**
   * Up to this many input rows run in the kernel; more (prefill chunks) take DJL's f32 GEMM on the
   * widened copy. Measured on 110m (docs/engine.md "Dtypes"): the kernel wins at 16 rows (batch-16
   * decode), DJL at 32, 64 and 512 (its GEMM runs ~50 GFLOPS, the kernel ~30). The system property
   * {@code latent.bf16.kernel-rows} overrides it for such measurements.
   */
  public static final int MAX_KERNEL_ROWS = Integer.getInteger("latent.bf16.kernel-rows", 16);

  private static final Map<String, Bf16Matrix> TWINS = new ConcurrentHashMap<>();

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
    String uid = rounded.getUid();
    TWINS.put(uid, bf16);
    rounded.getManager().attachInternal("bf16-" + uid, () -> {
      Bf16Matrix gone = TWINS.remove(uid);
      if (gone != null) {
        gone.close();
      }
    });
    return rounded;
  }

  /** The bf16 twin of {@code weight}, or null when it has none. */
  public static @Nullable Bf16Matrix twin(NDArray weight) {
    return TWINS.isEmpty() ? null : TWINS.get(weight.getUid());
  }

  /**
   * {@code x [..., in]} times {@code twinᵀ} in the kernel, as a float32 NDArray {@code [..., out]}
   * in {@code x}'s manager; rows split over {@link #threads()} threads.
   */
  public static NDArray project(NDArray x, Bf16Matrix twin) {
    Shape shape = x.getShape();
    int in = (int) shape.get(shape.dimension() - 1);
    if (in != twin.cols()) {
      throw new IllegalArgumentException("input has " + in + " features, weight expects " + twin.cols());
    }
    int n = (int) (shape.size() / in);
    float[] values = x.getDataType() == DataType.FLOAT32 ? x.toFloatArray()
        : x.toType(DataType.FLOAT32, false).toFloatArray();
    float[] y = new float[n * twin.rows()];
    twin.matMul(values, n, y, threads());
    long[] out = shape.getShape().clone(); // Shape hands out its own array
    out[out.length - 1] = twin.rows();
    return x.getManager().create(y, new Shape(out));
  }

  /** Whether {@code x}'s rows should run in the kernel rather than DJL's GEMM (see {@link #MAX_KERNEL_ROWS}). */
  public static boolean kernelFits(NDArray x) {
    Shape shape = x.getShape();
    return !x.hasGradient() && ai.djl.Device.Type.CPU.equals(x.getDevice().getDeviceType())
        && shape.size() / shape.get(shape.dimension() - 1) <= MAX_KERNEL_ROWS;
  }

  /**
   * The engine's intra-op thread count: {@code ai.djl.pytorch.num_threads} when set (the bench),
   * else what PyTorch uses on this thread (the serving runtime sets it on its engine thread).
   */
  public static int threads() {
    Integer configured = Integer.getInteger("ai.djl.pytorch.num_threads");
    return Math.max(1, configured != null ? configured : ai.djl.pytorch.jni.JniUtils.getNumThreads());
  }
}
