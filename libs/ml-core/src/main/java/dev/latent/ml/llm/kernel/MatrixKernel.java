package dev.latent.ml.llm.kernel;

/**
 * A projection matrix {@code W [rows, cols]} (HF layout {@code [out, in]}) that computes
 * {@code y = x Wᵀ} for a few input rows in Java: {@link Bf16Matrix} (bf16 values of its own) or
 * {@link F32Matrix} (a view of a float32 tensor's memory).
 */
public sealed interface MatrixKernel permits Bf16Matrix, F32Matrix {

  int rows();

  int cols();

  /**
   * {@code x [n, cols]} to {@code y [n, rows]}, both row-major float32, with output rows split over
   * up to {@code threads} threads (the caller's included).
   */
  void matMul(float[] x, int n, float[] y, int threads);

  /** Row {@code r} as float32 into {@code dst[at, at + cols)} (an embedding lookup). */
  void row(int r, float[] dst, int at);

  /** The most input rows for which this kernel beats DJL's GEMM on the same matrix (measured). */
  int maxRows();
}
