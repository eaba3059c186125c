package dev.latent.ml.llm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.latent.ml.llm.block.LowRankDelta;
import dev.latent.ml.llm.block.Step;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The training forward of one batch up to the LM head, in pieces: embedding, each decoder layer,
 * final norm. {@link #hidden} runs them all; the trainer's activation recomputation runs them one
 * at a time (layers without a tape, then each again with one while going backwards).
 *
 * <p>Each layer runs in a scope of its own: DJL keeps a handle to every array until its manager
 * closes, so without one every intermediate of every layer (scores, softmax, SwiGLU pieces…) lives
 * until the step ends. Closing a layer's scope frees what autograd did not save; what it saved
 * stays alive through the graph.
 */
public final class TrainingTrunk {

  private final Network network;
  private final NDArray ids; // [B*T] int64
  private final int batch;
  private final int tokens;
  private final NDArray cos; // [B, T, 1, ropeDim]
  private final NDArray sin;
  private final NDArray mask; // [1, 1, T, T]
  private final @Nullable List<LowRankDelta.Rows> adapters;

  TrainingTrunk(Network network, NDArray ids, int batch, int tokens, NDArray cos, NDArray sin, NDArray mask,
      @Nullable LowRankDelta delta) {
    this.network = network;
    this.ids = ids;
    this.batch = batch;
    this.tokens = tokens;
    this.cos = cos;
    this.sin = sin;
    this.mask = mask;
    this.adapters = delta == null ? null : List.of(new LowRankDelta.Rows(delta, null));
  }

  public int numLayers() {
    return network.numLayers();
  }

  /** Token embeddings {@code [B*T, dim]}, made in {@code into}. */
  public NDArray embed(NDManager into) {
    return network.embed(into, ids);
  }

  /** Decoder layer {@code index}: {@code x [B*T, dim]} to {@code [B*T, dim]}, its arrays in x's manager. */
  public NDArray layer(int index, NDArray x) {
    Step step = new Step(x.getManager(), batch, tokens, cos, sin, mask, null, null, null, adapters, null);
    return network.layer(index, x, step);
  }

  /** The final RMSNorm. */
  public NDArray norm(NDArray x) {
    return network.norm(x);
  }

  /** All of it: final-normed hidden states {@code [B*T, dim]} in the ids' manager. */
  public NDArray hidden() {
    NDManager m = ids.getManager();
    NDArray x = embed(m);
    for (int l = 0; l < numLayers(); l++) {
      try (NDManager scope = m.newSubManager()) {
        x.attach(scope); // the input's handle goes with the layer (the graph keeps it if it needs it)
        x = layer(l, x);
        x.attach(m);
      }
    }
    return norm(x);
  }
}
