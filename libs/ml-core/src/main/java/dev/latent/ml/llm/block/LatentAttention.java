package dev.latent.ml.llm.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.TransformerConfig.Mla;
import dev.latent.ml.llm.block.Weights.Init;
import dev.latent.ml.llm.block.Weights.Part;
import dev.latent.ml.llm.cache.PagedKvCache;
import org.jspecify.annotations.Nullable;

/**
 * DeepSeek-V2 multi-head latent attention. Keys and values are decompressed from a per-token
 * latent {@code c_kv [r]} by {@code W_UK, W_UV} (rows of {@code kv_b_proj}); a decoupled RoPE key
 * {@code k_rope [dr]} is shared by all heads. The cache holds only {@code c_kv | k_rope}.
 *
 * <p>{@link #absorbed}: W_UK is folded into the query and W_UV applied after attention, so keys
 * are never decompressed (the cheap decode path); otherwise keys and values are decompressed per
 * step (the naive path, as written in the paper's equations; always used without a cache, i.e.
 * for training).
 */
public final class LatentAttention implements Attention {

  private final int layer;
  private final int heads;
  private final Mla mla;
  private final float scale;
  private final float eps;
  private final boolean absorbed;
  private final Rope rope;
  private final NDArray inProj; // [qRows + r + dr, dim]: q_a_proj (or q_proj) | kv_a_proj_with_mqa
  private final long qRows;
  private final @Nullable NDArray qNorm; // q_a_layernorm [qLoraRank]
  private final @Nullable NDArray qUp; // q_b_proj [H*qhd, qLoraRank]
  private final NDArray kvNorm; // kv_a_layernorm [r]
  private final NDArray kvUp; // kv_b_proj [H*(dn+dv), r]
  private final NDArray out; // o_proj [dim, H*dv]
  private final NDArray upKey; // W_UK view [H, dn, r]
  private final NDArray upValueT; // W_UV^T view [H, r, dv]

  public LatentAttention(TransformerConfig c, int layer, Weights w, Rope rope, boolean absorbed) {
    this.layer = layer;
    this.heads = c.numHeads();
    this.mla = c.mla();
    this.rope = rope;
    this.absorbed = absorbed;
    this.eps = (float) c.rmsNormEps();
    double softmaxScale = 1.0 / Math.sqrt(mla.qHeadDim());
    var rs = c.ropeScaling();
    if (rs != null && rs.type().equals("yarn") && rs.mscaleAllDim() != 0) {
      double m = Rope.yarnMscale(rs.factor(), rs.mscaleAllDim());
      softmaxScale *= m * m;
    }
    this.scale = (float) softmaxScale;
    String p = "model.layers." + layer + ".self_attn.";
    int r = mla.kvLoraRank();
    long qFull = (long) heads * mla.qHeadDim();
    qRows = mla.qLoraRank() > 0 ? mla.qLoraRank() : qFull;
    String qName = mla.qLoraRank() > 0 ? p + "q_a_proj.weight" : p + "q_proj.weight";
    inProj = w.fused(p + "q_kv_a_proj.weight", c.hiddenSize(), Init.MATRIX,
        new Part(qName, qRows), new Part(p + "kv_a_proj_with_mqa.weight", r + mla.qkRopeHeadDim()));
    if (mla.qLoraRank() > 0) {
      qNorm = w.single(p + "q_a_layernorm.weight", new Shape(mla.qLoraRank()), Init.NORM);
      qUp = w.single(p + "q_b_proj.weight", new Shape(qFull, mla.qLoraRank()), Init.MATRIX);
    } else {
      qNorm = null;
      qUp = null;
    }
    kvNorm = w.single(p + "kv_a_layernorm.weight", new Shape(r), Init.NORM);
    int dn = mla.qkNopeHeadDim();
    int dv = mla.vHeadDim();
    kvUp = w.single(p + "kv_b_proj.weight", new Shape((long) heads * (dn + dv), r), Init.MATRIX);
    out = w.single(p + "o_proj.weight", new Shape(c.hiddenSize(), (long) heads * dv), Init.MATRIX);
    NDArray perHead = kvUp.reshape(heads, dn + dv, r);
    upKey = perHead.get(new NDIndex(":, :" + dn + ", :"));
    upValueT = perHead.get(new NDIndex(":, " + dn + ":, :")).transpose(0, 2, 1);
  }

