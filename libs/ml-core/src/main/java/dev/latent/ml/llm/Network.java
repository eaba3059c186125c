package dev.latent.ml.llm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.block.DecoderLayer;
import dev.latent.ml.llm.block.Projection;
import dev.latent.ml.llm.block.RmsNorm;
import dev.latent.ml.llm.block.Rope;
import dev.latent.ml.llm.block.Step;
import dev.latent.ml.llm.block.Weights;
import dev.latent.ml.llm.block.Weights.Init;
import java.util.ArrayList;
import java.util.List;

/**
 * The blocks of the decoder, top to bottom: token embedding, decoder layers, final RMSNorm, LM head
 * (the embedding when tied). Shared by the training forward and the cached serving step.
 */
final class Network {

  private final TransformerConfig config;
  private final DataType dtype;
  private final Rope rope;
  private final NDArray embed; // [V, dim]
  private final List<DecoderLayer> layers = new ArrayList<>();
  private final RmsNorm norm;
  private final NDArray lmHead; // [V, dim]

  Network(TransformerConfig config, Weights weights, DataType dtype, boolean absorbedMla) {
    this.config = config;
    this.dtype = dtype;
    rope = new Rope(config);
    Shape vocabByDim = new Shape(config.vocabSize(), config.hiddenSize());
    embed = weights.single("model.embed_tokens.weight", vocabByDim, Init.MATRIX);
    for (int l = 0; l < config.numLayers(); l++) {
      layers.add(new DecoderLayer(config, l, weights, rope, absorbedMla));
    }
    norm = new RmsNorm(weights.single("model.norm.weight", new Shape(config.hiddenSize()), Init.NORM),
        config.rmsNormEps());
    lmHead = config.tieWordEmbeddings() ? embed : weights.single("lm_head.weight", vocabByDim, Init.MATRIX);
  }

  /** Rotary tables for {@code positions} ({@code [B*T]}), shaped {@code [B, T, 1, ropeDim]}: cos, sin. */
  NDList rope(NDManager m, int[] positions, int b, int t) {
    NDList cosSin = rope.cosSin(m, positions, dtype);
    return new NDList(ropeShape(cosSin.get(0), b, t), ropeShape(cosSin.get(1), b, t));
  }

  /** Token ids {@code [N]} (int64) to embeddings {@code [N, dim]}, made in {@code m}. */
  NDArray embed(NDManager m, NDArray ids) {
    return embed.get(m, new NDIndex("{}", ids));
  }

  /** {@code x [B*T, dim]} through every decoder layer. */
  NDArray layers(NDArray x, Step step) {
    for (DecoderLayer layer : layers) {
      x = layer.forward(x, step);
    }
    return x;
  }

  /** The final RMSNorm (row-wise). */
  NDArray norm(NDArray x) {
    return norm.apply(x);
  }

  /** The LM head: hidden states {@code [N, dim]} to logits {@code [N, V]}. */
  NDArray logits(NDArray hidden) {
    return Projection.apply(hidden, lmHead);
  }

  /** Causal, and within Mistral's sliding window when the config has one. */
  boolean visible(int query, int key) {
    Integer window = config.slidingWindow();
    return key <= query && (window == null || query - key < window);
  }

  private static NDArray ropeShape(NDArray table, int b, int t) {
    return table.reshape(b, t, 1, table.getShape().get(1)); // [B, T, 1, ropeDim]
  }
}
