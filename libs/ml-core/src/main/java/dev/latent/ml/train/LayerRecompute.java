package dev.latent.ml.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.TrainingTrunk;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Activation recomputation (gradient checkpointing) per decoder layer for one causal-LM
 * micro-batch: the trick {@link LmHeadChunks} plays on the LM head, applied to every layer.
 *
 * <ol>
 *   <li>The layers run without a tape; only each layer's input {@code x_l [B*T, dim]} is kept.
 *   <li>The final norm and the chunked LM head run with one; their backward leaves
 *       {@code ∂L/∂x_L} in the gradient of the last layer's output (a leaf).
 *   <li>From the top down, layer {@code l} runs again from its kept input, now a leaf that wants a
 *       gradient, and the backward of {@code Σ out·g} with {@code g = ∂L/∂x_{l+1}} (its gradient
 *       with respect to {@code out} is {@code g}) adds the layer's parameter gradients and leaves
 *       {@code ∂L/∂x_l} in the input's gradient: the next {@code g}.
 *   <li>The embedding, taped from the start when it trains (it saves only the ids), takes the
 *       last {@code g}.
 * </ol>
 *
 * Each layer's arrays and tape live in a scope closed before the next, and a taped chunk's
 * handles are closed before its backward (DJL keeps every array an op makes until its handle
 * closes; the graph holds its own references to what it saved), so the step holds one
 * layer's activations plus the kept inputs instead of every layer's activations, for one more
 * forward per step. Both passes run a layer over chunks of whole sequences
 * ({@link TrainingTrunk#chunkRows}, about {@code layerRows} positions each), and the taped one
 * backwards each chunk before taping the next, so it is one chunk's activations at a time: at
 * 256 positions per chunk the 15m bench shape's {@code [8, 6, 256, 256]} scores exist for one
 * sequence instead of eight. Smaller chunks make more, smaller native ops: +35% CPU per step for
 * the 15m bench's LoRA at 256 and at 512 positions alike (512 left LoRA's peak 15-30 MB higher
 * with glibc's malloc). LoRA dropout draws its masks in the first forward and replays them,
 * chunk by chunk in the same order, in the recomputation, so loss and gradients are those of
 * the taped forward run over the same chunks.
 */
final class LayerRecompute {

  private static final String EMBEDDING = "model.embed_tokens.weight";

  /** Positions per layer chunk: one sequence of 256 tokens, or several shorter ones. */
  static final int DEFAULT_LAYER_ROWS = 256;

  private LayerRecompute() {}

  /**
   * Forward and backward of the mean masked NLL of {@code tokenIds [B, T]} (targets and mask
   * {@code [B*T]}) scaled by {@code scale}; returns the unscaled loss, as {@link LmHeadChunks#backward}.
   * {@code headRows} positions per LM-head chunk, about {@code layerRows} per layer chunk; with
   * {@code releaseFreed} the pages freed by each layer and each LM-head chunk go back to the kernel
   * ({@link FreedMemory}).
   */
  static float backward(Transformer model, @Nullable LoraAdapter lora, NDArray tokenIds, NDArray targets,
      NDArray mask, float scale, GradientCollector gc, int headRows, int layerRows, boolean releaseFreed) {
    NDManager m = tokenIds.getManager();
    TrainingTrunk trunk = model.trunk(tokenIds, lora).chunkRows(layerRows);
    int layers = trunk.numLayers();
    // the parameter's own flag: DJL's hasGradient() of an op's result reads false even on a tape
    boolean embeddingTrains = model.parameters().get(EMBEDDING).hasGradient();
    NDArray embedded = trunk.embed(m); // [B*T, dim], taped when the embedding trains
    List<NDArray> inputs = new ArrayList<>(layers);
    NDArray x = embeddingTrains ? embedded.stopGradient() : embedded;
    if (lora != null) {
      lora.keepMasks(m);
    }
    try {
      // 1. every layer without a tape, keeping its input
      JniUtils.setGradMode(false);
      try {
        for (int l = 0; l < layers; l++) {
          inputs.add(x);
          try (NDManager scope = m.newSubManager()) {
            x.tempAttach(scope); // back to m when the layer's scope closes
            NDArray out = trunk.layer(l, x);
            out.attach(m);
            x = out;
          }
          release(releaseFreed);
        }
      } finally {
        JniUtils.setGradMode(true);
      }
      // 2. final norm + chunked LM head: ∂L/∂x_L into x's gradient
      NDArray g;
      float loss;
      x.setRequiresGradient(true);
      try (NDManager scope = m.newSubManager()) {
        x.attach(scope);
        loss = LmHeadChunks.backward(model, trunk.norm(x), targets, mask, scale, gc, headRows, releaseFreed);
        g = x.getGradient(); // zeros when no position trained
        g.attach(m);
      }
      release(releaseFreed);
      // 3. each layer again, with a tape, from the top; chunk by chunk, each backwarded at once
      if (lora != null) {
        lora.replayMasks();
      }
      for (int l = layers - 1; l >= 0; l--) {
        NDArray in = inputs.get(l);
        try (NDManager layerScope = m.newSubManager()) {
          in.attach(layerScope);
          g.attach(layerScope);
          NDList inputGradients = new NDList(trunk.chunks());
          for (int c = 0; c < trunk.chunks(); c++) {
            try (NDManager scope = layerScope.newSubManager()) {
              NDArray chunk = trunk.rows(in, c, scope).duplicate(); // a leaf of its own, not a view
              // always: so the output is on the tape whatever the layer trains (layer 0's input
              // gradient is then computed when the embedding does not train, a small waste)
              chunk.setRequiresGradient(true);
              NDArray objective;
              try (NDManager forward = scope.newSubManager()) {
                chunk.tempAttach(forward); // the layer's arrays go to its input's manager
                objective = trunk.layer(l, chunk, c).mul(trunk.rows(g, c, forward)).sum();
                objective.attach(scope);
              } // the forward's handles closed before the backward: autograd keeps (and frees as it
              // goes) what it saved, everything else of the chunk is freed now
              gc.backward(objective);
              NDArray inputGradient = chunk.getGradient();
              inputGradient.attach(layerScope);
              inputGradients.add(inputGradient);
            }
          }
          g = inputGradients.size() == 1 ? inputGradients.get(0) : NDArrays.concat(inputGradients, 0);
          g.attach(m);
        }
        release(releaseFreed);
      }
      // 4. the embedding
      if (embeddingTrains) {
        try (NDManager scope = m.newSubManager()) {
          g.attach(scope);
          gc.backward(embedded.mul(g).sum());
        }
      }
      return loss;
    } finally {
      if (lora != null) {
        lora.freshMasks();
      }
    }
  }

  private static void release(boolean on) {
    if (on) {
      FreedMemory.releaseIfGrown();
    }
  }
}
