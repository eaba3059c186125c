package dev.latent.ml.llm.kernel;

import jdk.incubator.vector.FloatVector;

/** Horizontal sums the kernels can repeat bit for bit. */
public final class Lanes {

  private Lanes() {}

  /**
   * The lanes of {@code v} added in lane order. {@code reduceLanes(ADD)} leaves the order open:
   * C2's intrinsic adds pairwise, the interpreter's fallback in order, so the same product could
   * change in its last bits once the JIT compiles the kernel, and greedy decoding with it.
   */
  public static float sum(FloatVector v) {
    float s = 0f;
    for (int i = 0; i < v.length(); i++) {
      s += v.lane(i);
    }
    return s;
  }
}
