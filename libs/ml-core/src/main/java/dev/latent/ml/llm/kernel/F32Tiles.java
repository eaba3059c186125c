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
 * <p>The work, outside in: rows in blocks of ~192 KB of weights (they stay in L2 while every input
 * group passes over them, so a batch reads the weights from memory once); inputs in groups of 8
 * (then 4, then 1); columns in chunks of at most 768 floats, so one group's inputs (8 × 3 KB) stay
 * in L1 also for the 2048-wide down projection (lane partial sums carried between chunks keep the
 * order). The micro-kernel is one weight row against 8 inputs: eight accumulators, each weight
 * vector loaded once, and each input vector read by its FMA straight from L1 (C2 folds a load with
 * one use into {@code vfmadd231ps}), so nothing spills. Tiles of 2–4 rows × 2–4 inputs hold more
 * values than AVX2's 16 registers once C2 unrolls the loop 4×, and their accumulators spill to the
 * stack (seen in the compiled code; 37–41 against 42–45 GFLOPS in cache, 2026-11-29).
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
  /** Columns per chunk (a multiple of every vector length): 8 inputs × 768 floats = 24 KB of L1. */
  private static final int CHUNK = 768;

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
    float[] part = new float[block * GROUP * LANES]; // lane sums carried from one chunk to the next
    for (int b = from; b < to; b += block) {
      int e = Math.min(to, b + block);
      int i = 0;
      for (; i + GROUP <= n; i += GROUP) {
        group(GROUP, x, i, y, b, e, part, lanes);
      }
      for (; i + 4 <= n; i += 4) {
        group(4, x, i, y, b, e, part, lanes);
      }
      for (; i < n; i++) {
        group(1, x, i, y, b, e, part, lanes);
      }
    }
  }

  /** Inputs {@code [i, i + g)} against rows {@code [b, e)}, chunk by chunk. */
  private void group(int g, float[] x, int i, float[] y, int b, int e, float[] part, float[] lanes) {
    int chunks = Math.max(1, (vecCols + CHUNK - 1) / CHUNK);
    for (int k = 0; k < chunks; k++) {
      int c0 = k * CHUNK;
      int c1 = Math.min(vecCols, c0 + CHUNK);
      boolean first = k == 0;
      boolean last = k == chunks - 1;
      for (int r = b; r < e; r++) {
        int p = (r - b) * GROUP * LANES;
        switch (g) {
          case GROUP -> tile8(x, i, y, r, c0, c1, first, last, part, p, lanes);
          case 4 -> tile4(x, i, y, r, c0, c1, first, last, part, p, lanes);
          default -> tile1(x, i, y, r, c0, c1, first, last, part, p, lanes);
        }
      }
    }
  }

  private FloatVector w(long at) {
    return FloatVector.fromMemorySegment(F, w, at * Float.BYTES, ORDER);
  }

  private static FloatVector x(float[] x, int at) {
    return FloatVector.fromArray(F, x, at);
  }

  private static FloatVector start(boolean first, float[] part, int at) {
    return first ? FloatVector.zero(F) : FloatVector.fromArray(F, part, at);
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

  /** Row {@code r} × inputs {@code i..i+7} over columns {@code [c0, c1)}. */
  private void tile8(float[] x, int i, float[] y, int r, int c0, int c1, boolean first, boolean last,
      float[] part, int p, float[] lanes) {
    int x0 = i * cols;
    int x1 = x0 + cols;
    int x2 = x1 + cols;
    int x3 = x2 + cols;
    int x4 = x3 + cols;
    int x5 = x4 + cols;
    int x6 = x5 + cols;
    int x7 = x6 + cols;
    FloatVector a0 = start(first, part, p);
    FloatVector a1 = start(first, part, p + LANES);
    FloatVector a2 = start(first, part, p + 2 * LANES);
    FloatVector a3 = start(first, part, p + 3 * LANES);
    FloatVector a4 = start(first, part, p + 4 * LANES);
    FloatVector a5 = start(first, part, p + 5 * LANES);
    FloatVector a6 = start(first, part, p + 6 * LANES);
    FloatVector a7 = start(first, part, p + 7 * LANES);
    long o = (long) r * cols;
    for (int c = c0; c < c1; c += LANES) {
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
    if (!last) {
      a0.intoArray(part, p);
      a1.intoArray(part, p + LANES);
      a2.intoArray(part, p + 2 * LANES);
      a3.intoArray(part, p + 3 * LANES);
      a4.intoArray(part, p + 4 * LANES);
      a5.intoArray(part, p + 5 * LANES);
      a6.intoArray(part, p + 6 * LANES);
      a7.intoArray(part, p + 7 * LANES);
      return;
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

  /** Row {@code r} × inputs {@code i..i+3} over columns {@code [c0, c1)}. */
  private void tile4(float[] x, int i, float[] y, int r, int c0, int c1, boolean first, boolean last,
      float[] part, int p, float[] lanes) {
    int x0 = i * cols;
    int x1 = x0 + cols;
    int x2 = x1 + cols;
    int x3 = x2 + cols;
    FloatVector a0 = start(first, part, p);
    FloatVector a1 = start(first, part, p + LANES);
    FloatVector a2 = start(first, part, p + 2 * LANES);
    FloatVector a3 = start(first, part, p + 3 * LANES);
    long o = (long) r * cols;
    for (int c = c0; c < c1; c += LANES) {
      FloatVector q = w(o + c);
      a0 = q.fma(x(x, x0 + c), a0);
      a1 = q.fma(x(x, x1 + c), a1);
      a2 = q.fma(x(x, x2 + c), a2);
      a3 = q.fma(x(x, x3 + c), a3);
    }
    if (!last) {
      a0.intoArray(part, p);
      a1.intoArray(part, p + LANES);
      a2.intoArray(part, p + 2 * LANES);
      a3.intoArray(part, p + 3 * LANES);
      return;
    }
    put(x, i, y, r, a0, lanes);
    put(x, i + 1, y, r, a1, lanes);
    put(x, i + 2, y, r, a2, lanes);
    put(x, i + 3, y, r, a3, lanes);
  }

  /** Row {@code r} × input {@code i} over columns {@code [c0, c1)}. */
  private void tile1(float[] x, int i, float[] y, int r, int c0, int c1, boolean first, boolean last,
      float[] part, int p, float[] lanes) {
    int x0 = i * cols;
    FloatVector a = start(first, part, p);
    long o = (long) r * cols;
    for (int c = c0; c < c1; c += LANES) {
      a = w(o + c).fma(x(x, x0 + c), a);
    }
    if (!last) {
      a.intoArray(part, p);
      return;
    }
    put(x, i, y, r, a, lanes);
  }
}
