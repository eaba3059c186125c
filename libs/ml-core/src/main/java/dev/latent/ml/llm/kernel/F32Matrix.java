package dev.latent.ml.llm.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code y = x Wᵀ} for a few input rows, reading a row-major float32 matrix {@code W [rows, cols]}
 * (HF layout {@code [out, in]}) where it already lies: a view over a tensor's memory, no copy.
 *
 * <p>Batch 1 streams each row once, four rows per pass. Several inputs run in tiles of 4 rows × 2
 * inputs: eight accumulators, and each weight vector loaded once per input pair (the four rows
 * stay in L1 while every input passes over them), so batch 16 reads the weights from memory once.
 * Measured in-cache 38–46 GFLOPS at 16 inputs, 2 rows × 4 inputs no better.
 */
public final class F32Matrix implements MatrixKernel {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = F.length();
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ORDER);

  private final MemorySegment w;
  private final int rows;
  private final int cols;
  private final int vecCols;

  /** A view of {@code w} (at least {@code rows * cols} floats, native byte order) as the matrix. */
  public F32Matrix(MemorySegment w, int rows, int cols) {
    if (rows <= 0 || cols <= 0) {
      throw new IllegalArgumentException("matrix must be non-empty, got " + rows + "x" + cols);
    }
    if (w.byteSize() < (long) rows * cols * Float.BYTES) {
      throw new IllegalArgumentException(w.byteSize() + " bytes for a " + rows + "x" + cols + " float32 matrix");
    }
    this.w = w;
    this.rows = rows;
    this.cols = cols;
    this.vecCols = cols / LANES * LANES;
  }

  /**
   * Up to this many input rows run here; more take DJL's GEMM. Over all 110m matrices, in one
   * process, alternating, under load (2026-11-29): kernel 360 vs DJL 457 ms at 16 rows, 539 vs 670
   * at 32, 822 vs 815 at 64. {@code latent.f32.kernel-rows} overrides it for measurements.
   */
  public static final int MAX_KERNEL_ROWS = Integer.getInteger("latent.f32.kernel-rows", 32);

  @Override
  public int maxRows() {
    return MAX_KERNEL_ROWS;
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public int cols() {
    return cols;
  }

  public long bytes() {
    return (long) rows * cols * Float.BYTES;
  }

  /**
   * {@code x [n, cols]} to {@code y [n, rows]} ({@code y = x Wᵀ}), both row-major, with output
   * rows split over up to {@code threads} threads (the caller's included).
   */
  @Override
  public void matMul(float[] x, int n, float[] y, int threads) {
    if (x.length < (long) n * cols || y.length < (long) n * rows) {
      throw new IllegalArgumentException("x needs " + n + "x" + cols + " and y " + n + "x" + rows + " values");
    }
    RowSplit.run(rows, 4, bytes(), threads, (from, to) -> {
      if (n == 1) {
        vec4(x, y, from, to);
      } else {
        mm42(x, n, y, from, to);
      }
    });
  }

  /** Where the matrix starts in memory. */
  long address() {
    return w.address();
  }

  @Override
  public void row(int r, float[] dst, int at) {
    MemorySegment.copy(w, FLOAT, (long) r * cols * Float.BYTES, dst, at, cols);
  }

  private FloatVector w(long row, int c) {
    return FloatVector.fromMemorySegment(F, w, (row * cols + c) * Float.BYTES, ORDER);
  }

  private FloatVector x(float[] x, int at) {
    return FloatVector.fromArray(F, x, at);
  }

  /** Scalar columns past the last full vector: row {@code r} against input row at {@code xBase}. */
  private float tail(float[] x, int xBase, long r) {
    float s = 0;
    long o = r * cols;
    for (int c = vecCols; c < cols; c++) {
      s += w.getAtIndex(FLOAT, o + c) * x[xBase + c];
    }
    return s;
  }

  /** Batch 1, the rows past the last block of four: one row at a time, two accumulators. */
  private void vec1(float[] x, float[] y, int from, int to) {
    for (int r = from; r < to; r++) {
      FloatVector a = FloatVector.zero(F);
      FloatVector b = FloatVector.zero(F);
      int c = 0;
      for (; c + 2 * LANES <= vecCols; c += 2 * LANES) {
        a = w(r, c).fma(x(x, c), a);
        b = w(r, c + LANES).fma(x(x, c + LANES), b);
      }
      for (; c < vecCols; c += LANES) {
        a = w(r, c).fma(x(x, c), a);
      }
      y[r] = Lanes.sum(a.add(b)) + tail(x, 0, r);
    }
  }

  /**
   * Batch 1: four rows per pass, each streamed from memory once against the same input vector
   * (four streams kept the memory busier than one or two here: 45–54 ms CPU over the 110m matrices
   * against 53–67 ms, under load).
   */
  private void vec4(float[] x, float[] y, int from, int to) {
    int r = from;
    for (; r + 4 <= to; r += 4) {
      FloatVector a = FloatVector.zero(F);
      FloatVector b = FloatVector.zero(F);
      FloatVector d = FloatVector.zero(F);
      FloatVector e = FloatVector.zero(F);
      for (int c = 0; c < vecCols; c += LANES) {
        FloatVector xv = x(x, c);
        a = w(r, c).fma(xv, a);
        b = w(r + 1, c).fma(xv, b);
        d = w(r + 2, c).fma(xv, d);
        e = w(r + 3, c).fma(xv, e);
      }
      y[r] = Lanes.sum(a) + tail(x, 0, r);
      y[r + 1] = Lanes.sum(b) + tail(x, 0, r + 1);
      y[r + 2] = Lanes.sum(d) + tail(x, 0, r + 2);
      y[r + 3] = Lanes.sum(e) + tail(x, 0, r + 3);
    }
    vec1(x, y, r, to);
  }

  /** Tiles of 4 rows × 2 inputs: each weight vector loaded once per input pair, eight accumulators. */
  private void mm42(float[] x, int n, float[] y, int from, int to) {
    int r = from;
    for (; r + 4 <= to; r += 4) {
      int i = 0;
      for (; i + 2 <= n; i += 2) {
        int xa = i * cols;
        int xb = xa + cols;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        FloatVector b2 = FloatVector.zero(F);
        FloatVector b3 = FloatVector.zero(F);
        for (int c = 0; c < vecCols; c += LANES) {
          FloatVector u = x(x, xa + c);
          FloatVector v = x(x, xb + c);
          FloatVector w0 = w(r, c);
          a0 = w0.fma(u, a0);
          b0 = w0.fma(v, b0);
          FloatVector w1 = w(r + 1, c);
          a1 = w1.fma(u, a1);
          b1 = w1.fma(v, b1);
          FloatVector w2 = w(r + 2, c);
          a2 = w2.fma(u, a2);
          b2 = w2.fma(v, b2);
          FloatVector w3 = w(r + 3, c);
          a3 = w3.fma(u, a3);
          b3 = w3.fma(v, b3);
        }
        put(y, i, r, Lanes.sum(a0), Lanes.sum(a1), Lanes.sum(a2), Lanes.sum(a3), x, xa);
        put(y, i + 1, r, Lanes.sum(b0), Lanes.sum(b1), Lanes.sum(b2), Lanes.sum(b3), x, xb);
      }
      for (; i < n; i++) {
        int xa = i * cols;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int c = 0; c < vecCols; c += LANES) {
          FloatVector u = x(x, xa + c);
          a0 = w(r, c).fma(u, a0);
          a1 = w(r + 1, c).fma(u, a1);
          a2 = w(r + 2, c).fma(u, a2);
          a3 = w(r + 3, c).fma(u, a3);
        }
        put(y, i, r, Lanes.sum(a0), Lanes.sum(a1), Lanes.sum(a2), Lanes.sum(a3), x, xa);
      }
    }
    for (; r < to; r++) {
      for (int i = 0; i < n; i++) {
        int xa = i * cols;
        FloatVector a = FloatVector.zero(F);
        for (int c = 0; c < vecCols; c += LANES) {
          a = w(r, c).fma(x(x, xa + c), a);
        }
        y[i * rows + r] = Lanes.sum(a) + tail(x, xa, r);
      }
    }
  }

  /** Four row sums of input {@code i} plus their tails, into {@code y[i, r ..]}. */
  private void put(float[] y, int i, int r, float s0, float s1, float s2, float s3, float[] x, int xBase) {
    int o = i * rows + r;
    y[o] = s0 + tail(x, xBase, r);
    y[o + 1] = s1 + tail(x, xBase, r + 1);
    y[o + 2] = s2 + tail(x, xBase, r + 2);
    y[o + 3] = s3 + tail(x, xBase, r + 3);
  }
}
