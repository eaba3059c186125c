package dev.latent.ml.llm.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link F32Matrix}'s kernel for several input rows: {@code y = x Wᵀ} over a row-major float32
 * {@code W [rows, cols]} read in place.
 *
 * <p>Every output is the sum batch 1 computes ({@link F32Matrix}): per lane over the columns in
 * order, the lanes added in lane order ({@link Lanes#sum}), then the scalar tail. Only the order in
 * which (row, input) pairs are visited changes, so no output depends on the batch size or the tile
 * it falls in (greedy decoding of concurrent streams equals one at a time).
 *
 * <p>The work, outside in: rows in blocks of ~192 KB of weights, first read in one dense pass
 * ({@link #fetch}), then kept in L2 while every input group passes over them, so a batch reads the
 * weights from memory once; inputs in groups of 8 (then 4, then 1). The micro-kernel is one weight
 * row against 8 inputs: eight accumulators, each weight vector loaded once, and each input vector
 * read by its FMA straight from L1 (C2 folds a load with one use into {@code vfmadd231ps}), so
 * nothing spills. Tiles of 2–4 rows × 2–4 inputs hold more values than AVX2's 16 registers once
 * C2 unrolls the loop 4×, and their accumulators spill to the stack (seen in the compiled code;
 * in cache 37–41 against 42–46 GFLOPS, 2026-11-29).
 */
final class F32Tiles {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = F.length();
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ORDER);

  /** Inputs per micro-kernel. */
  static final int GROUP = 8;
  /** Weight bytes of a row block: a good part of a 512 KB L2. */
  private static final long BLOCK_BYTES = 192 * 1024;

  /** Where {@link #fetch}'s reads go, so that the JIT keeps them. */
  static volatile int sink;

  private final MemorySegment w;
  private final int rows;
  private final int cols;
  private final int vecCols;
  private final int block;

  F32Tiles(MemorySegment w, int rows, int cols) {
    this.w = w;
    this.rows = rows;
    this.cols = cols;
    this.vecCols = cols / LANES * LANES;
    this.block = (int) Math.max(1, BLOCK_BYTES / ((long) cols * Float.BYTES));
  }

  /** Rows {@code [from, to)} of {@code y [n, rows]} for {@code x [n, cols]}. */
  void matMul(float[] x, int n, float[] y, int from, int to, float[] lanes) {
    int seen = 0;
    for (int b = from; b < to; b += block) {
      int e = Math.min(to, b + block);
      seen |= fetch(b, e);
      int i = 0;
      for (; i + GROUP <= n; i += GROUP) {
        group(GROUP, x, i, y, b, e, lanes);
      }
      for (; i + 4 <= n; i += 4) {
        group(4, x, i, y, b, e, lanes);
      }
      for (; i < n; i++) {
        group(1, x, i, y, b, e, lanes);
      }
    }
    sink = seen; // keeps the reads of fetch
  }

  /** Inputs {@code [i, i + g)} against rows {@code [b, e)}. */
  private void group(int g, float[] x, int i, float[] y, int b, int e, float[] lanes) {
    for (int r = b; r < e; r++) {
      switch (g) {
        case GROUP -> tile8(x, i, y, r, lanes);
        case 4 -> tile4(x, i, y, r, lanes);
        default -> tile1(x, i, y, r, lanes);
      }
    }
  }

  /**
   * Reads one int of every cache line of rows {@code [b, e)} in four interleaved streams before
   * the first input group needs them. The micro-kernel loads one weight vector per eight FMAs,
   * too few loads in flight to cover memory latency: the first group's pass ran at ~5 GB/s of
   * weights, where this dense read has dozens of lines in flight; the groups then read the block
   * from L2. Batch 16 over the 110m matrices, same JVM, against the old 4×2 tiles: per-pass CPU
   * ratio 0.93–0.955 (median of 30, three runs, load 9–13); without the read no faster than them.
   */
  private int fetch(int b, int e) {
    return DenseRead.lines(w, (long) b * cols * Float.BYTES, (long) e * cols * Float.BYTES);
  }

  private FloatVector w(long at) {
    return FloatVector.fromMemorySegment(F, w, at * Float.BYTES, ORDER);
  }

  private static FloatVector x(float[] x, int at) {
    return FloatVector.fromArray(F, x, at);
  }

  /** Input {@code i}'s output of row {@code r}: its lanes in order plus the scalar tail. */
  private void put(float[] x, int i, float[] y, int r, FloatVector sum, float[] lanes) {
    float tail = 0; // summed apart and added last, as batch 1 does
    long o = (long) r * cols;
    int xb = i * cols;
    for (int c = vecCols; c < cols; c++) {
      tail += w.getAtIndex(FLOAT, o + c) * x[xb + c];
    }
    y[i * rows + r] = Lanes.sum(sum, lanes) + tail;
  }

  /** Row {@code r} × inputs {@code i..i+7}. */
  private void tile8(float[] x, int i, float[] y, int r, float[] lanes) {
    int x0 = i * cols;
    int x1 = x0 + cols;
    int x2 = x1 + cols;
    int x3 = x2 + cols;
    int x4 = x3 + cols;
    int x5 = x4 + cols;
    int x6 = x5 + cols;
    int x7 = x6 + cols;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    FloatVector a4 = FloatVector.zero(F);
    FloatVector a5 = FloatVector.zero(F);
    FloatVector a6 = FloatVector.zero(F);
    FloatVector a7 = FloatVector.zero(F);
    long o = (long) r * cols;
    for (int c = 0; c < vecCols; c += LANES) {
      FloatVector q = w(o + c);
      a0 = q.fma(x(x, x0 + c), a0);
      a1 = q.fma(x(x, x1 + c), a1);
      a2 = q.fma(x(x, x2 + c), a2);
      a3 = q.fma(x(x, x3 + c), a3);
      a4 = q.fma(x(x, x4 + c), a4);
      a5 = q.fma(x(x, x5 + c), a5);
      a6 = q.fma(x(x, x6 + c), a6);
      a7 = q.fma(x(x, x7 + c), a7);
    }
    put(x, i, y, r, a0, lanes);
    put(x, i + 1, y, r, a1, lanes);
    put(x, i + 2, y, r, a2, lanes);
    put(x, i + 3, y, r, a3, lanes);
    put(x, i + 4, y, r, a4, lanes);
    put(x, i + 5, y, r, a5, lanes);
    put(x, i + 6, y, r, a6, lanes);
    put(x, i + 7, y, r, a7, lanes);
  }

  /** Row {@code r} × inputs {@code i..i+3}. */
  private void tile4(float[] x, int i, float[] y, int r, float[] lanes) {
    int x0 = i * cols;
    int x1 = x0 + cols;
    int x2 = x1 + cols;
    int x3 = x2 + cols;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    long o = (long) r * cols;
    for (int c = 0; c < vecCols; c += LANES) {
      FloatVector q = w(o + c);
      a0 = q.fma(x(x, x0 + c), a0);
      a1 = q.fma(x(x, x1 + c), a1);
      a2 = q.fma(x(x, x2 + c), a2);
      a3 = q.fma(x(x, x3 + c), a3);
    }
    put(x, i, y, r, a0, lanes);
    put(x, i + 1, y, r, a1, lanes);
    put(x, i + 2, y, r, a2, lanes);
    put(x, i + 3, y, r, a3, lanes);
  }

  /** Row {@code r} × input {@code i}. */
  private void tile1(float[] x, int i, float[] y, int r, float[] lanes) {
    int x0 = i * cols;
    FloatVector a = FloatVector.zero(F);
    long o = (long) r * cols;
    for (int c = 0; c < vecCols; c += LANES) {
      a = w(o + c).fma(x(x, x0 + c), a);
    }
    put(x, i, y, r, a, lanes);
  }
}
