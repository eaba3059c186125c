package dev.latent.ml.llm.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A row-major bf16 matrix {@code W [rows, cols]} (HF layout {@code [out, in]}) held off-heap, and
 * {@code y = x Wᵀ} for a few input rows with f32 accumulation.
 *
 * <p>Widening without a conversion instruction: one int lane holds two neighbouring bf16 values
 * (little-endian: element {@code 2k} low, {@code 2k+1} high), so {@code lane << 16} is the even
 * element as a float and {@code lane & 0xFFFF0000} the odd one. The input is de-interleaved once
 * per call to match ({@link #permute}): within each chunk of {@link #CHUNK} columns the evens come
 * first, then the odds; the tail past the last full chunk stays in order and runs scalar.
 *
 * <p>Batch 1 streams each weight row once straight from memory. Several inputs widen two rows at
 * a time into an L1-resident f32 scratch and multiply every input against it, so batch 16 still
 * reads the weights once.
 */
public final class Bf16Matrix implements MatrixKernel, AutoCloseable {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  private static final int LANES = F.length();
  /** bf16 values per vector load (two per int lane). */
  static final int CHUNK = 2 * LANES;
  /** Rows widened together for several inputs. */
  private static final int BLOCK = 2;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

  private final Arena arena;
  private final MemorySegment w;
  private final int rows;
  private final int cols;
  private final int vecCols;

  private Bf16Matrix(int rows, int cols) {
    if (rows <= 0 || cols <= 0) {
      throw new IllegalArgumentException("matrix must be non-empty, got " + rows + "x" + cols);
    }
    this.rows = rows;
    this.cols = cols;
    this.vecCols = cols / CHUNK * CHUNK;
    this.arena = Arena.ofShared();
    this.w = arena.allocate((long) rows * cols * 2, 64);
  }

  /** {@code values [rows * cols]} (row-major float32) rounded to bf16, nearest even. */
  public static Bf16Matrix round(float[] values, int rows, int cols) {
    Bf16Matrix m = new Bf16Matrix(rows, cols);
    if (values.length != (long) rows * cols) {
      m.close();
      throw new IllegalArgumentException(values.length + " values for a " + rows + "x" + cols + " matrix");
    }
    for (int i = 0; i < values.length; i++) {
      m.w.setAtIndex(SHORT, i, Bf16.round(values[i]));
    }
    return m;
  }

  @Override
  public int maxRows() {
    return Bf16Weights.MAX_KERNEL_ROWS;
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
    return w.byteSize();
  }

  /** The bf16 bits of element {@code (r, c)}. */
  public short bits(int r, int c) {
    return w.getAtIndex(SHORT, (long) r * cols + c);
  }

  @Override
  public void row(int r, float[] dst, int at) {
    long o = (long) r * cols;
    for (int c = 0; c < cols; c++) {
      dst[at + c] = Bf16.widen(w.getAtIndex(SHORT, o + c));
    }
  }

  /** All elements widened to float32, row-major (exact). */
  public float[] widen() {
    float[] out = new float[rows * cols];
    for (int i = 0; i < out.length; i++) {
      out[i] = Bf16.widen(w.getAtIndex(SHORT, i));
    }
    return out;
  }

  /** {@code y [cols → rows]}: {@code y = W x} for one input. */
  public void matVec(float[] x, float[] y) {
    matMul(x, 1, y, 1);
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
    float[] xp = permute(x, n);
    RowSplit.run(rows, BLOCK, w.byteSize(), threads, (from, to) -> rowRange(xp, n, y, from, to));
  }

  private void rowRange(float[] xp, int n, float[] y, int from, int to) {
    if (n == 1) {
      matVecRows(xp, y, from, to);
    } else {
      matMulRows(xp, n, y, from, to);
    }
  }

  /** Each input row de-interleaved per chunk (evens, then odds) to match the widened lanes. */
  float[] permute(float[] x, int n) {
    float[] xp = new float[n * cols];
    for (int i = 0; i < n; i++) {
      int base = i * cols;
      for (int c = 0; c < vecCols; c += CHUNK) {
        for (int k = 0; k < LANES; k++) {
          xp[base + c + k] = x[base + c + 2 * k];
          xp[base + c + LANES + k] = x[base + c + 2 * k + 1];
        }
      }
      System.arraycopy(x, base + vecCols, xp, base + vecCols, cols - vecCols);
    }
    return xp;
  }

  private static FloatVector even(IntVector pair) {
    return pair.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  private static FloatVector odd(IntVector pair) {
    return pair.and(0xFFFF0000).reinterpretAsFloats();
  }

  private IntVector load(long element) {
    return IntVector.fromMemorySegment(I, w, element * 2, LE);
  }

  /**
   * Batch 1: each row streamed from memory once, two accumulators (even and odd columns) per row.
   * Four rows per pass, a quarter of {@code [from, to)} apart, so that each of the four streams
   * runs on through consecutive rows (as {@link F32Matrix}'s batch 1; blocks of two or four
   * adjacent rows measured slower than one row at a time here, since each block starts new short
   * streams). Each row's sum is computed exactly as one row at a time.
   */
  private void matVecRows(float[] xp, float[] y, int from, int to) {
    float[] lanes = new float[LANES];
    int s = (to - from) / 4;
    for (int r = from; r < from + s; r++) {
      long o0 = (long) r * cols;
      long o1 = o0 + (long) s * cols;
      long o2 = o1 + (long) s * cols;
      long o3 = o2 + (long) s * cols;
      FloatVector e0 = FloatVector.zero(F);
      FloatVector d0 = FloatVector.zero(F);
      FloatVector e1 = FloatVector.zero(F);
      FloatVector d1 = FloatVector.zero(F);
      FloatVector e2 = FloatVector.zero(F);
      FloatVector d2 = FloatVector.zero(F);
      FloatVector e3 = FloatVector.zero(F);
      FloatVector d3 = FloatVector.zero(F);
      for (int c = 0; c < vecCols; c += CHUNK) {
        FloatVector xe = FloatVector.fromArray(F, xp, c);
        FloatVector xo = FloatVector.fromArray(F, xp, c + LANES);
        IntVector p0 = load(o0 + c);
        e0 = even(p0).fma(xe, e0);
        d0 = odd(p0).fma(xo, d0);
        IntVector p1 = load(o1 + c);
        e1 = even(p1).fma(xe, e1);
        d1 = odd(p1).fma(xo, d1);
        IntVector p2 = load(o2 + c);
        e2 = even(p2).fma(xe, e2);
        d2 = odd(p2).fma(xo, d2);
        IntVector p3 = load(o3 + c);
        e3 = even(p3).fma(xe, e3);
        d3 = odd(p3).fma(xo, d3);
      }
      y[r] = Lanes.sum(e0.add(d0), lanes) + tail(xp, 0, o0);
      y[r + s] = Lanes.sum(e1.add(d1), lanes) + tail(xp, 0, o1);
      y[r + 2 * s] = Lanes.sum(e2.add(d2), lanes) + tail(xp, 0, o2);
      y[r + 3 * s] = Lanes.sum(e3.add(d3), lanes) + tail(xp, 0, o3);
    }
    for (int r = from + 4 * s; r < to; r++) {
      long o = (long) r * cols;
      FloatVector e = FloatVector.zero(F);
      FloatVector d = FloatVector.zero(F);
      for (int c = 0; c < vecCols; c += CHUNK) {
        IntVector pair = load(o + c);
        e = even(pair).fma(FloatVector.fromArray(F, xp, c), e);
        d = odd(pair).fma(FloatVector.fromArray(F, xp, c + LANES), d);
      }
      y[r] = Lanes.sum(e.add(d), lanes) + tail(xp, 0, o);
    }
  }

  /** The scalar columns past the last full chunk of one row against input row at {@code xBase}. */
  private float tail(float[] xp, int xBase, long rowStart) {
    float s = 0;
    for (int c = vecCols; c < cols; c++) {
      s += Bf16.widen(w.getAtIndex(SHORT, rowStart + c)) * xp[xBase + c];
    }
    return s;
  }

  /**
   * Several inputs: a block of two rows is widened once into {@code scratch} (in the permuted
   * column order, so it lines up with {@code xp}), then every input is multiplied against it in
   * 2 rows × 2 inputs tiles (four accumulators: fits AVX2's 16 registers).
   */
  private void matMulRows(float[] xp, int n, float[] y, int from, int to) {
    float[] scratch = new float[BLOCK * cols];
    float[] lanes = new float[LANES];
    int vecAll = cols / LANES * LANES; // plain f32 dot products from here on
    for (int r = from; r < to; r += BLOCK) {
      boolean two = r + 1 < to;
      widenRow(r, scratch, 0);
      if (two) {
        widenRow(r + 1, scratch, cols);
      } else {
        java.util.Arrays.fill(scratch, cols, 2 * cols, 0f);
      }
      int i = 0;
      for (; i + 2 <= n; i += 2) {
        int xa = i * cols;
        int xb = xa + cols;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        for (int c = 0; c < vecAll; c += LANES) {
          FloatVector w0 = FloatVector.fromArray(F, scratch, c);
          FloatVector w1 = FloatVector.fromArray(F, scratch, cols + c);
          FloatVector x0 = FloatVector.fromArray(F, xp, xa + c);
          FloatVector x1 = FloatVector.fromArray(F, xp, xb + c);
          a0 = w0.fma(x0, a0);
          a1 = w1.fma(x0, a1);
          b0 = w0.fma(x1, b0);
          b1 = w1.fma(x1, b1);
        }
        store(y, i, r, two, Lanes.sum(a0, lanes), Lanes.sum(a1, lanes), scratch, xp, xa, vecAll);
        store(y, i + 1, r, two, Lanes.sum(b0, lanes), Lanes.sum(b1, lanes), scratch, xp, xb, vecAll);
      }
      if (i < n) {
        int xa = i * cols;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        for (int c = 0; c < vecAll; c += LANES) {
          FloatVector x0 = FloatVector.fromArray(F, xp, xa + c);
          a0 = FloatVector.fromArray(F, scratch, c).fma(x0, a0);
          a1 = FloatVector.fromArray(F, scratch, cols + c).fma(x0, a1);
        }
        store(y, i, r, two, Lanes.sum(a0, lanes), Lanes.sum(a1, lanes), scratch, xp, xa, vecAll);
      }
    }
  }

  /** One or two row sums plus the scalar tail columns, into {@code y[input, row ..]}. */
  private void store(float[] y, int input, int row, boolean two, float s0, float s1, float[] scratch,
      float[] xp, int xBase, int vecAll) {
    int out = input * rows + row;
    for (int c = vecAll; c < cols; c++) {
      s0 += scratch[c] * xp[xBase + c];
      s1 += scratch[cols + c] * xp[xBase + c];
    }
    y[out] = s0;
    if (two) {
      y[out + 1] = s1;
    }
  }

  /** Row {@code r} widened into {@code dst[at, at + cols)} in the permuted column order. */
  private void widenRow(int r, float[] dst, int at) {
    long o = (long) r * cols;
    for (int c = 0; c < vecCols; c += CHUNK) {
      IntVector pair = load(o + c);
      even(pair).intoArray(dst, at + c);
      odd(pair).intoArray(dst, at + c + LANES);
    }
    for (int c = vecCols; c < cols; c++) {
      dst[at + c] = Bf16.widen(w.getAtIndex(SHORT, o + c));
    }
  }

  @Override
  public void close() {
    arena.close();
  }
}
