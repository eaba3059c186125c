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
    boolean truncated = params.topK() > 0 && params.topK() < n || params.minP() > 0 || params.topP() < 1;
    if (!truncated) {
      // every token is a candidate: the draw needs no order, so no sort of the vocabulary (the
      // sort was ~2 ms per token, most of a batch-16 step's sampling)
      double u = random.nextDouble() * sum;
      int last = 0;
      for (int i = 0; i < n; i++) {
        if (p[i] > 0) {
          last = i;
          u -= p[i];
          if (u <= 0) {
            return i;
          }
        }
      }
      return last;
    }
    // candidates sorted by probability, descending (ties by id for determinism)
    int[] order = candidates(p);
    int keep = order.length;
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

  /**
   * The tokens min_p and top_k keep, most likely first (ties by id): only those are sorted, and
   * top_k picks its k from the vocabulary with a heap instead of sorting all of it.
   */
  private int[] candidates(double[] p) {
    double best = 0;
    for (double v : p) {
      best = Math.max(best, v);
    }
    double floor = params.minP() * best;
    // pack (probability bits, id) into longs: a primitive sort instead of boxing the vocabulary
    long[] packed = new long[p.length];
    int count = 0;
    for (int i = 0; i < p.length; i++) {
      if (p[i] >= floor) {
        long bits = Float.floatToIntBits((float) p[i]); // p >= 0, so bit order is numeric order
        packed[count++] = (bits << 32) | (0xFFFFFFFFL - i);
      }
    }
    int k = params.topK() > 0 ? Math.min(params.topK(), count) : count;
    long[] kept = k < count ? largest(packed, count, k) : Arrays.copyOf(packed, count);
    Arrays.sort(kept);
    int[] order = new int[k];
    for (int j = 0; j < k; j++) {
      order[j] = (int) (0xFFFFFFFFL - (kept[k - 1 - j] & 0xFFFFFFFFL));
    }
    return order;
  }

  /** The {@code k} largest of {@code values[0, count)} (distinct), in no order: a min-heap of k. */
  private static long[] largest(long[] values, int count, int k) {
    long[] heap = Arrays.copyOf(values, k);
    for (int i = k / 2 - 1; i >= 0; i--) {
      siftDown(heap, i);
    }
    for (int i = k; i < count; i++) {
      if (values[i] > heap[0]) {
        heap[0] = values[i];
        siftDown(heap, 0);
      }
    }
    return heap;
  }

  private static void siftDown(long[] heap, int i) {
    int n = heap.length;
    while (true) {
      int child = 2 * i + 1;
      if (child >= n) {
        return;
      }
      if (child + 1 < n && heap[child + 1] < heap[child]) {
        child++;
      }
      if (heap[i] <= heap[child]) {
        return;
      }
      long t = heap[i];
      heap[i] = heap[child];
      heap[child] = t;
      i = child;
    }
  }

  /** The greedy choice: the index of the first highest logit. */
  public static int argmax(float[] logits) {
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
