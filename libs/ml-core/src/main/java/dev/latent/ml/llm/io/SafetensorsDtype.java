package dev.latent.ml.llm.io;

import ai.djl.ndarray.types.DataType;

/** safetensors dtype names and DJL data types. */
final class SafetensorsDtype {

  private SafetensorsDtype() {}

  static DataType parse(String name) {
    return switch (name) {
      case "F32" -> DataType.FLOAT32;
      case "F16" -> DataType.FLOAT16;
      case "BF16" -> DataType.BFLOAT16;
      case "F64" -> DataType.FLOAT64;
      case "I64" -> DataType.INT64;
      case "I32" -> DataType.INT32;
      case "I8" -> DataType.INT8;
      case "U8" -> DataType.UINT8;
      default -> throw new CheckpointException("unsupported safetensors dtype " + name
          + " (supported: F32, F16, BF16, F64, I64, I32, I8, U8)");
    };
  }

  static String name(DataType type) {
    return switch (type) {
      case FLOAT32 -> "F32";
      case FLOAT16 -> "F16";
      case BFLOAT16 -> "BF16";
      case FLOAT64 -> "F64";
      case INT64 -> "I64";
      case INT32 -> "I32";
      case INT8 -> "I8";
      case UINT8 -> "U8";
      default -> throw new IllegalArgumentException("cannot write " + type + " to safetensors");
    };
  }
}