  @Override
  public NDArray forward(NDArray x, Step s) {
    int b = s.batch();
    int t = s.tokens();
    int r = mla.kvLoraRank();
    int dn = mla.qkNopeHeadDim();
    int dr = mla.qkRopeHeadDim();
    NDArray a = Projection.apply(x, inProj); // [N, qRows + r + dr]
    NDArray q = a.get(new NDIndex(":, :" + qRows));
    if (qUp != null) {
      q = Projection.apply(RmsNorm.apply(q, qNorm, eps), qUp);
    }
    q = q.reshape(b, t, heads, mla.qHeadDim()); // [B, T, H, dn + dr]
    NDArray qNope = q.get(new NDIndex("..., :" + dn)).transpose(0, 2, 1, 3); // [B, H, T, dn]
    NDArray qRope = rope.apply(q.get(new NDIndex("..., " + dn + ":")), s.cos(), s.sin())
        .transpose(0, 2, 1, 3); // [B, H, T, dr]
    NDArray cKv = RmsNorm.apply(a.get(new NDIndex(":, " + qRows + ":" + (qRows + r))), kvNorm, eps);
    NDArray kRope = rope.apply(a.get(new NDIndex(":, " + (qRows + r) + ":")).reshape(b, t, 1, dr),
        s.cos(), s.sin()); // [B, T, 1, dr]
    NDArray latent = NDArrays.concat(new NDList(cKv.reshape(b, t, r), kRope.reshape(b, t, dr)), -1);
    PagedKvCache cache = s.cache();
    if (cache != null) {
      cache.writeLatent(layer, s.writeSlots(), latent.reshape(s.rows(), r + dr));
      latent = cache.latent(layer, s.readSlots(), s.manager(), x.getDataType()); // [B, L, r + dr]
    }
    long len = latent.getShape().get(1);
    NDArray c = latent.get(new NDIndex(":, :, :" + r)).expandDims(1); // [B, 1, L, r]
    NDArray kr = latent.get(new NDIndex(":, :, " + r + ":")).expandDims(1); // [B, 1, L, dr]
    NDArray ropeScores = qRope.matMul(kr.transpose(0, 1, 3, 2)); // [B, H, T, L]
    NDArray ctx;
    // the absorbed weights are views made once at load, outside any autograd graph: a forward
    // without a cache (training, full recomputation) always takes the naive path
    if (absorbed && cache != null) {
      NDArray qLatent = qNope.matMul(upKey); // [B, H, T, r]: W_UK folded into the query
      NDArray scores = qLatent.matMul(c.transpose(0, 1, 3, 2)).add(ropeScores); // [B, H, T, L]
      NDArray probs = GroupedQueryAttention.softmax(GroupedQueryAttention.masked(scores.mul(scale), s));
      ctx = probs.matMul(c).matMul(upValueT); // [B, H, T, r] -> [B, H, T, dv]
    } else {
      NDArray kv = Projection.apply(c.squeeze(1), kvUp)
          .reshape(b, len, heads, dn + mla.vHeadDim()); // [B, L, H, dn + dv]
      NDArray kNope = kv.get(new NDIndex("..., :" + dn)).transpose(0, 2, 3, 1); // [B, H, dn, L]
      NDArray v = kv.get(new NDIndex("..., " + dn + ":")).transpose(0, 2, 1, 3); // [B, H, L, dv]
      NDArray scores = qNope.matMul(kNope).add(ropeScores);
      NDArray probs = GroupedQueryAttention.softmax(GroupedQueryAttention.masked(scores.mul(scale), s));
      ctx = probs.matMul(v); // [B, H, T, dv]
    }
    ctx = ctx.transpose(0, 2, 1, 3).reshape(s.rows(), (long) heads * mla.vHeadDim());
    return Projection.apply(ctx, out, null, s);
  }
}
