package dev.latent.ml.llm.cache;

import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.kernel.Bf16;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

/**
 * How a {@link PagedKvCache} stores one K/V element, independent of the weights' dtype (vLLM's
 * {@code kv_cache_dtype}): f32, or 16 bits as bf16 (the top half of an f32: widening is a shift)
 * or IEEE f16 (llama.cpp's default KV type: 3 more mantissa bits, range ±65504). Attention always
 * computes in f32 from the widened values; only storage and its memory traffic shrink.
 */
public enum KvFormat {
  F32(DataType.FLOAT32),
  F16(DataType.FLOAT16),
  BF16(DataType.BFLOAT16);

  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

  private final DataType dataType;

  KvFormat(DataType dataType) {
    this.dataType = dataType;
  }

  public DataType dataType() {
    return dataType;
  }

  /** Bytes of one element. */
  public int bytes() {
    return dataType.getNumOfBytes();
  }

  public static KvFormat of(DataType type) {
    return switch (type) {
      case FLOAT32 -> F32;
      case FLOAT16 -> F16;
      case BFLOAT16 -> BF16;
      default -> throw new IllegalArgumentException("KV cache dtype must be f32, f16 or bf16, got " + type);
    };
  }

  /** {@code f32|f16|bf16} (also {@code float32}, {@code fp16}, ...); see {@link #of}. */
  public static KvFormat parse(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "f32", "float32", "fp32" -> F32;
      case "f16", "float16", "fp16", "half" -> F16;
      case "bf16", "bfloat16" -> BF16;
      default -> throw new IllegalArgumentException("KV cache dtype must be f32, f16 or bf16, got " + name);
    };
  }

  /**
   * A service's setting: {@code auto} (the model's dtype: an f32 model keeps an f32 cache), or
   * {@code f32|f16|bf16}.
   */
  public static DataType dtype(String setting, DataType modelDtype) {
    return setting.equalsIgnoreCase("auto") ? modelDtype : parse(setting).dataType();
  }

  /** Stores {@code src[from .. from + n)} rounded to this format (nearest, ties to even) at byte {@code at}. */
  public void store(float[] src, int from, MemorySegment dst, long at, int n) {
    switch (this) {
      case F32 -> MemorySegment.copy(src, from, dst, FLOAT, at, n);
      case F16 -> {
        for (int i = 0; i < n; i++) {
          dst.set(SHORT, at + 2L * i, Float.floatToFloat16(src[from + i]));
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          dst.set(SHORT, at + 2L * i, Bf16.round(src[from + i]));
        }
      }
    }
  }

  /** Widens {@code n} elements from byte {@code at} into {@code dst[from ..]} (exact). */
  public void load(MemorySegment src, long at, float[] dst, int from, int n) {
    switch (this) {
      case F32 -> MemorySegment.copy(src, FLOAT, at, dst, from, n);
      case F16 -> {
        for (int i = 0; i < n; i++) {
          dst[from + i] = Float.float16ToFloat(src.get(SHORT, at + 2L * i));
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          dst[from + i] = Bf16.widen(src.get(SHORT, at + 2L * i));
        }
      }
    }
  }

  /** One element at byte {@code at}, widened. */
  public float get(MemorySegment src, long at) {
    return switch (this) {
      case F32 -> src.get(FLOAT, at);
      case F16 -> Float.float16ToFloat(src.get(SHORT, at));
      case BF16 -> Bf16.widen(src.get(SHORT, at));
    };
  }

  /** The value this format stores for {@code v} (what a reference computes with). */
  public float round(float v) {
    return switch (this) {
      case F32 -> v;
      case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
      case BF16 -> Bf16.widen(Bf16.round(v));
    };
  }
}
