package dev.latent.ml.llm;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.latent.ml.Engines;
import java.util.Locale;

/**
 * How a model is materialised: where ({@link Engines#device}), in which weight dtype (F32 or
 * BF16; checkpoints in F16/BF16/F32 are converted on load) and which MLA path runs.
 *
 * @param absorbedMla MLA with W_UK/W_UV absorbed (decode-friendly) instead of decompressing K/V
 */
public record ModelOptions(Device device, DataType dtype, boolean absorbedMla) {

  public ModelOptions {
    if (dtype != DataType.FLOAT32 && dtype != DataType.BFLOAT16 && dtype != DataType.FLOAT16) {
      throw new IllegalArgumentException("model dtype must be float32, bfloat16 or float16, got " + dtype);
    }
  }

  /** CPU, float32, absorbed MLA. */
  public static ModelOptions cpu() {
    return new ModelOptions(Device.cpu(), DataType.FLOAT32, true);
  }

  /** From settings as a service would carry them: device {@code cpu|gpu|auto}, dtype {@code f32|bf16|f16}. */
  public static ModelOptions of(String device, String dtype) {
    return new ModelOptions(Engines.device(device), parseDtype(dtype), true);
  }

  public ModelOptions withDtype(DataType type) {
    return new ModelOptions(device, type, absorbedMla);
  }

  public ModelOptions withAbsorbedMla(boolean absorbed) {
    return new ModelOptions(device, dtype, absorbed);
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
