package dev.latent.ml.vision.sr;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.latent.ml.Engines;
import dev.latent.ml.train.AdamOptimizer;
import dev.latent.ml.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * The weights of a small functional network (convolutions written with DJL's functional ops): named
 * arrays in one manager, seeded initialisation, one Adam step on a loss, and a file format (DJL's
 * {@link NDList} encoding with names). Forward/backward passes take {@link Trainer#AUTOGRAD}, so a
 * job training one of these can share a JVM with LLM training jobs.
 */
public final class NamedParams implements AutoCloseable {

  private final NDManager manager;
  private final Map<String, NDArray> params = new LinkedHashMap<>();

  public NamedParams(NDManager parent) {
    this.manager = parent.newSubManager();
  }

  public NDManager manager() {
    return manager;
  }

  public Map<String, NDArray> all() {
    return Collections.unmodifiableMap(params);
  }

  public NDArray get(String name) {
    NDArray p = params.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no parameter " + name);
    }
    return p;
  }

  /** A parameter drawn from N(0, std²) with a seeded Java RNG (reproducible across engines). */
  public NDArray normal(String name, Shape shape, double std, Random rnd) {
    float[] v = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rnd.nextGaussian() * std);
    }
    return put(name, manager.create(v, shape));
  }

  public NDArray constant(String name, Shape shape, float value) {
    return put(name, manager.full(shape, value));
  }

  /** He initialisation for a conv weight {@code [out, in, k, k]} followed by a ReLU. */
  public NDArray conv(String name, int out, int in, int k, Random rnd) {
    normal(name + ".w", new Shape(out, in, k, k), Math.sqrt(2.0 / (in * k * k)), rnd);
    return constant(name + ".b", new Shape(out), 0f);
  }

  public NDArray put(String name, NDArray value) {
    value.attach(manager);
    value.setName(name);
    params.put(name, value);
    return value;
  }

  public long count() {
    return params.values().stream().mapToLong(a -> a.getShape().size()).sum();
  }

  /**
   * One optimizer step: {@code loss} builds the scalar loss in the given step manager (while
   * gradients are recorded), then Adam updates every parameter. Returns the loss value.
   */
  public double step(Function<NDManager, NDArray> loss, AdamOptimizer optimizer, float lr) {
    for (NDArray p : params.values()) {
      if (!p.hasGradient()) {
        p.setRequiresGradient(true);
      }
    }
    try (NDManager m = manager.newSubManager()) {
      double value;
      Trainer.AUTOGRAD.lock();
      try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
        NDArray l = loss.apply(m);
        gc.backward(l);
        value = l.getFloat();
      } finally {
        Trainer.AUTOGRAD.unlock();
      }
      Map<String, NDArray> grads = new LinkedHashMap<>();
      params.forEach((n, p) -> {
        NDArray g = p.getGradient();
        g.attach(m);
        grads.put(n, g);
      });
      if (!Double.isFinite(value)) {
        grads.values().forEach(g -> g.muli(0f));
        throw new ArithmeticException("non-finite loss");
      }
      // Grad mode is per thread and on in a fresh thread: the in-place update needs it off.
      JniUtils.setGradMode(false);
      optimizer.step(params, grads, lr);
      grads.values().forEach(g -> g.muli(0f)); // PyTorch accumulates into .grad
      return value;
    }
  }

  public void save(Path file) throws IOException {
    NDList list = new NDList();
    params.values().forEach(list::add);
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, list.encode());
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Replaces the values of the parameters found in {@code file} (names and shapes must match). */
  public void load(Path file) throws IOException {
    try (NDManager tmp = manager.newSubManager()) {
      NDList list = NDList.decode(tmp, Files.readAllBytes(file));
      for (NDArray a : list) {
        NDArray p = params.get(a.getName());
        if (p == null || !p.getShape().equals(a.getShape())) {
          throw new IOException("parameter " + a.getName() + " " + a.getShape() + " does not fit this network");
        }
        p.set(a.toFloatArray());
      }
      if (list.size() != params.size()) {
        throw new IOException(file + " holds " + list.size() + " arrays, the network has " + params.size());
      }
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
