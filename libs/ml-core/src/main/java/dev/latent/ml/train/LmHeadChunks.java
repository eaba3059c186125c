package dev.latent.ml.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.latent.ml.llm.Transformer;
import java.util.Map;

/**
 * The LM head and cross-entropy over a micro-batch in chunks of positions, so the {@code [N, V]}
 * logits, their log-softmax and both gradients exist for one chunk at a time instead of for all
 * N rows (at the 15m bench shape, 8×256 rows × 32000 × 4 B = 262 MB each, the largest arrays of
 * a step, full fine-tuning and LoRA alike; the trainer's chunks hold {@link #CHUNK_ELEMENTS}
 * values, 64 rows there).
 *
 * <p>The trunk runs once. Each chunk's head and loss run without a tape and write their gradient
 * by hand: {@code ∂L/∂logits = softmax − one-hot}, times {@code W} into the chunk's rows of
 * {@code ∂L/∂hidden}, and (when the head trains) its transpose times the hidden rows into the head
 * weight's gradient; then one backward of {@code Σ hidden·∂L/∂hidden} takes the summed gradient
 * through the trunk. Loss and
 * gradients equal the unchunked {@link CausalLmLoss#loss} (up to float summation order).
 */
final class LmHeadChunks {

  /**
   * Elements per logits-sized array of a chunk by default: 2^21 floats, 8 MiB, 64 rows of a
   * 32000-token vocabulary. A chunk holds two such arrays at once (see {@link #backward}) and they
   * are a step's largest transients once the layers run in chunks
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
   * unscaled loss. The head runs off the tape and its backward is written out: per chunk the
   * logits, their log-softmax and then the gradient {@code softmax − one-hot} (made in the
   * softmax's place), never more than two logits-sized arrays at once where autograd kept about
   * five (logits, log-softmax, the gathered rows' scatter and both gradients). With
   * {@code releaseFreed} the pages freed by each chunk go back to the kernel ({@link FreedMemory}).
   */
  static float backward(Transformer model, NDArray hidden, NDArray targets, NDArray mask, float scale,
      GradientCollector gc, int rows, boolean releaseFreed) {
    NDArray maskF = mask.toType(DataType.FLOAT32, false);
    float count = Math.max(1f, maskF.sum().getFloat());
    NDArray head = headWeight(model); // [V, dim]
    boolean headTrains = head.hasGradient();
    if (headTrains) {
      NDArray headGradient = JniUtils.getGradient((PtNDArray) head); // a new handle in the weight's manager
      if (headGradient == null) {
        try (NDManager scope = hidden.getManager().newSubManager()) {
          NDArray head0 = head.get(scope, new NDIndex("0:0")); // its backward makes a zero [V, dim]
          gc.backward(head0.sum()); // defines head.grad (zeros), so the chunks can add into it
        }
      } else {
        headGradient.close(); // the handle only
      }
    }
    NDArray leaf = hidden.stopGradient(); // shares the storage, no history
    long n = hidden.getShape().get(0);
    NDArray hiddenGradient = hidden.getManager().zeros(hidden.getShape(), hidden.getDataType());
    float loss = 0;
    boolean any = false;
    JniUtils.setGradMode(false);
    try {
      for (long from = 0; from < n; from += rows) {
        NDIndex part = new NDIndex(from + ":" + Math.min(n, from + rows));
        // each chunk's arrays in their own scope: DJL handles keep tensors alive until their
        // manager closes, so without it every chunk's logits would live until the micro-batch ends
        try (NDManager chunk = hidden.getManager().newSubManager()) {
          NDArray m = maskF.get(chunk, part);
          if (m.sum().getFloat() == 0) {
            continue; // prompt or padding only: no loss, no gradient
          }
          NDArray h = leaf.get(chunk, part); // [r, dim]
          NDArray logits = model.logits(h).toType(DataType.FLOAT32, false); // [r, V]
          NDArray logProbs = logits.logSoftmax(-1);
          logits.close();
          NDArray t = targets.get(chunk, part).toType(DataType.INT64, false).expandDims(1); // [r, 1]
          NDArray picked = logProbs.gather(t, 1); // [r, 1] log p(target)
          loss -= picked.squeeze(1).mul(m).sum().getFloat() / count;
          // ∂(scale·L)/∂logits = scale·mask/count · (softmax − one-hot(target))
          NDArray g = logProbs.exp();
          logProbs.close();
          g.set(new NDIndex("{}, {}", chunk.arange(t.getShape().get(0)), t.squeeze(1)), picked.exp().sub(1f).squeeze(1));
          g.muli(m.mul(scale / count).expandDims(1));
          g = g.toType(head.getDataType(), false);
          hiddenGradient.set(part, g.matMul(head)); // [r, dim]
          if (headTrains) {
            NDArray headGradient = JniUtils.getGradient((PtNDArray) head);
            headGradient.attach(chunk); // the handle only: the gradient stays with the weight
            headGradient.addi(g.transpose().matMul(h.toType(head.getDataType(), false))); // [V, dim]
          }
          any = true;
        }
        if (releaseFreed) {
          FreedMemory.releaseIfGrown(); // see FreedMemory
        }
      }
    } finally {
      JniUtils.setGradMode(true);
    }
    if (any) {
      gc.backward(hidden.mul(hiddenGradient).sum()); // ∂/∂hidden of Σ hidden·g is g
    }
    hiddenGradient.close();
    return loss;
  }

  /** The LM head's matrix {@code [V, dim]}: its own, or the embedding when they are tied. */
  private static NDArray headWeight(Transformer model) {
    Map<String, NDArray> parameters = model.parameters();
    NDArray head = parameters.get("lm_head.weight");
    return head != null ? head : parameters.get("model.embed_tokens.weight");
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
