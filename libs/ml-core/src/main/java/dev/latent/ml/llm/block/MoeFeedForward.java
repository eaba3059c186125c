package dev.latent.ml.llm.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.TransformerConfig.Moe;
import dev.latent.ml.llm.block.Weights.Init;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * DeepSeekMoE FFN: a softmax router picks the top-k of {@code numRoutedExperts} SwiGLU experts per
 * token (weights renormalised or scaled per config), plus always-on shared experts. Only experts
 * that received tokens run, each on just its tokens; the scatter back is a gather by an inverse
 * permutation, so the whole layer stays differentiable.
 */
public final class MoeFeedForward {

  private final Moe moe;
  private final NDArray router; // [E, dim]
  private final List<FeedForward> experts = new ArrayList<>();
  private final @Nullable FeedForward shared;

  public MoeFeedForward(TransformerConfig c, int layer, Weights w) {
    this.moe = c.moe();
    String p = "model.layers." + layer + ".mlp.";
    router = w.single(p + "gate.weight", new Shape(moe.numRoutedExperts(), c.hiddenSize()), Init.MATRIX);
    for (int e = 0; e < moe.numRoutedExperts(); e++) {
      experts.add(new FeedForward(w, p + "experts." + e + ".", c.hiddenSize(), moe.moeIntermediateSize()));
    }
    shared = moe.numSharedExperts() == 0 ? null : new FeedForward(w, p + "shared_experts.",
        c.hiddenSize(), moe.moeIntermediateSize() * moe.numSharedExperts());
  }

  /** 1 for experts in each token's {@code topkGroups} best groups (by their best expert), else 0. */
  private NDArray groupMask(NDArray probs, NDManager manager) {
    float[] p = probs.toFloatArray();
    int experts = moe.numRoutedExperts();
    int groups = moe.numGroups();
    int perGroup = experts / groups;
    int n = p.length / experts;
    float[] mask = new float[p.length];
    for (int t = 0; t < n; t++) {
      float[] best = new float[groups];
      for (int g = 0; g < groups; g++) {
        best[g] = Float.NEGATIVE_INFINITY;
        for (int e = g * perGroup; e < (g + 1) * perGroup; e++) {
          best[g] = Math.max(best[g], p[t * experts + e]);
        }
      }
      for (int pick = 0; pick < moe.topkGroups(); pick++) {
        int g = 0;
        for (int h = 1; h < groups; h++) {
          if (best[h] > best[g]) {
            g = h;
          }
        }
        best[g] = Float.NEGATIVE_INFINITY;
        for (int e = g * perGroup; e < (g + 1) * perGroup; e++) {
          mask[t * experts + e] = 1f;
        }
      }
    }
    return manager.create(mask, probs.getShape());
  }

  /** {@code x [N, dim]} to {@code [N, dim]}. */
  public NDArray forward(NDArray x, NDManager manager) {
    long n = x.getShape().get(0);
    int k = moe.numExpertsPerTok();
    // router softmax in float32, as DeepSeek does
    NDArray probs = Projection.apply(x, router)
        .toType(DataType.FLOAT32, false).softmax(-1); // [N, E]
    if (moe.numGroups() > 1) {
      probs = probs.mul(groupMask(probs, manager)); // experts outside the chosen groups score 0
    }
    NDList top = probs.topK(k, -1, true, true);
    NDArray weights = top.get(0); // [N, k]
    if (k > 1 && moe.normTopkProb()) {
      weights = weights.div(weights.sum(new int[] {-1}, true).add(1e-20f));
    } else {
      weights = weights.mul((float) moe.routedScalingFactor());
    }
    long[] chosen = top.get(1).toType(DataType.INT64, false).toLongArray(); // [N*k], token-major
    List<List<Integer>> byExpert = new ArrayList<>();
    for (int e = 0; e < experts.size(); e++) {
      byExpert.add(new ArrayList<>());
    }
    for (int i = 0; i < chosen.length; i++) {
      byExpert.get((int) chosen[i]).add(i);
    }
    NDList outputs = new NDList();
    long[] inverse = new long[chosen.length]; // (token, slot) -> row of the concatenated outputs
    int row = 0;
    for (int e = 0; e < experts.size(); e++) {
      List<Integer> slots = byExpert.get(e);
      if (slots.isEmpty()) {
        continue;
      }
      long[] tokens = new long[slots.size()];
      for (int j = 0; j < tokens.length; j++) {
        tokens[j] = slots.get(j) / k;
        inverse[slots.get(j)] = row++;
      }
      NDArray rows = x.get(new NDIndex("{}", manager.create(tokens))); // [n_e, dim]
      outputs.add(experts.get(e).forward(rows));
    }
    NDArray routed = NDArrays.concat(outputs, 0) // [N*k, dim] in expert order
        .get(new NDIndex("{}", manager.create(inverse))) // back to token-major
        .reshape(n, k, x.getShape().get(1))
        .mul(weights.toType(x.getDataType(), false).expandDims(-1))
        .sum(new int[] {1}); // [N, dim]
    return shared == null ? routed : routed.add(shared.forward(x));
  }
}
