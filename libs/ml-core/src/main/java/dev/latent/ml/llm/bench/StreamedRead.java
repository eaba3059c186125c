package dev.latent.ml.llm.bench;

import dev.latent.ml.llm.kernel.RowSplit;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The second half of the bench's bandwidth probe: a 512 MiB float array summed in Java the way
 * the batch-1 kernel reads its weights (four sequential streams a quarter apart per thread). One
 * stream (the DJL sum) reads less than four on this machine, so with the kernel's four-stream
 * order a decode step read its weights faster than that probe alone measured; the bench takes the
 * faster of the two as the machine's bandwidth.
 */
final class StreamedRead {

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final long BYTES = 512L << 20;
  private static final long ROW = 4096; // bytes per "row" handed to the thread split
  private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

  /** Best wall and best calling-thread CPU GB/s of six passes: {@code {wall, cpu}}. */
  static double[] measure(int threads) {
    try (Arena arena = Arena.ofShared()) {
      MemorySegment big = arena.allocate(BYTES, 64);
      big.fill((byte) 1);
      int rows = (int) (BYTES / ROW);
      double best = Double.MAX_VALUE;
      double bestCpu = Double.MAX_VALUE;
      float[] sink = new float[1];
      for (int i = 0; i < 6; i++) {
        long start = System.nanoTime();
        long cpu0 = CPU.getCurrentThreadCpuTime();
        RowSplit.run(rows, 1, BYTES, threads, (from, to) -> {
          float s = sum(big, from * ROW, to * ROW);
          synchronized (sink) {
            sink[0] += s;
          }
        });
        best = Math.min(best, (System.nanoTime() - start) / 1e9);
        bestCpu = Math.min(bestCpu, (CPU.getCurrentThreadCpuTime() - cpu0) / 1e9);
      }
      if (sink[0] == 42f) {
        System.err.print(""); // keeps the sums alive
      }
      return new double[] {BYTES / best / 1e9, BYTES / bestCpu / 1e9};
    }
  }

  /** Bytes {@code [from, to)} read as four sequential streams a quarter apart. */
  private static float sum(MemorySegment m, long from, long to) {
    long quarter = (to - from) / 4 / F.vectorByteSize() * F.vectorByteSize();
    FloatVector a = FloatVector.zero(F);
    FloatVector b = FloatVector.zero(F);
    FloatVector c = FloatVector.zero(F);
    FloatVector d = FloatVector.zero(F);
    ByteOrder order = ByteOrder.nativeOrder();
    for (long o = from; o < from + quarter; o += F.vectorByteSize()) {
      a = a.add(FloatVector.fromMemorySegment(F, m, o, order));
      b = b.add(FloatVector.fromMemorySegment(F, m, o + quarter, order));
      c = c.add(FloatVector.fromMemorySegment(F, m, o + 2 * quarter, order));
      d = d.add(FloatVector.fromMemorySegment(F, m, o + 3 * quarter, order));
    }
    return a.add(b).add(c).add(d).lane(0);
  }
}
