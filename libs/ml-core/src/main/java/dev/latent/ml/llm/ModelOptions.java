package dev.latent.ml.llm;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.latent.ml.Engines;
import java.util.Locale;

/**
 * How a model is materialised: where ({@link Engines#device}), in which weight dtype and which
 * MLA path runs. Weights are F32 or F16; BF16 checkpoints load (converted in Java), but BF16
 * compute is refused: DJL 0.36's PyTorch JNI aborts the whole JVM on any bfloat16 tensor
 * (creation, cast or read), which a server must never risk.
 *
 * @param absorbedMla MLA with W_UK/W_UV absorbed (decode-friendly) instead of decompressing K/V
 */
public record ModelOptions(Device device, DataType dtype, boolean absorbedMla) {

  public ModelOptions {
    if (dtype == DataType.BFLOAT16) {
      throw new IllegalArgumentException("bf16 weights are not supported: DJL 0.36's PyTorch JNI aborts"
          + " the JVM on bfloat16 tensors; use f32 or f16 (bf16 checkpoints load into either)");
    }
    if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
      throw new IllegalArgumentException("model dtype must be f32 or f16, got " + dtype);
    }
  }

  /** CPU, float32, absorbed MLA. */
  public static ModelOptions cpu() {
    return new ModelOptions(Device.cpu(), DataType.FLOAT32, true);
  }

  /** From settings as a service would carry them: device {@code cpu|gpu|auto}, dtype {@code f32|f16}. */
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
