package dev.latent.ml.llm.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.block.Weights.Init;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Pre-norm decoder layer: {@code h = x + attn(norm(x)); out = h + ffn(norm(h))}. */
public final class DecoderLayer {

  private final RmsNorm inputNorm;
  private final Attention attention;
  private final RmsNorm postAttentionNorm;
  private final @Nullable FeedForward dense;
  private final @Nullable MoeFeedForward moe;

  public DecoderLayer(TransformerConfig c, int layer, Weights w, Rope rope, boolean absorbedMla) {
    String p = "model.layers." + layer + ".";
    Shape dim = new Shape(c.hiddenSize());
    inputNorm = new RmsNorm(w.single(p + "input_layernorm.weight", dim, Init.NORM), c.rmsNormEps());
    attention = c.mla() != null ? new LatentAttention(c, layer, w, rope, absorbedMla)
        : new GroupedQueryAttention(c, layer, w, rope);
    postAttentionNorm = new RmsNorm(w.single(p + "post_attention_layernorm.weight", dim, Init.NORM),
        c.rmsNormEps());
    if (c.isMoeLayer(layer)) {
      moe = new MoeFeedForward(c, layer, w);
      dense = null;
    } else {
      dense = new FeedForward(w, p + "mlp.", c.hiddenSize(), c.intermediateSize());
      moe = null;
    }
  }

  /**
   * Whether {@link #decode} can run for {@code n} rows: GQA/MHA/MQA attention and a dense MLP, all
   * matrices with a Java kernel.
   */
  public boolean decodesInJava(int n) {
    return attention instanceof GroupedQueryAttention g && g.decodesInJava(n) && dense != null
        && dense.decodesInJava(n);
  }

  /**
   * One decode step of {@code n} sequences (one token each) on arrays, in the Java kernels:
   * {@code x [n, dim]} to a new {@code [n, dim]}. {@code seqs} are the sequences' keys (pool slices,
   * no masks) and {@code cos}/{@code sin} the rotary tables {@code [n, headDim]}.
   */
  public float[] decode(float[] x, int n, PagedKvCache cache, List<Step.Keys> seqs, float[] cos, float[] sin) {
    float[] h = ((GroupedQueryAttention) attention).decode(inputNorm.apply(x, n), n, cache, seqs, cos, sin);
    for (int i = 0; i < h.length; i++) {
      h[i] += x[i];
    }
    float[] out = dense.decode(postAttentionNorm.apply(h, n), n);
    for (int i = 0; i < out.length; i++) {
      out[i] += h[i];
    }
    return out;
  }

  /** {@code x [B*T, dim]} to {@code [B*T, dim]}. */
  public NDArray forward(NDArray x, Step step) {
    NDArray h = x.add(attention.forward(inputNorm.apply(x), step));
    NDArray normed = postAttentionNorm.apply(h);
    NDArray ffn = moe != null ? moe.forward(normed, step.manager()) : dense.forward(normed, step);
    return h.add(ffn);
  }
}
