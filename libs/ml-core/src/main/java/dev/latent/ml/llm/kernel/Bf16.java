package dev.latent.ml.llm.kernel;

/**
 * bfloat16 as the top half of a float32: widening is a 16-bit shift, narrowing rounds to nearest
 * even exactly as {@code SafetensorsWriter} does (NaN stays a quiet NaN).
 */
public final class Bf16 {

  private Bf16() {}

  /** The bf16 bits nearest to {@code v}, ties to even. */
  public static short round(float v) {
    if (Float.isNaN(v)) {
      return (short) 0x7FC0;
    }
    int bits = Float.floatToRawIntBits(v);
    return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
  }

  /** The float32 a bf16 value stands for (exact). */
  public static float widen(short bits) {
    return Float.intBitsToFloat(bits << 16);
  }
}
