package dev.latent.ml.llm;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.latent.ml.Engines;
import java.util.Locale;

/**
 * How a model is materialised: where ({@link Engines#device}), in which dtype and which MLA path
 * runs. {@code dtype} is what DJL holds and computes in (activations, KV cache, norms): F32 or
 * F16. {@code weightDtype} is how the projection matrices are stored for inference: the same, or
 * BF16 with {@code dtype} F32 — DJL 0.36's PyTorch JNI aborts the JVM on any bfloat16 tensor, so
 * bf16 matrices live outside DJL and run in ml-core's own CPU kernel
 * ({@code dev.latent.ml.llm.kernel}, Java Vector API, f32 accumulation; CPU only, inference only:
 * training runs F32). {@code new ModelOptions(device, BFLOAT16, mla)} means exactly that.
 *
 * <p>{@code f32Panels}: float32 matrices run their products on a second copy in 16-row panels
 * ({@code kernel.F32Panels}; faster from a few rows on, +1 copy of the matrices' bytes, 438 MB
 * for 110m). The copy does not see writes into the weights outside training (a LoRA merge into
 * frozen weights): for models that are only served. The constructors without it take
 * {@code -Dlatent.f32.panels} (default false).
 *
 * @param absorbedMla MLA with W_UK/W_UV absorbed (decode-friendly) instead of decompressing K/V
 * @param f32Panels float32 matrix products on a panel copy (no effect for bf16 or f16 weights)
 */
public record ModelOptions(Device device, DataType dtype, boolean absorbedMla, DataType weightDtype,
    boolean f32Panels) {

  public ModelOptions {
    if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
      throw new IllegalArgumentException("model dtype must be f32 or f16 (bf16: weightDtype), got " + dtype);
    }
    if (weightDtype == DataType.BFLOAT16) {
      if (dtype != DataType.FLOAT32) {
        throw new IllegalArgumentException("bf16 weights compute in f32, got dtype " + dtype);
      }
      if (!Device.Type.CPU.equals(device.getDeviceType())) {
        throw new IllegalArgumentException("bf16 weights run on the CPU kernel only (DJL 0.36 cannot hold"
            + " bfloat16 tensors); use f32 or f16 on " + device);
      }
      if (!vectorApi()) {
        throw new IllegalArgumentException("bf16 weights need the Vector API: start java with"
            + " --add-modules=jdk.incubator.vector");
      }
    } else if (weightDtype != dtype) {
      throw new IllegalArgumentException("weight dtype must equal the model dtype or be bf16, got "
          + weightDtype + " with " + dtype);
    }
  }

  /** As the canonical constructor with {@code f32Panels} from {@code -Dlatent.f32.panels}. */
  public ModelOptions(Device device, DataType dtype, boolean absorbedMla, DataType weightDtype) {
    this(device, dtype, absorbedMla, weightDtype, panelsByDefault());
  }

  /** {@code dtype} F32, F16, or BF16 (bf16 weights, f32 compute). */
  public ModelOptions(Device device, DataType dtype, boolean absorbedMla) {
    this(device, dtype == DataType.BFLOAT16 ? DataType.FLOAT32 : dtype, absorbedMla, dtype);
  }

  /** {@code -Dlatent.f32.panels=true}: the default of {@link #f32Panels} (false when unset). */
  public static boolean panelsByDefault() {
    return dev.latent.ml.llm.kernel.KernelWeights.panelsByDefault();
  }

  /** CPU, float32, absorbed MLA. */
  public static ModelOptions cpu() {
    return new ModelOptions(Device.cpu(), DataType.FLOAT32, true);
  }

  /**
   * From settings as a service would carry them: device {@code cpu|gpu|auto}, dtype
   * {@code f32|f16|bf16|auto}; {@code auto} is bf16 on the CPU (faster per token there, see
   * docs/engine.md "Dtypes") and f32 elsewhere.
   */
  public static ModelOptions of(String device, String dtype) {
    Device d = Engines.device(device);
    if (dtype.equalsIgnoreCase("auto")) {
      boolean cpu = Device.Type.CPU.equals(d.getDeviceType());
      return new ModelOptions(d, cpu && vectorApi() ? DataType.BFLOAT16 : DataType.FLOAT32, true);
    }
    return new ModelOptions(d, parseDtype(dtype), true);
  }

  private static boolean vectorApi() {
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  }

  /** As these options with weights in {@code type} (F32, F16 or BF16). */
  public ModelOptions withDtype(DataType type) {
    ModelOptions typed = new ModelOptions(device, type, absorbedMla);
    return typed.withF32Panels(f32Panels);
  }

  public ModelOptions withAbsorbedMla(boolean absorbed) {
    return new ModelOptions(device, dtype, absorbed, weightDtype, f32Panels);
  }

  /** As these options with float32 products on a panel copy or not (see the class comment). */
  public ModelOptions withF32Panels(boolean panels) {
    return new ModelOptions(device, dtype, absorbedMla, weightDtype, panels);
  }

  public static DataType parseDtype(String s) {
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "f32", "float32", "fp32" -> DataType.FLOAT32;
      case "bf16", "bfloat16" -> DataType.BFLOAT16;
      case "f16", "float16", "fp16" -> DataType.FLOAT16;
      default -> throw new IllegalArgumentException("dtype must be f32, bf16 or f16, got " + s);
    };
  }
}
