package dev.latent.training.defaultmodel;

import java.util.Locale;

/**
 * Paired comparison of two models on the same held-out tasks (exact McNemar test): of the tasks
 * whose outcome differs, {@code gained} are right only after, {@code lost} right only before;
 * {@code p} is the two-sided probability of a split at least this uneven if both models were equally
 * good (each differing task a fair coin).
 */
record McNemar(int gained, int lost, double p) {

  static McNemar of(boolean[] before, boolean[] after) {
    if (before.length != after.length) {
      throw new IllegalArgumentException("different task counts: " + before.length + " and " + after.length);
    }
    int gained = 0;
    int lost = 0;
    for (int i = 0; i < before.length; i++) {
      gained += !before[i] && after[i] ? 1 : 0;
      lost += before[i] && !after[i] ? 1 : 0;
    }
    return new McNemar(gained, lost, twoSided(gained + lost, Math.min(gained, lost)));
  }

  /** 2 · P(X ≤ k) for X ~ Binomial(n, 1/2), at most 1. */
  static double twoSided(int n, int k) {
    if (n == 0) {
      return 1;
    }
    double logPmf = n * Math.log(0.5);
    double tail = 0;
    for (int i = 0; i <= k; i++) {
      tail += Math.exp(logPmf);
      logPmf += Math.log((double) (n - i) / (i + 1));
    }
    return Math.min(1, 2 * tail);
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "+%d −%d, p = %.3g", gained, lost, p);
  }
}
