package dev.latent.ml.train;

import java.util.List;

/**
 * A padded next-token batch: {@code inputs[b]} are tokens 0..n-2 of a sequence, {@code targets[b]}
 * tokens 1..n-1, and {@code mask[b][t]} is 1 where target t counts in the loss.
 */
public record LmBatch(long[][] inputs, long[][] targets, float[][] mask) {

  /** One training sequence: its tokens and, per token, whether predicting it is trained. */
  public record Sequence(int[] tokens, boolean[] trained) {
    public Sequence {
      if (tokens.length != trained.length || tokens.length < 2) {
        throw new IllegalArgumentException("a sequence needs >= 2 tokens and one flag per token");
      }
    }

    /** Every token after the first is trained (pretraining). */
    public static Sequence all(int[] tokens) {
      boolean[] t = new boolean[tokens.length];
      java.util.Arrays.fill(t, true);
      return new Sequence(tokens, t);
    }
  }

  /** Pads to the longest sequence with {@code padId}; padded positions never count. */
  public static LmBatch of(List<Sequence> sequences, int padId) {
    int len = sequences.stream().mapToInt(s -> s.tokens().length - 1).max().orElseThrow();
    int b = sequences.size();
    long[][] in = new long[b][len];
    long[][] tg = new long[b][len];
    float[][] mk = new float[b][len];
    for (int i = 0; i < b; i++) {
      Sequence s = sequences.get(i);
      java.util.Arrays.fill(in[i], padId);
      java.util.Arrays.fill(tg[i], padId);
      for (int t = 0; t < s.tokens().length - 1; t++) {
        in[i][t] = s.tokens()[t];
        tg[i][t] = s.tokens()[t + 1];
        mk[i][t] = s.trained()[t + 1] ? 1f : 0f;
      }
    }
    return new LmBatch(in, tg, mk);
  }

  public int size() {
    return inputs.length;
  }

  public int length() {
    return inputs[0].length;
  }

  /** Tokens that count in the loss. */
  public long trainedTokens() {
    long n = 0;
    for (float[] row : mask) {
      for (float f : row) {
        n += f > 0 ? 1 : 0;
      }
    }
    return n;
  }
}
