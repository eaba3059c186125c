package dev.latent.ml.llm.kernel;

import jdk.incubator.vector.FloatVector;

/** Horizontal sums the kernels can repeat bit for bit. */
public final class Lanes {

  private Lanes() {}

  /**
   * The lanes of {@code v} added in lane order, through {@code scratch} (at least
   * {@code v.length()} floats, one per calling thread). {@code reduceLanes(ADD)} leaves the order
   * open: C2's intrinsic adds pairwise, the interpreter's fallback in order, so the same product
   * could change in its last bits once the JIT compiles the kernel, and greedy decoding with it.
   * One vector store and scalar loads rather than {@code v.lane(i)}: the same sum in the same
   * order, but cheaper where rows are short (a 4×2 tile over 256 columns in L1: 13–17 GFLOPS with
   * {@code lane(i)}, 24–31 with the store; decode attention's 64-wide heads: 62 → 57 ms CPU per
   * batch-16 step; over the 110m matrices, 768+ columns, no difference; 2026-11-29).
   */
  public static float sum(FloatVector v, float[] scratch) {
    v.intoArray(scratch, 0);
    float s = 0f;
    for (int i = 0; i < v.length(); i++) {
      s += scratch[i];
    }
    return s;
  }
}
