package dev.latent.ml.llm.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.latent.ml.llm.block.Weights.Init;
import dev.latent.ml.llm.block.Weights.Part;
import dev.latent.ml.llm.kernel.KernelWeights;
import dev.latent.ml.llm.kernel.MatrixKernel;

/** SwiGLU MLP: {@code down(silu(gate(x)) * up(x))}, with gate and up fused into one matrix. */
public final class FeedForward {

  private final NDArray gateUp; // [2*hidden, dim]
  private final NDArray down; // [dim, hidden]
  private final long hidden;

  /** {@code prefix} like {@code model.layers.3.mlp.} or {@code model.layers.3.mlp.experts.7.}. */
  public FeedForward(Weights w, String prefix, int dim, int hidden) {
    this.hidden = hidden;
    gateUp = w.fused(prefix + "gate_up_proj.weight", dim, Init.MATRIX,
        new Part(prefix + "gate_proj.weight", hidden), new Part(prefix + "up_proj.weight", hidden));
    down = w.single(prefix + "down_proj.weight", new Shape(dim, hidden), Init.MATRIX);
  }

  /** {@code x [N, dim]} to {@code [N, dim]}. */
  public NDArray forward(NDArray x) {
    return Projection.apply(swiGlu(Projection.apply(x, gateUp)), down);
  }

  /** As {@link #forward(NDArray)} with the step's adapters ({@code x} holds the step's rows). */
  public NDArray forward(NDArray x, Step step) {
    if (step.adapters() == null) {
      return forward(x);
    }
    return Projection.apply(swiGlu(Projection.apply(x, gateUp, null, step)), down, null, step);
  }

  /** Whether {@link #decode} can run: both matrices have a Java kernel for {@code n} rows. */
  boolean decodesInJava(int n) {
    MatrixKernel a = KernelWeights.of(gateUp);
    MatrixKernel b = KernelWeights.of(down);
    return a != null && b != null && n <= a.maxRows() && n <= b.maxRows();
  }

  /** {@link #forward(NDArray)} on arrays in the Java kernels: {@code x [n, dim]} to a new {@code [n, dim]}. */
  float[] decode(float[] x, int n) {
    MatrixKernel gu = KernelWeights.registered(gateUp);
    MatrixKernel dn = KernelWeights.registered(down);
    int threads = KernelWeights.threads();
    int h = (int) hidden;
    float[] both = new float[n * 2 * h];
    gu.matMul(x, n, both, threads);
    float[] act = new float[n * h];
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < h; i++) {
        float g = both[r * 2 * h + i];
        act[r * h + i] = (float) (g / (1.0 + Math.exp(-g))) * both[r * 2 * h + h + i];
      }
    }
    float[] y = new float[n * dn.rows()];
    dn.matMul(act, n, y, threads);
    return y;
  }

  /** {@code silu(gate) * up} of {@code gate|up [N, 2*hidden]}; one split (views) instead of two index gets. */
  private NDArray swiGlu(NDArray gateUp) {
    NDList halves = gateUp.split(new long[] {hidden}, 1);
    NDArray gate = halves.get(0);
    return gate.mul(Activation.sigmoid(gate)).mul(halves.get(1));
  }
}
