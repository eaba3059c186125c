package dev.latent.ml.llm.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.jspecify.annotations.Nullable;

/**
 * {@code y = x Wᵀ} for a few input rows, reading a row-major float32 matrix {@code W [rows, cols]}
 * (HF layout {@code [out, in]}) where it already lies: a view over a tensor's memory, no copy.
 *
 * <p>Batch 1 streams each row once, four rows per pass; the four rows of a pass lie a quarter of
 * the part apart (see {@link #vec4}). Fewer than {@link #TILES_FROM} inputs run in tiles of 4 rows
 * × 2 inputs ({@link #mm42}), more in {@link F32Tiles}; both read the weights from memory once per
 * batch. Every path computes each output as the same sum (lanes over the columns in order, then
 * the lanes in order, then the tail), so an output's bits do not depend on the batch.
 *
 * <p>A matrix {@link #withPanels} makes a copy in 16-row panels ({@link F32Panels}) at its first
 * product and runs every product there instead: another summation order (one chain per output),
 * the same for every batch; the view then serves only {@link #row} (an embedding table that is
 * only looked up never gets a copy).
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
  private final F32Tiles tiles;
  private final @Nullable Arena panelMemory;
  private volatile @Nullable F32Panels panels;

  /** A view of {@code w} (at least {@code rows * cols} floats, native byte order) as the matrix. */
  public F32Matrix(MemorySegment w, int rows, int cols) {
    this(w, rows, cols, null);
  }

  private F32Matrix(MemorySegment w, int rows, int cols, @Nullable Arena panelMemory) {
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
    this.tiles = new F32Tiles(w, rows, cols);
    this.panelMemory = panelMemory;
  }

  /**
   * This view with a copy of the matrix in panels, made in {@code arena} at the first product,
   * which every product then reads; the copy does not see later writes into the viewed memory.
   */
  public F32Matrix withPanels(Arena arena) {
    return new F32Matrix(w, rows, cols, arena);
  }

  /** Whether products run on a panel copy ({@link #withPanels}). */
  public boolean hasPanels() {
    return panelMemory != null;
  }

  /** Bytes of the panel copy, 0 before the first product or without one. */
  public long panelBytes() {
    F32Panels p = panels;
    return p == null ? 0 : p.bytes();
  }

  /** This view without the panel copy (products read the viewed memory again). */
  public F32Matrix withoutPanels() {
    return panelMemory == null ? this : new F32Matrix(w, rows, cols, null);
  }

  /** The panel copy, made now if this is its first product; null without one. */
  private @Nullable F32Panels panels() {
    F32Panels p = panels;
    if (p != null || panelMemory == null) {
      return p;
    }
    synchronized (this) {
      if (panels == null) {
        panels = F32Panels.pack(w, rows, cols, panelMemory);
      }
      return panels;
    }
  }

  /**
   * From this many inputs on, {@link F32Tiles} beats the 4×2 tiles: over the 110m matrices, same
   * JVM, CPU per pass new/old (median of 16–30, load 9–22, 2026-11-29): 2 inputs 2.0, 4 inputs
   * 1.2, 8 inputs 1.08, 12 inputs 1.00, 16 inputs 0.93–0.98. Its dense read of each row block
   * pays off only when many inputs share it.
   */
  static final int TILES_FROM = 12;

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
    F32Panels p = panels();
    if (p != null) {
      RowSplit.run(rows, F32Panels.WIDTH, bytes(), threads,
          (from, to) -> p.matMul(x, n, y, from, to, new float[F32Panels.WIDTH]));
      return;
    }
    RowSplit.run(rows, 4, bytes(), threads, (from, to) -> {
      float[] lanes = new float[LANES]; // this part's scratch for Lanes.sum
      if (n == 1) {
        vec4(x, y, from, to, lanes);
      } else if (n < TILES_FROM) {
        mm42(x, n, y, from, to, lanes);
      } else {
        tiles.matMul(x, n, y, from, to, lanes);
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

  /**
   * Batch 1, the rows past the last block of four: one row at a time, one accumulator, so the sum
   * is the one every other path computes (two interleaved accumulators gave these rows other bits
   * than the same rows in a batch).
   */
  private void vec1(float[] x, float[] y, int from, int to, float[] lanes) {
    for (int r = from; r < to; r++) {
      FloatVector a = FloatVector.zero(F);
      for (int c = 0; c < vecCols; c += LANES) {
        a = w(r, c).fma(x(x, c), a);
      }
      y[r] = Lanes.sum(a, lanes) + tail(x, 0, r);
    }
  }

  /**
   * Batch 1: four rows per pass, each streamed from memory once against the same input vector.
   * The four rows of a pass lie a quarter of {@code [from, to)} apart ({@code r, r + s, r + 2s,
   * r + 3s}), so each stream runs on through consecutive rows: four long sequential streams that
   * the hardware prefetcher follows. Four adjacent rows (the earlier order) start four new 3 KB
   * streams every pass; over the 110m matrices that read 340 MB in 39 ms CPU against 24–28 ms
   * this way (2026-11-29, load 11). Each row's sum is computed exactly as before.
   */
  private void vec4(float[] x, float[] y, int from, int to, float[] lanes) {
    int s = (to - from) / 4;
    for (int r = from; r < from + s; r++) {
      int r1 = r + s;
      int r2 = r1 + s;
      int r3 = r2 + s;
      FloatVector a = FloatVector.zero(F);
      FloatVector b = FloatVector.zero(F);
      FloatVector d = FloatVector.zero(F);
      FloatVector e = FloatVector.zero(F);
      for (int c = 0; c < vecCols; c += LANES) {
        FloatVector xv = x(x, c);
        a = w(r, c).fma(xv, a);
        b = w(r1, c).fma(xv, b);
        d = w(r2, c).fma(xv, d);
        e = w(r3, c).fma(xv, e);
      }
      y[r] = Lanes.sum(a, lanes) + tail(x, 0, r);
      y[r1] = Lanes.sum(b, lanes) + tail(x, 0, r1);
      y[r2] = Lanes.sum(d, lanes) + tail(x, 0, r2);
      y[r3] = Lanes.sum(e, lanes) + tail(x, 0, r3);
    }
    vec1(x, y, from + 4 * s, to, lanes);
  }

  /**
   * Tiles of 4 rows × 2 inputs: each weight vector loaded once per input pair, eight accumulators.
   * The tile's rows lie a quarter of {@code [from, to)} apart, as in {@link #vec4}: the first
   * input pair's pass, which brings the rows from memory, reads four long sequential streams
   * (batch 16 over the 110m matrices: 123 → 105 ms CPU, same load).
   */
  private void mm42(float[] x, int n, float[] y, int from, int to, float[] lanes) {
    int s = (to - from) / 4;
    for (int r = from; r < from + s; r++) {
      int r1 = r + s;
      int r2 = r1 + s;
      int r3 = r2 + s;
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
          FloatVector w1 = w(r1, c);
          a1 = w1.fma(u, a1);
          b1 = w1.fma(v, b1);
          FloatVector w2 = w(r2, c);
          a2 = w2.fma(u, a2);
          b2 = w2.fma(v, b2);
          FloatVector w3 = w(r3, c);
          a3 = w3.fma(u, a3);
          b3 = w3.fma(v, b3);
        }
        put(y, i, r, s, Lanes.sum(a0, lanes), Lanes.sum(a1, lanes), Lanes.sum(a2, lanes), Lanes.sum(a3, lanes), x, xa);
        put(y, i + 1, r, s, Lanes.sum(b0, lanes), Lanes.sum(b1, lanes), Lanes.sum(b2, lanes), Lanes.sum(b3, lanes), x,
            xb);
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
          a1 = w(r1, c).fma(u, a1);
          a2 = w(r2, c).fma(u, a2);
          a3 = w(r3, c).fma(u, a3);
        }
        put(y, i, r, s, Lanes.sum(a0, lanes), Lanes.sum(a1, lanes), Lanes.sum(a2, lanes), Lanes.sum(a3, lanes), x, xa);
      }
    }
    for (int r = from + 4 * s; r < to; r++) {
      for (int i = 0; i < n; i++) {
        int xa = i * cols;
        FloatVector a = FloatVector.zero(F);
        for (int c = 0; c < vecCols; c += LANES) {
          a = w(r, c).fma(x(x, xa + c), a);
        }
        y[i * rows + r] = Lanes.sum(a, lanes) + tail(x, xa, r);
      }
    }
  }

  /** Row sums of input {@code i} for rows {@code r + k·s} plus their tails, into {@code y[i, ..]}. */
  private void put(float[] y, int i, int r, int s, float s0, float s1, float s2, float s3, float[] x, int xBase) {
    int o = i * rows + r;
    y[o] = s0 + tail(x, xBase, r);
    y[o + s] = s1 + tail(x, xBase, r + s);
    y[o + 2 * s] = s2 + tail(x, xBase, r + 2 * s);
    y[o + 3 * s] = s3 + tail(x, xBase, r + 3 * s);
  }

}
