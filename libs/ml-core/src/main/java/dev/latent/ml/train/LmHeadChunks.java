package dev.latent.ml.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.latent.ml.llm.Transformer;

/**
 * The LM head and cross-entropy over a micro-batch in chunks of positions, so the {@code [N, V]}
 * logits, their log-softmax and both gradients exist for one chunk at a time instead of for all
 * N rows (at the 15m bench shape, 8×256 rows × 32000 × 4 B = 262 MB each, the largest arrays of
 * a step, full fine-tuning and LoRA alike; the trainer's chunks hold {@link #CHUNK_ELEMENTS}
 * values, 64 rows there).
 *
 * <p>The trunk runs once; its hidden states are detached into a leaf. Each chunk's loss
 * backpropagates into that leaf's gradient (and the head's weight, when it trains), then one
 * backward of {@code Σ hidden·∂L/∂hidden} takes the summed gradient through the trunk. Loss and
 * gradients equal the unchunked {@link CausalLmLoss#loss} (up to float summation order).
 */
final class LmHeadChunks {

  /**
   * Elements per logits-sized array of a chunk by default: 2^21 floats, 8 MiB, 64 rows of a
   * 32000-token vocabulary. A chunk makes about four such arrays at once (logits, log-softmax and
   * their gradients) and they are a step's largest transients once the layers run in chunks
   * ({@link LayerRecompute}): 256 rows (33 MB each) set the 15m bench shape's memory peak.
   */
  static final long CHUNK_ELEMENTS = 1L << 21;

  private LmHeadChunks() {}

  /** Rows per chunk so a chunk's logits hold about {@link #CHUNK_ELEMENTS} values (at least one row). */
  static int rowsFor(long vocabSize) {
    return (int) Math.max(1, CHUNK_ELEMENTS / Math.max(1, vocabSize));
  }

  /**
   * Forward and backward of the mean masked NLL ({@code hidden [N, dim]} on the tape, targets and
   * mask {@code [N]}) with the loss scaled by {@code scale} (1/micro-batches); returns the
   * unscaled loss.
   */
  static float backward(Transformer model, NDArray hidden, NDArray targets, NDArray mask, float scale,
      GradientCollector gc, int rows) {
    NDArray maskF = mask.toType(DataType.FLOAT32, false);
    float count = Math.max(1f, maskF.sum().getFloat());
    NDArray leaf = hidden.stopGradient(); // shares the storage, no history
    leaf.setRequiresGradient(true);
    long n = hidden.getShape().get(0);
    float loss = 0;
    boolean any = false;
    for (long from = 0; from < n; from += rows) {
      NDIndex part = new NDIndex(from + ":" + Math.min(n, from + rows));
      // each chunk's arrays in their own scope: DJL handles keep tensors alive until their
      // manager closes, so without it every chunk's logits would live until the micro-batch ends
      try (NDManager chunk = hidden.getManager().newSubManager()) {
        NDArray m = maskF.get(chunk, part);
        if (m.sum().getFloat() == 0) {
          continue; // prompt or padding only: no loss, no gradient
        }
        NDArray nll = chunkNll(model, leaf.get(chunk, part), targets.get(chunk, part), m).div(count);
        loss += nll.getFloat();
        gc.backward(nll.mul(scale));
        any = true;
      }
    }
    if (any) {
      gc.backward(hidden.mul(leaf.getGradient()).sum()); // ∂/∂hidden of Σ hidden·g is g
    }
    return loss;
  }

  /** The same loss without a tape (evaluation). */
  static float loss(Transformer model, NDArray hidden, NDArray targets, NDArray mask, int rows) {
    NDArray maskF = mask.toType(DataType.FLOAT32, false);
    float count = Math.max(1f, maskF.sum().getFloat());
    long n = hidden.getShape().get(0);
    float loss = 0;
    for (long from = 0; from < n; from += rows) {
      NDIndex part = new NDIndex(from + ":" + Math.min(n, from + rows));
      try (NDManager chunk = hidden.getManager().newSubManager()) {
        loss += chunkNll(model, hidden.get(chunk, part), targets.get(chunk, part), maskF.get(chunk, part)).getFloat()
            / count;
      }
    }
    return loss;
  }

  /** {@code −Σ mask·log p(target)} over one chunk of rows. */
  private static NDArray chunkNll(Transformer model, NDArray hidden, NDArray targets, NDArray mask) {
    return CausalLmLoss.masked(CausalLmLoss.rowLogProbs(model.logits(hidden), targets), mask).sum().neg();
  }
}
