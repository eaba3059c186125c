package dev.latent.ml.llm.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * <p>Batch 1 streams each weight row once straight from memory (four rows per pass, two
 * accumulators each). Several inputs widen a block of four rows into an L1-resident f32 scratch
 * once and multiply every input against it, so batch 16 still reads the weights once.
 */
public final class Bf16Matrix implements AutoCloseable {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  private static final int LANES = F.length();
  /** bf16 values per vector load (two per int lane). */
  static final int CHUNK = 2 * LANES;
  private static final int BLOCK = 4;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

  // the row split of one call costs ~10-30 µs in hand-offs; below this many weight bytes per
  // helper thread it is not worth it
  private static final long MIN_BYTES_PER_THREAD = 256 * 1024;
  private static final ExecutorService HELPERS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "bf16-kernel");
    t.setDaemon(true);
    return t;
  });

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

  public int rows() {
    return rows;
  }

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
  public void matMul(float[] x, int n, float[] y, int threads) {
    if (x.length < (long) n * cols || y.length < (long) n * rows) {
      throw new IllegalArgumentException("x needs " + n + "x" + cols + " and y " + n + "x" + rows + " values");
    }
    float[] xp = permute(x, n);
    int parts = (int) Math.max(1, Math.min(threads, w.byteSize() / MIN_BYTES_PER_THREAD));
    if (parts == 1) {
      rowRange(xp, n, y, 0, rows);
      return;
    }
    int per = (rows + parts - 1) / parts;
    per = (per + BLOCK - 1) / BLOCK * BLOCK;
    List<Future<?>> helpers = new ArrayList<>(parts - 1);
    for (int from = per; from < rows; from += per) {
      int f = from;
      int t = Math.min(rows, from + per);
      helpers.add(HELPERS.submit(() -> rowRange(xp, n, y, f, t)));
    }
    rowRange(xp, n, y, 0, Math.min(rows, per));
    for (Future<?> h : helpers) {
      try {
        h.get();
      } catch (ExecutionException e) {
        throw new IllegalStateException("bf16 kernel thread failed", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted in the bf16 kernel", e);
      }
    }
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

  /** Batch 1: rows streamed from memory, four at a time. */
  private void matVecRows(float[] xp, float[] y, int from, int to) {
    int r = from;
    for (; r + BLOCK <= to; r += BLOCK) {
      long o0 = (long) r * cols;
      long o1 = o0 + cols;
      long o2 = o1 + cols;
      long o3 = o2 + cols;
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
        IntVector w0 = load(o0 + c);
        IntVector w1 = load(o1 + c);
        IntVector w2 = load(o2 + c);
        IntVector w3 = load(o3 + c);
        e0 = even(w0).fma(xe, e0);
        d0 = odd(w0).fma(xo, d0);
        e1 = even(w1).fma(xe, e1);
        d1 = odd(w1).fma(xo, d1);
        e2 = even(w2).fma(xe, e2);
        d2 = odd(w2).fma(xo, d2);
        e3 = even(w3).fma(xe, e3);
        d3 = odd(w3).fma(xo, d3);
      }
      y[r] = e0.add(d0).reduceLanes(VectorOperators.ADD) + tail(xp, 0, o0);
      y[r + 1] = e1.add(d1).reduceLanes(VectorOperators.ADD) + tail(xp, 0, o1);
      y[r + 2] = e2.add(d2).reduceLanes(VectorOperators.ADD) + tail(xp, 0, o2);
      y[r + 3] = e3.add(d3).reduceLanes(VectorOperators.ADD) + tail(xp, 0, o3);
    }
    for (; r < to; r++) {
      long o = (long) r * cols;
      FloatVector e = FloatVector.zero(F);
      FloatVector d = FloatVector.zero(F);
      for (int c = 0; c < vecCols; c += CHUNK) {
        IntVector pair = load(o + c);
        e = even(pair).fma(FloatVector.fromArray(F, xp, c), e);
        d = odd(pair).fma(FloatVector.fromArray(F, xp, c + LANES), d);
      }
      y[r] = e.add(d).reduceLanes(VectorOperators.ADD) + tail(xp, 0, o);
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
   * Several inputs: a block of rows is widened once into {@code scratch} (in the permuted column
   * order, so it lines up with {@code xp}), then every input is multiplied against it, two inputs
   * and four rows per pass.
   */
  private void matMulRows(float[] xp, int n, float[] y, int from, int to) {
    float[] scratch = new float[BLOCK * cols];
    int vecAll = cols / LANES * LANES; // plain f32 dot products from here on
    for (int r = from; r < to; r += BLOCK) {
      int block = Math.min(BLOCK, to - r);
      for (int b = 0; b < block; b++) {
        widenRow(r + b, scratch, b * cols);
      }
      for (int b = block; b < BLOCK; b++) {
        java.util.Arrays.fill(scratch, b * cols, (b + 1) * cols, 0f);
      }
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
        for (int c = 0; c < vecAll; c += LANES) {
          FloatVector x0 = FloatVector.fromArray(F, xp, xa + c);
          FloatVector x1 = FloatVector.fromArray(F, xp, xb + c);
          FloatVector w0 = FloatVector.fromArray(F, scratch, c);
          FloatVector w1 = FloatVector.fromArray(F, scratch, cols + c);
          FloatVector w2 = FloatVector.fromArray(F, scratch, 2 * cols + c);
          FloatVector w3 = FloatVector.fromArray(F, scratch, 3 * cols + c);
          a0 = w0.fma(x0, a0);
          a1 = w1.fma(x0, a1);
          a2 = w2.fma(x0, a2);
          a3 = w3.fma(x0, a3);
          b0 = w0.fma(x1, b0);
          b1 = w1.fma(x1, b1);
          b2 = w2.fma(x1, b2);
          b3 = w3.fma(x1, b3);
        }
        store(y, i, r, block, sum(a0), sum(a1), sum(a2), sum(a3), scratch, xp, xa, vecAll);
        store(y, i + 1, r, block, sum(b0), sum(b1), sum(b2), sum(b3), scratch, xp, xb, vecAll);
      }
      for (; i < n; i++) {
        int xa = i * cols;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        for (int c = 0; c < vecAll; c += LANES) {
          FloatVector x0 = FloatVector.fromArray(F, xp, xa + c);
          a0 = FloatVector.fromArray(F, scratch, c).fma(x0, a0);
          a1 = FloatVector.fromArray(F, scratch, cols + c).fma(x0, a1);
          a2 = FloatVector.fromArray(F, scratch, 2 * cols + c).fma(x0, a2);
          a3 = FloatVector.fromArray(F, scratch, 3 * cols + c).fma(x0, a3);
        }
        store(y, i, r, block, sum(a0), sum(a1), sum(a2), sum(a3), scratch, xp, xa, vecAll);
      }
    }
  }

  private static float sum(FloatVector v) {
    return v.reduceLanes(VectorOperators.ADD);
  }

  /** Block sums plus the scalar tail columns, into {@code y[input, row .. row + block)}. */
  private void store(float[] y, int input, int row, int block, float s0, float s1, float s2, float s3,
      float[] scratch, float[] xp, int xBase, int vecAll) {
    int out = input * rows + row;
    for (int b = 0; b < block; b++) {
      float s = b == 0 ? s0 : b == 1 ? s1 : b == 2 ? s2 : s3;
      for (int c = vecAll; c < cols; c++) {
        s += scratch[b * cols + c] * xp[xBase + c];
      }
      y[out + b] = s;
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
