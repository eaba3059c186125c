package dev.latent.ml.llm.sampling;

import dev.latent.ml.llm.sampling.SampledToken.TopLogprob;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Picks tokens for one sequence: holds its random stream (seeded per request) and the token
 * history penalties need. Plain Java over the logits row; one instance per sequence, one thread.
 */
public final class Sampler {

  private final SamplingParams params;
  private final SplittableRandom random;
  private final BitSet seen = new BitSet(); // prompt + output, for the repetition penalty
  private final Map<Integer, Integer> generated = new HashMap<>(); // output counts, presence/frequency

  public Sampler(SamplingParams params, int[] prompt) {
    this.params = params;
    this.random = params.seed() != null ? new SplittableRandom(params.seed()) : new SplittableRandom();
    for (int id : prompt) {
      seen.set(id);
    }
  }

  /** Chooses the next token from a logits row and records it in the history. */
  public SampledToken next(float[] logits) {
    float[] adjusted = penalised(logits);
    int id = params.temperature() == 0 ? argmax(adjusted) : draw(adjusted);
    seen.set(id);
    generated.merge(id, 1, Integer::sum);
    float logprob = Float.NaN;
    List<TopLogprob> top = List.of();
    if (params.topLogprobs() >= 0) {
      float[] logProbs = logSoftmax(logits);
      logprob = logProbs[id];
      top = topLogprobs(logProbs, params.topLogprobs());
    }
    return new SampledToken(id, logprob, top, params.stopTokenIds().contains(id));
  }

  private float[] penalised(float[] logits) {
    float[] out = logits.clone();
    double rep = params.repetitionPenalty();
    if (rep != 1.0) {
      for (int id = seen.nextSetBit(0); id >= 0 && id < out.length; id = seen.nextSetBit(id + 1)) {
        out[id] = (float) (out[id] > 0 ? out[id] / rep : out[id] * rep);
      }
    }
    if (params.presencePenalty() != 0 || params.frequencyPenalty() != 0) {
      generated.forEach((id, count) -> {
        if (id < out.length) {
          out[id] -= (float) (params.frequencyPenalty() * count + params.presencePenalty());
        }
      });
    }
    return out;
  }

  private int draw(float[] logits) {
    int n = logits.length;
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double[] p = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      p[i] = Math.exp((logits[i] - max) / params.temperature());
      sum += p[i];
    }
    // candidates sorted by probability, descending (ties by id for determinism)
    int[] order = sortedDescending(p);
    int keep = n;
    if (params.topK() > 0) {
      keep = Math.min(keep, params.topK());
    }
    if (params.minP() > 0) {
      double floor = params.minP() * p[order[0]];
      int k = 0;
      while (k < keep && p[order[k]] >= floor) {
        k++;
      }
      keep = Math.max(1, k);
    }
    if (params.topP() < 1) {
      double cumulative = 0;
      int k = 0;
      while (k < keep) {
        cumulative += p[order[k]] / sum;
        k++;
        if (cumulative >= params.topP()) {
          break;
        }
      }
      keep = Math.max(1, k);
    }
    double total = 0;
    for (int k = 0; k < keep; k++) {
      total += p[order[k]];
    }
    double u = random.nextDouble() * total;
    for (int k = 0; k < keep; k++) {
      u -= p[order[k]];
      if (u <= 0) {
        return order[k];
      }
    }
    return order[keep - 1];
  }

  private static int[] sortedDescending(double[] p) {
    // pack (probability bits, id) into longs: a primitive sort instead of boxing the vocabulary
    long[] packed = new long[p.length];
    for (int i = 0; i < p.length; i++) {
      long bits = Float.floatToIntBits((float) p[i]); // p >= 0, so bit order is numeric order
      packed[i] = (bits << 32) | (0xFFFFFFFFL - i);
    }
    Arrays.sort(packed);
    int[] order = new int[p.length];
    for (int k = 0; k < p.length; k++) {
      order[k] = (int) (0xFFFFFFFFL - (packed[p.length - 1 - k] & 0xFFFFFFFFL));
    }
    return order;
  }

  static int argmax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }

  static float[] logSoftmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l - max);
    }
    double logZ = max + Math.log(sum);
    float[] out = new float[logits.length];
    for (int i = 0; i < logits.length; i++) {
      out[i] = (float) (logits[i] - logZ);
    }
    return out;
  }

  private static List<TopLogprob> topLogprobs(float[] logProbs, int n) {
    List<TopLogprob> top = new ArrayList<>();
    boolean[] taken = new boolean[logProbs.length];
    for (int k = 0; k < Math.min(n, logProbs.length); k++) {
      int best = -1;
      for (int i = 0; i < logProbs.length; i++) {
        if (!taken[i] && (best < 0 || logProbs[i] > logProbs[best])) {
          best = i;
        }
      }
      taken[best] = true;
      top.add(new TopLogprob(best, logProbs[best]));
    }
    return top;
  }
}
