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
 * @param absorbedMla MLA with W_UK/W_UV absorbed (decode-friendly) instead of decompressing K/V
 */
public record ModelOptions(Device device, DataType dtype, boolean absorbedMla, DataType weightDtype) {

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

  /** {@code dtype} F32, F16, or BF16 (bf16 weights, f32 compute). */
  public ModelOptions(Device device, DataType dtype, boolean absorbedMla) {
    this(device, dtype == DataType.BFLOAT16 ? DataType.FLOAT32 : dtype, absorbedMla, dtype);
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
    return new ModelOptions(device, type, absorbedMla);
  }

  public ModelOptions withAbsorbedMla(boolean absorbed) {
    return new ModelOptions(device, dtype, absorbed, weightDtype);
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
