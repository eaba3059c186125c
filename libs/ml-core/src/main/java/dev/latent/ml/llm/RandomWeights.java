package dev.latent.ml.llm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.block.Weights;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Seeded random weights: each HF tensor draws from its own stream (seed mixed with its name), so
 * values do not depend on creation order or fusion and a plain reference can regenerate them.
 * Matrices are uniform with variance {@code 1/fanIn}; norm weights {@code 1 ± 0.1}; biases small.
 */
final class RandomWeights implements Weights.Source {

  private final long seed;

  RandomWeights(long seed) {
    this.seed = seed;
  }

  static float[] values(long seed, String hfName, Shape shape, Weights.Init init) {
    float[] data = new float[Math.toIntExact(shape.size())];
    fill(FloatBuffer.wrap(data), seed, hfName, shape, init);
    return data;
  }

  private static void fill(FloatBuffer data, long seed, String hfName, Shape shape, Weights.Init init) {
    SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ hfName.hashCode());
    long fanIn = shape.dimension() > 1 ? shape.get(shape.dimension() - 1) : 1;
    for (int i = 0; i < data.limit(); i++) {
      double u = random.nextDouble(-1.0, 1.0);
      data.put(i, (float) switch (init) {
        case MATRIX -> u * Math.sqrt(3.0 / fanIn);
        case NORM -> 1.0 + 0.1 * u;
        case BIAS -> 0.05 * u;
      });
    }
  }

  @Override
  public NDArray tensor(String hfName, Shape shape, Weights.Init init, NDManager manager, DataType dtype) {
    if (dtype == DataType.FLOAT32) {
      // drawn straight into the native buffer the tensor keeps: a float[] would be a copy left
      // behind in the Java heap (98 MB at the 15m shape, resident for the rest of the process)
      ByteBuffer buffer = manager.allocateDirect(Math.toIntExact(shape.size() * Float.BYTES));
      fill(buffer.asFloatBuffer(), seed, hfName, shape, init);
      return manager.create(buffer, shape, DataType.FLOAT32);
    }
    float[] data = values(seed, hfName, shape, init);
    try (NDManager scratch = manager.newSubManager()) {
      NDArray converted = scratch.create(data, shape).toType(dtype, true);
      converted.attach(manager);
      return converted;
    }
  }
}
