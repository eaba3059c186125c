package dev.latent.ml.vision.detr;

import java.util.Arrays;

/**
 * Minimum-cost assignment (Kuhn–Munkres with row/column potentials, O(n² m)). For a cost matrix
 * {@code [rows][cols]} with rows ≤ cols, every row gets a distinct column so that the total cost is
 * minimal; in DETR rows are the ground-truth objects and columns the object queries.
 */
public final class Hungarian {

  private Hungarian() {}

  /** The column assigned to each row. */
  public static int[] solve(double[][] cost) {
    int n = cost.length;
    if (n == 0) {
      return new int[0];
    }
    int m = cost[0].length;
    if (n > m) {
      throw new IllegalArgumentException("need rows <= cols, got " + n + "x" + m);
    }
    // 1-based arrays as in the classic formulation; column 0 is a virtual start
    double[] u = new double[n + 1];
    double[] v = new double[m + 1];
    int[] match = new int[m + 1]; // match[col] = row
    int[] way = new int[m + 1];
    for (int i = 1; i <= n; i++) {
      match[0] = i;
      int j0 = 0;
      double[] minv = new double[m + 1];
      Arrays.fill(minv, Double.POSITIVE_INFINITY);
      boolean[] used = new boolean[m + 1];
      do {
        used[j0] = true;
        int i0 = match[j0];
        int j1 = 0;
        double delta = Double.POSITIVE_INFINITY;
        for (int j = 1; j <= m; j++) {
          if (!used[j]) {
            double cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
            if (cur < minv[j]) {
              minv[j] = cur;
              way[j] = j0;
            }
            if (minv[j] < delta) {
              delta = minv[j];
              j1 = j;
            }
          }
        }
        for (int j = 0; j <= m; j++) {
          if (used[j]) {
            u[match[j]] += delta;
            v[j] -= delta;
          } else {
            minv[j] -= delta;
          }
        }
        j0 = j1;
      } while (match[j0] != 0);
      do {
        int j1 = way[j0];
        match[j0] = match[j1];
        j0 = j1;
      } while (j0 != 0);
    }
    int[] rowToCol = new int[n];
    for (int j = 1; j <= m; j++) {
      if (match[j] != 0) {
        rowToCol[match[j] - 1] = j - 1;
      }
    }
    return rowToCol;
  }
}
