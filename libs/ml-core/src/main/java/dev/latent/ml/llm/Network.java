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
import dev.latent.ml.llm.cache.PagedKvCache;
import dev.latent.ml.llm.kernel.KernelWeights;
import dev.latent.ml.llm.kernel.MatrixKernel;
import java.util.ArrayList;
import java.util.List;

/**
 * The blocks of the decoder, top to bottom: token embedding, decoder layers, final RMSNorm, LM head
 * (the embedding when tied). Shared by the training forward and the cached serving step.
 */
final class Network {

  private static final boolean JAVA_DECODE = !"false".equals(System.getProperty("latent.llm.java-decode"));

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

  int numLayers() {
    return layers.size();
  }

  /** {@code x [B*T, dim]} through decoder layer {@code index} alone (training scopes each layer). */
  NDArray layer(int index, NDArray x, Step step) {
    return layers.get(index).forward(x, step);
  }

  /** The final RMSNorm (row-wise). */
  NDArray norm(NDArray x) {
    return norm.apply(x);
  }

  /** The LM head: hidden states {@code [N, dim]} to logits {@code [N, V]}. */
  NDArray logits(NDArray hidden) {
    return Projection.apply(hidden, lmHead);
  }

  /**
   * Whether {@link #decode} can run for {@code n} sequences: every block has its Java path (GQA/MHA/MQA
   * attention, dense MLPs, every matrix with a Java kernel: float32 or bf16 weights on the CPU) and
   * {@code -Dlatent.llm.java-decode=false} is not set (A/B).
   */
  boolean decodesInJava(int n) {
    MatrixKernel e = KernelWeights.of(embed);
    MatrixKernel h = KernelWeights.of(lmHead);
    if (!JAVA_DECODE || e == null || h == null || n > h.maxRows()) {
      return false;
    }
    for (DecoderLayer layer : layers) {
      if (!layer.decodesInJava(n)) {
        return false;
      }
    }
    return true;
  }

  /**
   * One decode step on arrays, without DJL ops: {@code tokens [n]} at {@code positions [n]} (one per
   * sequence, keys as slices of the f32 pools in {@code cache}) to float32 logits {@code [n * V]}.
   * Per layer the DJL step makes ~90 small native ops (~24% of a batch-1 token); here norms, RoPE,
   * SwiGLU and residuals are plain loops over {@code dim} floats between the matrix kernels.
   */
  float[] decode(int[] tokens, int[] positions, PagedKvCache cache, List<Step.Keys> seqs) {
    int[] all = new int[tokens.length];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    return decode(tokens, positions, cache, seqs, all);
  }

  /**
   * As {@link #decode(int[], int[], PagedKvCache, List)} for rows that need not be one per
   * sequence (a prompt chunk is rows at consecutive positions, each with its keys up to itself),
   * with logits {@code [logitRows.length * V]} for the rows {@code logitRows} only: the final norm
   * and the LM head run on those alone.
   */
  float[] decode(int[] tokens, int[] positions, PagedKvCache cache, List<Step.Keys> seqs, int[] logitRows) {
    int n = tokens.length;
    int dim = config.hiddenSize();
    MatrixKernel e = KernelWeights.registered(embed);
    float[] x = new float[n * dim];
    for (int i = 0; i < n; i++) {
      e.row(tokens[i], x, i * dim);
    }
    float[][] cosSin = rope.tables(positions);
    for (DecoderLayer layer : layers) {
      x = layer.decode(x, n, cache, seqs, cosSin[0], cosSin[1]);
    }
    int out = logitRows.length;
    float[] picked = new float[out * dim];
    for (int i = 0; i < out; i++) {
      System.arraycopy(x, logitRows[i] * dim, picked, i * dim, dim);
    }
    picked = norm.apply(picked, out);
    MatrixKernel head = KernelWeights.registered(lmHead);
    float[] logits = new float[out * head.rows()];
    head.matMul(picked, out, logits, KernelWeights.threads());
    return logits;
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
