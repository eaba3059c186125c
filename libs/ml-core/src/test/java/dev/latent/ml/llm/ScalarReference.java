package dev.latent.ml.llm;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.TransformerConfig.Mla;
import dev.latent.ml.llm.TransformerConfig.Moe;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A deliberately plain, loop-by-loop implementation of the same models (Hugging Face semantics,
 * written from the modeling code's equations, no DJL math), to check the engine against. Reads
 * the weights by their HF names and recomputes the whole sequence for every call.
 */
final class ScalarReference {

  private final TransformerConfig c;
  private final Map<String, float[]> w = new HashMap<>();

  ScalarReference(Transformer model) {
    this.c = model.config();
    try (NDManager m = NDManager.newBaseManager(model.options().device(), "PyTorch")) {
      for (String name : model.tensorNames()) {
        w.put(name, model.tensor(name, m).toType(DataType.FLOAT32, true).toFloatArray());
      }
    }
  }

  /** Logits of the last position. */
  float[] lastLogits(int[] tokens) {
    int n = tokens.length;
    int dim = c.hiddenSize();
    float[][] x = new float[n][];
    for (int t = 0; t < n; t++) {
      x[t] = row("model.embed_tokens.weight", tokens[t], dim);
    }
    for (int l = 0; l < c.numLayers(); l++) {
      String p = "model.layers." + l + ".";
      float[][] h = new float[n][];
      for (int t = 0; t < n; t++) {
        h[t] = rmsNorm(x[t], w.get(p + "input_layernorm.weight"));
      }
      float[][] attn = c.mla() == null ? attention(h, p + "self_attn.") : latentAttention(h, p + "self_attn.");
      for (int t = 0; t < n; t++) {
        add(x[t], attn[t]);
        float[] h2 = rmsNorm(x[t], w.get(p + "post_attention_layernorm.weight"));
        add(x[t], c.isMoeLayer(l) ? moe(h2, p + "mlp.") : mlp(h2, p + "mlp.", c.intermediateSize()));
      }
    }
    float[] last = rmsNorm(x[n - 1], w.get("model.norm.weight"));
    String head = c.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
    return matVec(w.get(head), c.vocabSize(), dim, last);
  }

  private float[][] attention(float[][] h, String p) {
    int n = h.length;
    int heads = c.numHeads();
    int kvHeads = c.numKvHeads();
    int hd = c.headDim();
    int dim = c.hiddenSize();
    float[][] q = new float[n][];
    float[][] k = new float[n][];
    float[][] v = new float[n][];
    for (int t = 0; t < n; t++) {
      q[t] = matVec(w.get(p + "q_proj.weight"), heads * hd, dim, h[t]);
      k[t] = matVec(w.get(p + "k_proj.weight"), kvHeads * hd, dim, h[t]);
      v[t] = matVec(w.get(p + "v_proj.weight"), kvHeads * hd, dim, h[t]);
      if (c.attentionBias()) {
        add(q[t], w.get(p + "q_proj.bias"));
        add(k[t], w.get(p + "k_proj.bias"));
        add(v[t], w.get(p + "v_proj.bias"));
      }
      for (int head = 0; head < heads; head++) {
        rotateHalf(q[t], head * hd, hd, t, false);
      }
      for (int head = 0; head < kvHeads; head++) {
        rotateHalf(k[t], head * hd, hd, t, false);
      }
    }
    float[][] out = new float[n][];
    for (int t = 0; t < n; t++) {
      float[] ctx = new float[heads * hd];
      for (int head = 0; head < heads; head++) {
        int kvHead = head / (heads / kvHeads); // query heads grouped under their kv head
        double[] scores = new double[t + 1];
        for (int j = 0; j <= t; j++) {
          double s = 0;
          for (int i = 0; i < hd; i++) {
            s += q[t][head * hd + i] * k[j][kvHead * hd + i];
          }
          boolean inWindow = c.slidingWindow() == null || t - j < c.slidingWindow();
          scores[j] = inWindow ? s / Math.sqrt(hd) : Double.NEGATIVE_INFINITY;
        }
        softmax(scores);
        for (int j = 0; j <= t; j++) {
          for (int i = 0; i < hd; i++) {
            ctx[head * hd + i] += (float) (scores[j] * v[j][kvHead * hd + i]);
          }
        }
      }
      out[t] = matVec(w.get(p + "o_proj.weight"), dim, heads * hd, ctx);
    }
    return out;
  }

  private float[][] latentAttention(float[][] h, String p) {
    Mla mla = c.mla();
    int n = h.length;
    int heads = c.numHeads();
    int dim = c.hiddenSize();
    int r = mla.kvLoraRank();
    int dn = mla.qkNopeHeadDim();
    int dr = mla.qkRopeHeadDim();
    int dv = mla.vHeadDim();
    int qhd = dn + dr;
    float[][] q = new float[n][];
    float[][] kNope = new float[n][];
    float[][] vals = new float[n][];
    float[][] kRope = new float[n][];
    for (int t = 0; t < n; t++) {
      if (mla.qLoraRank() > 0) {
        float[] cq = matVec(w.get(p + "q_a_proj.weight"), mla.qLoraRank(), dim, h[t]);
        cq = rmsNorm(cq, w.get(p + "q_a_layernorm.weight"));
        q[t] = matVec(w.get(p + "q_b_proj.weight"), heads * qhd, mla.qLoraRank(), cq);
      } else {
        q[t] = matVec(w.get(p + "q_proj.weight"), heads * qhd, dim, h[t]);
      }
      float[] kva = matVec(w.get(p + "kv_a_proj_with_mqa.weight"), r + dr, dim, h[t]);
      float[] ckv = rmsNorm(java.util.Arrays.copyOfRange(kva, 0, r), w.get(p + "kv_a_layernorm.weight"));
      kRope[t] = java.util.Arrays.copyOfRange(kva, r, r + dr);
      rotateHalf(kRope[t], 0, dr, t, true);
      float[] kv = matVec(w.get(p + "kv_b_proj.weight"), heads * (dn + dv), r, ckv);
      kNope[t] = new float[heads * dn];
      vals[t] = new float[heads * dv];
      for (int head = 0; head < heads; head++) {
        System.arraycopy(kv, head * (dn + dv), kNope[t], head * dn, dn);
        System.arraycopy(kv, head * (dn + dv) + dn, vals[t], head * dv, dv);
        rotateHalf(q[t], head * qhd + dn, dr, t, true);
      }
    }
    double scale = 1.0 / Math.sqrt(qhd);
    float[][] out = new float[n][];
    for (int t = 0; t < n; t++) {
      float[] ctx = new float[heads * dv];
      for (int head = 0; head < heads; head++) {
        double[] scores = new double[t + 1];
        for (int j = 0; j <= t; j++) {
          double s = 0;
          for (int i = 0; i < dn; i++) {
            s += q[t][head * qhd + i] * kNope[j][head * dn + i];
          }
          for (int i = 0; i < dr; i++) {
            s += q[t][head * qhd + dn + i] * kRope[j][i];
          }
          scores[j] = s * scale;
        }
        softmax(scores);
        for (int j = 0; j <= t; j++) {
          for (int i = 0; i < dv; i++) {
            ctx[head * dv + i] += (float) (scores[j] * vals[j][head * dv + i]);
          }
        }
      }
      out[t] = matVec(w.get(p + "o_proj.weight"), dim, heads * dv, ctx);
    }
    return out;
  }

  private float[] mlp(float[] x, String p, int hidden) {
    int dim = c.hiddenSize();
    float[] gate = matVec(w.get(p + "gate_proj.weight"), hidden, dim, x);
    float[] up = matVec(w.get(p + "up_proj.weight"), hidden, dim, x);
    for (int i = 0; i < hidden; i++) {
      gate[i] = (float) (gate[i] / (1 + Math.exp(-gate[i])) * up[i]);
    }
    return matVec(w.get(p + "down_proj.weight"), dim, hidden, gate);
  }

  private float[] moe(float[] x, String p) {
    Moe moe = c.moe();
    int experts = moe.numRoutedExperts();
    float[] logits = matVec(w.get(p + "gate.weight"), experts, c.hiddenSize(), x);
    double[] probs = new double[experts];
    for (int e = 0; e < experts; e++) {
      probs[e] = logits[e];
    }
    softmax(probs);
    if (moe.numGroups() > 1) { // group-limited: keep only the topk_group groups with the best expert
      int perGroup = experts / moe.numGroups();
      List<Integer> groups = new ArrayList<>();
      for (int pick = 0; pick < moe.topkGroups(); pick++) {
        int bestGroup = -1;
        double bestScore = -1;
        for (int g = 0; g < moe.numGroups(); g++) {
          for (int e = g * perGroup; e < (g + 1) * perGroup; e++) {
            if (!groups.contains(g) && probs[e] > bestScore) {
              bestScore = probs[e];
              bestGroup = g;
            }
          }
        }
        groups.add(bestGroup);
      }
      for (int e = 0; e < experts; e++) {
        if (!groups.contains(e / perGroup)) {
          probs[e] = 0;
        }
      }
    }
    List<Integer> chosen = new ArrayList<>();
    for (int k = 0; k < moe.numExpertsPerTok(); k++) {
      int best = -1;
      for (int e = 0; e < experts; e++) {
        if (!chosen.contains(e) && (best < 0 || probs[e] > probs[best])) {
          best = e;
        }
      }
      chosen.add(best);
    }
    double total = 0;
    for (int e : chosen) {
      total += probs[e];
    }
    float[] out = new float[c.hiddenSize()];
    for (int e : chosen) {
      boolean normalise = moe.numExpertsPerTok() > 1 && moe.normTopkProb();
      double weight = normalise ? probs[e] / (total + 1e-20) : probs[e] * moe.routedScalingFactor();
      float[] y = mlp(x, p + "experts." + e + ".", moe.moeIntermediateSize());
      for (int i = 0; i < out.length; i++) {
        out[i] += (float) (weight * y[i]);
      }
    }
    if (moe.numSharedExperts() > 0) {
      add(out, mlp(x, p + "shared_experts.", moe.moeIntermediateSize() * moe.numSharedExperts()));
    }
    return out;
  }

  /**
   * HF rotate-half RoPE on {@code x[off, off + d)} at position {@code pos}; DeepSeek's checkpoints
   * store the rope dims interleaved, which HF de-interleaves first.
   */
  private void rotateHalf(float[] x, int off, int d, int pos, boolean deinterleave) {
    float[] v = java.util.Arrays.copyOfRange(x, off, off + d);
    if (deinterleave) {
      float[] u = new float[d];
      for (int i = 0; i < d / 2; i++) {
        u[i] = v[2 * i];
        u[i + d / 2] = v[2 * i + 1];
      }
      v = u;
    }
    for (int i = 0; i < d / 2; i++) {
      double angle = pos / Math.pow(c.ropeTheta(), 2.0 * i / d);
      double a = v[i];
      double b = v[i + d / 2];
      x[off + i] = (float) (a * Math.cos(angle) - b * Math.sin(angle));
      x[off + i + d / 2] = (float) (b * Math.cos(angle) + a * Math.sin(angle));
    }
  }

  private float[] rmsNorm(float[] x, float[] weight) {
    double ss = 0;
    for (float v : x) {
      ss += v * v;
    }
    double inv = 1.0 / Math.sqrt(ss / x.length + c.rmsNormEps());
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (float) (x[i] * inv * weight[i]);
    }
    return out;
  }

  private float[] row(String name, int index, int cols) {
    return java.util.Arrays.copyOfRange(w.get(name), index * cols, (index + 1) * cols);
  }

  private static float[] matVec(float[] m, int rows, int cols, float[] x) {
    float[] y = new float[rows];
    for (int r = 0; r < rows; r++) {
      double s = 0;
      for (int k = 0; k < cols; k++) {
        s += m[r * cols + k] * x[k];
      }
      y[r] = (float) s;
    }
    return y;
  }

  private static void add(float[] a, float[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
  }

  private static void softmax(double[] s) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : s) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (int i = 0; i < s.length; i++) {
      s[i] = Math.exp(s[i] - max);
      sum += s[i];
    }
    for (int i = 0; i < s.length; i++) {
      s[i] /= sum;
    }
  }
}
