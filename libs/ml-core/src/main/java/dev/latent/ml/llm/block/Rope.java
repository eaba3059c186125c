package dev.latent.ml.llm.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.TransformerConfig.RopeScaling;

/**
 * Rotary position embedding in the Hugging Face "rotate half" form, with the scalings HF configs
 * name: linear, dynamic (as static NTK-aware base scaling), llama3 and YaRN (DeepSeek-V2).
 * Frequencies are computed in Java doubles, so CPU and GPU see the same table.
 */
public final class Rope {

  private final double[] invFreq;
  private final double mscale;
  private final boolean interleaved;

  public Rope(TransformerConfig c) {
    int dim = c.ropeDim();
    double base = c.ropeTheta();
    RopeScaling s = c.ropeScaling();
    String type = s == null ? "default" : s.type();
    if (type.equals("dynamic")) {
      base = base * Math.pow(s.factor(), dim / (dim - 2.0));
    }
    invFreq = new double[dim / 2];
    for (int i = 0; i < dim / 2; i++) {
      invFreq[i] = 1.0 / Math.pow(base, (2.0 * i) / dim);
    }
    double ms = 1.0;
    switch (type) {
      case "linear" -> scale(1.0 / s.factor());
      case "llama3" -> llama3(s);
      case "yarn" -> ms = yarn(s, dim, base);
      default -> { }
    }
    mscale = ms;
    // DeepSeek-V2's checkpoints keep the rope dims interleaved (pairs 2i, 2i+1); HF permutes them
    // to the half layout before rotating, and so do we.
    interleaved = c.architecture() == TransformerConfig.Architecture.DEEPSEEK_V2;
  }

  /** YaRN's attention temperature: {@code 0.1 * m * ln(scale) + 1} for scale > 1. */
  public static double yarnMscale(double scale, double m) {
    return scale <= 1 ? 1.0 : 0.1 * m * Math.log(scale) + 1.0;
  }

  public double[] invFreq() {
    return invFreq.clone();
  }

  public double mscale() {
    return mscale;
  }

  public boolean interleaved() {
    return interleaved;
  }

  /**
   * Rotation tables {@code [n, dim]} for the given absolute positions: {@code cos|cos} and
   * {@code -sin|sin}, so that {@link #apply} is two multiplies and an add.
   */
  public NDList cosSin(NDManager manager, int[] positions, DataType dtype) {
    float[][] t = tables(positions);
    Shape shape = new Shape(positions.length, 2L * invFreq.length);
    return new NDList(manager.create(t[0], shape).toType(dtype, false),
        manager.create(t[1], shape).toType(dtype, false));
  }

  /** The tables of {@link #cosSin} as float arrays {@code [n * dim]}: {@code {cos|cos, -sin|sin}}. */
  public float[][] tables(int[] positions) {
    int half = invFreq.length;
    int dim = 2 * half;
    float[] cos = new float[positions.length * dim];
    float[] sin = new float[positions.length * dim];
    for (int p = 0; p < positions.length; p++) {
      for (int i = 0; i < half; i++) {
        double angle = positions[p] * invFreq[i];
        float c = (float) (Math.cos(angle) * mscale);
        float s = (float) (Math.sin(angle) * mscale);
        cos[p * dim + i] = c;
        cos[p * dim + half + i] = c;
        sin[p * dim + i] = -s;
        sin[p * dim + half + i] = s;
      }
    }
    return new float[][] {cos, sin};
  }

  /**
   * {@link #apply} on arrays, in place: row {@code r} of {@code x} holds {@code heads} vectors of
   * {@code dim} from {@code x[r * stride]}, rotated with row {@code r} of the {@link #tables}
   * (half layout only).
   */
  public static void apply(float[] x, int rows, int stride, int heads, float[] cos, float[] sin) {
    int dim = cos.length / rows;
    int half = dim / 2;
    for (int r = 0; r < rows; r++) {
      int t = r * dim;
      for (int h = 0; h < heads; h++) {
        int o = r * stride + h * dim;
        for (int i = 0; i < half; i++) {
          float a = x[o + i];
          float b = x[o + half + i];
          x[o + i] = a * cos[t + i] + b * sin[t + i];
          x[o + half + i] = b * cos[t + half + i] + a * sin[t + half + i];
        }
      }
    }
  }

  /**
   * Rotates {@code x [B, T, heads, dim]} with tables {@code [B, T, 1, dim]} from {@link #cosSin}:
   * {@code x * (cos|cos) + (x2|x1) * (-sin|sin)}, the HF "rotate half" form.
   */
  public NDArray apply(NDArray x, NDArray cos, NDArray sin) {
    Shape shape = x.getShape();
    long dim = shape.get(shape.dimension() - 1);
    if (interleaved) {
      // [.., dim] -> [.., dim/2, 2] -> [.., 2, dim/2] -> [.., dim]
      Shape pairs = shape.slice(0, shape.dimension() - 1).add(dim / 2, 2);
      x = x.reshape(pairs).swapAxes(-1, -2).reshape(shape);
    }
    NDList halves = x.split(2, shape.dimension() - 1); // views: one native call, not two index gets
    NDArray swapped = NDArrays.concat(new NDList(halves.get(1), halves.get(0)), -1);
    return x.mul(cos).add(swapped.mul(sin));
  }

  private void scale(double factor) {
    for (int i = 0; i < invFreq.length; i++) {
      invFreq[i] *= factor;
    }
  }

  private void llama3(RopeScaling s) {
    double oldLen = s.originalMaxPositions();
    double lowWavelen = oldLen / s.lowFreqFactor();
    double highWavelen = oldLen / s.highFreqFactor();
    for (int i = 0; i < invFreq.length; i++) {
      double f = invFreq[i];
      double wavelen = 2 * Math.PI / f;
      if (wavelen > lowWavelen) {
        invFreq[i] = f / s.factor();
      } else if (wavelen >= highWavelen) {
        double smooth = (oldLen / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
        invFreq[i] = (1 - smooth) * f / s.factor() + smooth * f;
      }
    }
  }

  private double yarn(RopeScaling s, int dim, double base) {
    double low = Math.floor(correctionDim(s.betaFast(), dim, base, s.originalMaxPositions()));
    double high = Math.ceil(correctionDim(s.betaSlow(), dim, base, s.originalMaxPositions()));
    low = Math.max(low, 0);
    high = Math.min(high, dim - 1);
    if (low == high) {
      high += 0.001;
    }
    for (int i = 0; i < invFreq.length; i++) {
      double extra = invFreq[i];
      double inter = invFreq[i] / s.factor();
      double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
      double extrapolate = 1 - ramp;
      invFreq[i] = inter * (1 - extrapolate) + extra * extrapolate;
    }
    return yarnMscale(s.factor(), s.mscale()) / yarnMscale(s.factor(), s.mscaleAllDim());
  }

  private static double correctionDim(double rotations, int dim, double base, int maxPositions) {
    return dim * Math.log(maxPositions / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
  }
}
