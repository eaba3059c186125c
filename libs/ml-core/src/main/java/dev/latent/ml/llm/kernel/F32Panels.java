package dev.latent.ml.llm.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A float32 matrix {@code W [rows, cols]} re-laid out in panels of 16 rows,
 * {@code [ceil(rows/16)][cols][16]} (the 16 rows' values of one column side by side; the last
 * panel padded with zeros), and {@code y = x Wᵀ} over it as outer products: per column two weight
 * vectors against one broadcast input value each.
 *
 * <p>Every output is one lane's chain of fused multiply-adds over the columns in order, starting
 * from zero; batch 1 ({@link #one}) and every tile compute that same chain, so no output's bits
 * depend on the batch size, the tile it falls in or the thread split (whole panels per thread).
 * These bits differ from {@link F32Matrix}'s row-major sums in the last places.
 *
 * <p>The micro-kernel is 6 inputs × 16 rows: 12 accumulators, 2 weight vectors and a broadcast in
 * AVX2's 16 registers; in L1 it ran at 71–81 GFLOPS against 55–62 for 4 × 16 (one core, load
 * 6–8, 2026-11-29). Out of cache the first input group's pass waits for memory, so each block of
 * panels ({@link #FETCH_BYTES}) is first read in one dense four-stream pass ({@link #fetch}),
 * the way {@link F32Tiles} does; every group then reads it from L2.
 *
 * <p>Over all 110m matrices, same JVM, alternating with the row-major kernel ({@link F32Matrix}),
 * CPU ms per pass (median of 8, load 11–15, 2026-11-29): 1 input 20.3 vs 22.0, 2 35 vs 28, 3–5
 * 10–25% slower, 8 53 vs 59, 12 64 vs 84, 16 74 vs 92 (47 GFLOPS), 17 84 vs 126, 32 119 vs 153
 * (59 GFLOPS). Two to five inputs read one panel stream at a time, where the row-major tiles
 * read four.
 *
 * <p>Mixed steps (16 + 32..256 inputs), same-JVM harness against this kernel, thread CPU, real
 * 110m shapes (2026-11-29 23:12–23:46, load 2–10): it runs 60–78 GFLOPS at 128–272 inputs when
 * the core is not shared (44–53 when it is), near one Zen 3 core's FMA peak (~78). Blocking did
 * not beat it, all variants bit-identical: column slices of 256 (a panel's slice in L1) with the
 * accumulators reloaded from {@code y}, 4–40% slower; input blocks of 256 KB in L2 around them,
 * 2–55% slower; the inputs also packed six-interleaved, 30 GFLOPS flat (C2 does not unroll that
 * loop: with {@code -XX:-UseSuperWord} this kernel drops to the same), 10–30% slower even unrolled
 * by hand. The tiles' streams from L2 and L3 are not what limits it.
 */
final class F32Panels {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ORDER);

  /** Rows per panel: two 8-lane vectors. */
  static final int WIDTH = 16;
  /** Panel bytes read ahead of the tiles at a time: about half of a 512 KB L2. */
  private static final long FETCH_BYTES = 256 * 1024;
  /** From this many inputs on a block is read densely first (it pays only when groups share it). */
  private static final int FETCH_FROM = 4;

  /** Where {@link #fetch}'s reads go, so that the JIT keeps them. */
  static volatile int sink;

  private final MemorySegment p;
  private final int rows;
  private final int cols;
  private final int panels;
  private final int fetchPanels;

  private F32Panels(MemorySegment p, int rows, int cols) {
    this.p = p;
    this.rows = rows;
    this.cols = cols;
    this.panels = (rows + WIDTH - 1) / WIDTH;
    this.fetchPanels = (int) Math.max(1, FETCH_BYTES / ((long) cols * WIDTH * Float.BYTES));
  }

  /** Whether this machine's vectors have the 8 lanes the panels are cut for (AVX2). */
  static boolean fits() {
    return FloatVector.SPECIES_PREFERRED.length() >= F.length();
  }

  /**
   * Packs row-major {@code w [rows, cols]} into panels in memory of {@code arena}, on 2 MB pages
   * where Linux allows ({@link HugePages}).
   */
  static F32Panels pack(MemorySegment w, int rows, int cols, Arena arena) {
    int panels = (rows + WIDTH - 1) / WIDTH;
    long bytes = (long) panels * cols * WIDTH * Float.BYTES;
    MemorySegment p = arena.allocate(bytes, 2L << 20);
    float[] row = new float[cols];
    for (int r = 0; r < rows; r++) {
      MemorySegment.copy(w, FLOAT, (long) r * cols * Float.BYTES, row, 0, cols);
      long base = (long) (r / WIDTH) * cols * WIDTH + r % WIDTH;
      for (int c = 0; c < cols; c++) {
        p.setAtIndex(FLOAT, base + (long) c * WIDTH, row[c]);
      }
    }
    // the padding rows of the last panel: allocate() zeroes memory
    HugePages.collapse(p);
    return new F32Panels(p, rows, cols);
  }

  long bytes() {
    return p.byteSize();
  }

  /**
   * Rows {@code [from, to)} of {@code y [n, rows]} for {@code x [n, cols]}; {@code from} is a
   * multiple of {@link #WIDTH}, {@code to} too or {@code rows}. {@code scratch}: 16 floats.
   */
  void matMul(float[] x, int n, float[] y, int from, int to, float[] scratch) {
    int first = from / WIDTH;
    int end = (to + WIDTH - 1) / WIDTH;
    if (n == 1) {
      one(x, y, first, end, scratch);
      return;
    }
    int seen = 0;
    for (int b = first; b < end; b += fetchPanels) {
      int e = Math.min(end, b + fetchPanels);
      if (n >= FETCH_FROM) {
        seen |= fetch(b, e);
      }
      for (int j = b; j < e; j++) {
        int i = 0;
        for (; i + 6 <= n; i += 6) {
          tile6(x, i, y, j, scratch);
        }
        switch (n - i) { // the rest in one or two tiles: each tile reads the panel once more
          case 5 -> {
            tile3(x, i, y, j, scratch);
            tile2(x, i + 3, y, j, scratch);
          }
          case 4 -> tile4(x, i, y, j, scratch);
          case 3 -> tile3(x, i, y, j, scratch);
          case 2 -> tile2(x, i, y, j, scratch);
          case 1 -> tile1(x, i, y, j, scratch);
          default -> { }
        }
      }
    }
    sink = seen;
  }

  /** Reads one int of every cache line of panels {@code [b, e)} in four interleaved streams. */
  private int fetch(int b, int e) {
    return DenseRead.lines(p, (long) b * cols * WIDTH * Float.BYTES, (long) e * cols * WIDTH * Float.BYTES);
  }

  private FloatVector w(long at) {
    return FloatVector.fromMemorySegment(F, p, at * Float.BYTES, ORDER);
  }

  private static FloatVector x(float[] x, int at) {
    return FloatVector.broadcast(F, x[at]);
  }

  /** Panel {@code j}'s 16 outputs {@code lo|hi} of input {@code i}, those past {@code rows} dropped. */
  private void put(FloatVector lo, FloatVector hi, float[] y, int i, int j, float[] scratch) {
    int r = j * WIDTH;
    int at = i * rows + r;
    if (r + WIDTH <= rows) {
      lo.intoArray(y, at);
      hi.intoArray(y, at + 8);
    } else {
      lo.intoArray(scratch, 0);
      hi.intoArray(scratch, 8);
      System.arraycopy(scratch, 0, y, at, rows - r);
    }
  }

  /**
   * Batch 1: four panels per pass, a quarter of {@code [first, end)} apart, so the pass reads four
   * long sequential streams (as {@link F32Matrix}'s batch 1 does); eight accumulators.
   */
  private void one(float[] x, float[] y, int first, int end, float[] scratch) {
    int s = (end - first) / 4;
    long stride = (long) s * cols * WIDTH;
    for (int j = first; j < first + s; j++) {
      long o0 = (long) j * cols * WIDTH;
      long o1 = o0 + stride;
      long o2 = o1 + stride;
      long o3 = o2 + stride;
      FloatVector a0 = FloatVector.zero(F);
      FloatVector b0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector b1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector b2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      FloatVector b3 = FloatVector.zero(F);
      for (int c = 0; c < cols; c++) {
        FloatVector v = x(x, c);
        long d = (long) c * WIDTH;
        a0 = w(o0 + d).fma(v, a0);
        b0 = w(o0 + d + 8).fma(v, b0);
        a1 = w(o1 + d).fma(v, a1);
        b1 = w(o1 + d + 8).fma(v, b1);
        a2 = w(o2 + d).fma(v, a2);
        b2 = w(o2 + d + 8).fma(v, b2);
        a3 = w(o3 + d).fma(v, a3);
        b3 = w(o3 + d + 8).fma(v, b3);
      }
      put(a0, b0, y, 0, j, scratch);
      put(a1, b1, y, 0, j + s, scratch);
      put(a2, b2, y, 0, j + 2 * s, scratch);
      put(a3, b3, y, 0, j + 3 * s, scratch);
    }
    for (int j = first + 4 * s; j < end; j++) {
      tile1(x, 0, y, j, scratch);
    }
  }

  /** Panel {@code j} × inputs {@code i..i+5}. */
  private void tile6(float[] x, int i, float[] y, int j, float[] scratch) {
    int x0 = i * cols;
    int x1 = x0 + cols;
    int x2 = x1 + cols;
    int x3 = x2 + cols;
    int x4 = x3 + cols;
    int x5 = x4 + cols;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector b0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector b1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector b2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    FloatVector b3 = FloatVector.zero(F);
    FloatVector a4 = FloatVector.zero(F);
    FloatVector b4 = FloatVector.zero(F);
    FloatVector a5 = FloatVector.zero(F);
    FloatVector b5 = FloatVector.zero(F);
    long o = (long) j * cols * WIDTH;
    for (int c = 0; c < cols; c++, o += WIDTH) {
      FloatVector lo = w(o);
      FloatVector hi = w(o + 8);
      FloatVector v = x(x, x0 + c);
      a0 = lo.fma(v, a0);
      b0 = hi.fma(v, b0);
      v = x(x, x1 + c);
      a1 = lo.fma(v, a1);
      b1 = hi.fma(v, b1);
      v = x(x, x2 + c);
      a2 = lo.fma(v, a2);
      b2 = hi.fma(v, b2);
      v = x(x, x3 + c);
      a3 = lo.fma(v, a3);
      b3 = hi.fma(v, b3);
      v = x(x, x4 + c);
      a4 = lo.fma(v, a4);
      b4 = hi.fma(v, b4);
      v = x(x, x5 + c);
      a5 = lo.fma(v, a5);
      b5 = hi.fma(v, b5);
    }
    put(a0, b0, y, i, j, scratch);
    put(a1, b1, y, i + 1, j, scratch);
    put(a2, b2, y, i + 2, j, scratch);
    put(a3, b3, y, i + 3, j, scratch);
    put(a4, b4, y, i + 4, j, scratch);
    put(a5, b5, y, i + 5, j, scratch);
  }

  /** Panel {@code j} × inputs {@code i..i+3}. */
  private void tile4(float[] x, int i, float[] y, int j, float[] scratch) {
    int x0 = i * cols;
    int x1 = x0 + cols;
    int x2 = x1 + cols;
    int x3 = x2 + cols;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector b0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector b1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector b2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    FloatVector b3 = FloatVector.zero(F);
    long o = (long) j * cols * WIDTH;
    for (int c = 0; c < cols; c++, o += WIDTH) {
      FloatVector lo = w(o);
      FloatVector hi = w(o + 8);
      FloatVector v = x(x, x0 + c);
      a0 = lo.fma(v, a0);
      b0 = hi.fma(v, b0);
      v = x(x, x1 + c);
      a1 = lo.fma(v, a1);
      b1 = hi.fma(v, b1);
      v = x(x, x2 + c);
      a2 = lo.fma(v, a2);
      b2 = hi.fma(v, b2);
      v = x(x, x3 + c);
      a3 = lo.fma(v, a3);
      b3 = hi.fma(v, b3);
    }
    put(a0, b0, y, i, j, scratch);
    put(a1, b1, y, i + 1, j, scratch);
    put(a2, b2, y, i + 2, j, scratch);
    put(a3, b3, y, i + 3, j, scratch);
  }

  /** Panel {@code j} × inputs {@code i..i+2}. */
  private void tile3(float[] x, int i, float[] y, int j, float[] scratch) {
    int x0 = i * cols;
    int x1 = x0 + cols;
    int x2 = x1 + cols;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector b0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector b1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector b2 = FloatVector.zero(F);
    long o = (long) j * cols * WIDTH;
    for (int c = 0; c < cols; c++, o += WIDTH) {
      FloatVector lo = w(o);
      FloatVector hi = w(o + 8);
      FloatVector v = x(x, x0 + c);
      a0 = lo.fma(v, a0);
      b0 = hi.fma(v, b0);
      v = x(x, x1 + c);
      a1 = lo.fma(v, a1);
      b1 = hi.fma(v, b1);
      v = x(x, x2 + c);
      a2 = lo.fma(v, a2);
      b2 = hi.fma(v, b2);
    }
    put(a0, b0, y, i, j, scratch);
    put(a1, b1, y, i + 1, j, scratch);
    put(a2, b2, y, i + 2, j, scratch);
  }

  /** Panel {@code j} × inputs {@code i, i+1}. */
  private void tile2(float[] x, int i, float[] y, int j, float[] scratch) {
    int x0 = i * cols;
    int x1 = x0 + cols;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector b0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector b1 = FloatVector.zero(F);
    long o = (long) j * cols * WIDTH;
    for (int c = 0; c < cols; c++, o += WIDTH) {
      FloatVector lo = w(o);
      FloatVector hi = w(o + 8);
      FloatVector v = x(x, x0 + c);
      a0 = lo.fma(v, a0);
      b0 = hi.fma(v, b0);
      v = x(x, x1 + c);
      a1 = lo.fma(v, a1);
      b1 = hi.fma(v, b1);
    }
    put(a0, b0, y, i, j, scratch);
    put(a1, b1, y, i + 1, j, scratch);
  }

  /** Panel {@code j} × input {@code i}. */
  private void tile1(float[] x, int i, float[] y, int j, float[] scratch) {
    int x0 = i * cols;
    FloatVector a = FloatVector.zero(F);
    FloatVector b = FloatVector.zero(F);
    long o = (long) j * cols * WIDTH;
    for (int c = 0; c < cols; c++, o += WIDTH) {
      FloatVector v = x(x, x0 + c);
      a = w(o).fma(v, a);
      b = w(o + 8).fma(v, b);
    }
    put(a, b, y, i, j, scratch);
  }
}
