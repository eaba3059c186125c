package dev.latent.ml.llm.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A dense read of a block of weights ahead of the tiles that use it. The micro-kernels load one
 * weight vector per several FMAs, too few loads in flight to cover memory latency; touching every
 * cache line of the block first, in four interleaved streams, keeps dozens of lines in flight, and
 * the tiles then read the block from L2 (measured in {@link F32Tiles} and {@link F32Panels}).
 */
final class DenseRead {

  private static final int LINE = 64;
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

  private DenseRead() {}

  /**
   * Reads one int of every cache line of bytes {@code [from, to)} of {@code m}; returns them OR-ed,
   * for the caller to keep so that the reads are not dropped as dead code.
   */
  static int lines(MemorySegment m, long from, long to) {
    long q = (to - from) / 4 / LINE * LINE;
    int seen = 0;
    for (long o = from; o < from + q; o += LINE) {
      seen |= m.get(INT, o) | m.get(INT, o + q) | m.get(INT, o + 2 * q) | m.get(INT, o + 3 * q);
    }
    for (long o = from + 4 * q; o < to; o += LINE) {
      seen |= m.get(INT, o);
    }
    return seen;
  }
}
