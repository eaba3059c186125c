package dev.latent.ml.llm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
 *
 * <p>With {@link #chunkRows} a layer runs over a few whole sequences at a time (each chunk in a
 * scope of its own): every op of a decoder layer is per row except attention, which stays within
 * a sequence, so the outputs are the same while the layer's intermediates (the {@code [B, H, T, T]}
 * scores above all) exist for one chunk instead of the whole batch.
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
  private int sequencesPerChunk;

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
    this.sequencesPerChunk = batch;
  }

  /**
   * Runs each layer over chunks of about {@code rows} positions: {@code rows / T} whole sequences,
   * at least one (the whole batch, one chunk, until this is called).
   */
  public TrainingTrunk chunkRows(int rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("chunk rows must be >= 1");
    }
    sequencesPerChunk = Math.clamp(rows / tokens, 1, batch);
    return this;
  }

  /** How many chunks of sequences a layer runs over. */
  public int chunks() {
    return (batch + sequencesPerChunk - 1) / sequencesPerChunk;
  }

  /** Chunk {@code chunk}'s rows of {@code x [B*T, …]}: a view in {@code into}. */
  public NDArray rows(NDArray x, int chunk, NDManager into) {
    long from = (long) chunk * sequencesPerChunk * tokens;
    long to = Math.min((long) batch * tokens, from + (long) sequencesPerChunk * tokens);
    return chunks() == 1 ? x.get(into, new NDIndex(":")) : x.get(into, new NDIndex(from + ":" + to));
  }

  public int numLayers() {
    return network.numLayers();
  }

  /** Token embeddings {@code [B*T, dim]}, made in {@code into}. */
  public NDArray embed(NDManager into) {
    return network.embed(into, ids);
  }

  /**
   * Decoder layer {@code index}: {@code x [B*T, dim]} to {@code [B*T, dim]} in x's manager, chunk by
   * chunk, each chunk's intermediates in a scope closed after it.
   */
  public NDArray layer(int index, NDArray x) {
    if (chunks() == 1) {
      return layer(index, x, 0);
    }
    NDManager m = x.getManager();
    NDList outs = new NDList(chunks());
    for (int c = 0; c < chunks(); c++) {
      try (NDManager scope = m.newSubManager()) {
        NDArray out = layer(index, rows(x, c, scope), c);
        out.attach(m);
        outs.add(out);
      }
    }
    NDArray y = NDArrays.concat(outs, 0);
    outs.close(); // the handles only: concat copied them (and its backward needs only their sizes)
    return y;
  }

  /** Decoder layer {@code index} over chunk {@code chunk}'s rows {@code xChunk} ({@link #rows}), in its manager. */
  public NDArray layer(int index, NDArray xChunk, int chunk) {
    int from = chunk * sequencesPerChunk;
    int count = Math.min(sequencesPerChunk, batch - from);
    NDManager m = xChunk.getManager();
    NDArray c = cos;
    NDArray s = sin;
    if (count != batch) {
      NDIndex sequences = new NDIndex(from + ":" + (from + count));
      c = cos.get(m, sequences);
      s = sin.get(m, sequences);
    }
    Step step = new Step(m, count, tokens, c, s, mask, null, null, null, adapters, null);
    return network.layer(index, xChunk, step);
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
