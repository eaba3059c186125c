package dev.latent.ml.llm.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.kernel.Bf16Weights;
import dev.latent.ml.llm.kernel.KernelWeights;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's parameters, each registered under the Hugging Face tensor name(s) it holds.
 *
 * <p>Matrices read by the same input are fused along the output rows (q|k|v, gate|up) so one
 * GEMM/GEMV reads them; each HF tensor is then a contiguous row range of the fused parameter, which
 * is how checkpoints are loaded into and saved from it. Gradients flow to the fused parameter.
 *
 * <p>With dtype BF16 every parameter is float32 for DJL, and each matrix is rounded to bf16 and
 * gets a bf16 twin the projections read on the CPU ({@link Bf16Weights}); inference only. float32
 * matrices on the CPU get a kernel that reads them in place ({@link KernelWeights#viewF32}).
 */
public final class Weights {

  /** How a parameter is initialised when a model is created from a seed. */
  public enum Init { MATRIX, NORM, BIAS }

  /** One HF tensor inside a fused parameter: its name and its number of rows. */
  public record Part(String hfName, long rows) {}

  /** Produces one HF tensor of the requested shape in the requested manager and dtype. */
  @FunctionalInterface
  public interface Source {
    NDArray tensor(String hfName, Shape shape, Init init, NDManager manager, DataType dtype);
  }

  /** Where an HF tensor lives: rows {@code [from, to)} of parameter {@code param}. */
  public record Slot(String param, long from, long to) {}

  private final NDManager manager;
  private final DataType dtype;
  private final Source source;
  private final Map<String, NDArray> params = new LinkedHashMap<>();
  private final Map<String, Slot> hfSlots = new LinkedHashMap<>();

  private final boolean bf16;
  private final boolean f32Panels;

  /** With float32 products on panel copies as {@code -Dlatent.f32.panels} says. */
  public Weights(NDManager manager, DataType dtype, Source source) {
    this(manager, dtype, source, KernelWeights.panelsByDefault());
  }

  /** {@code f32Panels}: float32 matrices' products run on a panel copy ({@link KernelWeights#viewF32}). */
  public Weights(NDManager manager, DataType dtype, Source source, boolean f32Panels) {
    this.manager = manager;
    this.bf16 = dtype == DataType.BFLOAT16;
    this.dtype = bf16 ? DataType.FLOAT32 : dtype;
    this.source = source;
    this.f32Panels = f32Panels;
  }

  private NDArray twinned(NDArray a, Init init) {
    if (init != Init.MATRIX) {
      return a;
    }
    return bf16 ? Bf16Weights.round(a) : KernelWeights.viewF32(a, f32Panels);
  }

  /** A parameter that is exactly one HF tensor. */
  public NDArray single(String hfName, Shape shape, Init init) {
    NDArray a = twinned(source.tensor(hfName, shape, init, manager, dtype), init);
    a.setName(hfName);
    params.put(hfName, a);
    hfSlots.put(hfName, new Slot(hfName, 0, shape.get(0)));
    return a;
  }

  /**
   * A parameter made of several HF tensors stacked along rows; {@code cols < 0} means the parts
   * are vectors (biases).
   */
  public NDArray fused(String name, long cols, Init init, Part... parts) {
    if (parts.length == 1) {
      return single(parts[0].hfName(), shape(parts[0].rows(), cols), init);
    }
    NDList pieces = new NDList();
    long row = 0;
    try (NDManager scratch = manager.newSubManager()) {
      for (Part p : parts) {
        pieces.add(source.tensor(p.hfName(), shape(p.rows(), cols), init, scratch, dtype));
        hfSlots.put(p.hfName(), new Slot(name, row, row + p.rows()));
        row += p.rows();
      }
      NDArray fused = NDArrays.concat(pieces, 0);
      fused.attach(manager);
      fused = twinned(fused, init);
      fused.setName(name);
      params.put(name, fused);
      return fused;
    }
  }

  /** All parameters by internal name (fused ones under their fused name), in creation order. */
  public Map<String, NDArray> parameters() {
    return Collections.unmodifiableMap(params);
  }

  /** HF tensor name to its row range inside a parameter, in checkpoint order. */
  public Map<String, Slot> hfSlots() {
    return Collections.unmodifiableMap(hfSlots);
  }

  /** The HF tensor {@code hfName}: its parameter, or a row view of it made in {@code into}. */
  public NDArray hfTensor(String hfName, NDManager into) {
    Slot s = hfSlots.get(hfName);
    if (s == null) {
      throw new IllegalArgumentException("no tensor named " + hfName);
    }
    NDArray p = params.get(s.param());
    if (s.from() == 0 && s.to() == p.getShape().get(0)) {
      return p;
    }
    return p.get(into, new NDIndex(s.from() + ":" + s.to()));
  }

  private static Shape shape(long rows, long cols) {
    return cols < 0 ? new Shape(rows) : new Shape(rows, cols);
  }
}
