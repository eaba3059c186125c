package dev.latent.ml.llm.kernel;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Which model matrices have a Java kernel ({@link MatrixKernel}), and the projection through it.
 * A kernel is found by the weight NDArray's uid and dropped when that NDArray's manager closes.
 *
 * <p>float32 matrices on the CPU get an {@link F32Matrix} over the tensor's own memory (DJL's
 * direct buffer, no copy); bf16 models register their {@link Bf16Matrix} twins
 * ({@link Bf16Weights}). Decode-sized inputs ({@link MatrixKernel#maxRows()} rows or fewer) run
 * in the kernel; larger inputs, anything under autograd (training) and other devices stay on DJL.
 */
public final class KernelWeights {

  /**
   * The Vector API must be there ({@code --add-modules=jdk.incubator.vector}); nothing here loads
   * it otherwise. {@code -Dlatent.f32.kernel=false} keeps float32 matrices on DJL (A/B).
   */
  static final boolean VECTOR_API = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  private static final boolean F32 = VECTOR_API && !"false".equals(System.getProperty("latent.f32.kernel"));

  /**
   * Whether float32 views can run on a copy in 16-row panels ({@link F32Panels}): the Vector API
   * and 8-lane vectors. Which views do is chosen per weight ({@link #viewF32(NDArray, boolean)}:
   * a model's {@code ModelOptions.f32Panels}); the copy is made at a weight's first product (an
   * embedding only looked up gets none). It costs the matrices' bytes again (438 MB for 110m)
   * and does not see writes into the tensor outside training (a weight that requires a gradient
   * keeps reading its own memory, see {@link #of}; but a LoRA merge into frozen weights would be
   * missed): for serving processes, which never write their weights.
   */
  static final boolean PANELS = F32 && F32Panels.fits();

  /** The float32 weights (by uid) whose products run on a panel copy. */
  private static final java.util.Set<String> PANEL_WEIGHTS = ConcurrentHashMap.newKeySet();

  private static final Map<String, MatrixKernel> KERNELS = new ConcurrentHashMap<>();
  private static final Map<String, Arena> PANEL_MEMORY = new java.util.HashMap<>();
  private static final java.util.Set<String> TRAINED = ConcurrentHashMap.newKeySet();

  private KernelWeights() {}

  /** Registers {@code kernel} for {@code weight} until {@code weight}'s manager closes, then runs {@code release}. */
  static void register(NDArray weight, MatrixKernel kernel, Runnable release) {
    String uid = weight.getUid();
    KERNELS.put(uid, kernel);
    weight.getManager().attachInternal("kernel-" + uid, () -> {
      KERNELS.remove(uid);
      release.run(); // also when the view was dropped before (its panel copy may be left)
    });
  }

  /**
   * Gives a float32 CPU matrix {@code [out, in]} an {@link F32Matrix} view of its memory when the
   * Vector API is there and DJL hands out the tensor's own memory, and asks for that memory on huge
   * pages ({@link HugePages}); returns {@code weight}.
   */
  public static NDArray viewF32(NDArray weight) {
    return viewF32(weight, panelsByDefault());
  }

  /** Whether this JVM and machine can run float32 products on panels ({@link #PANELS}). */
  public static boolean panelsAvailable() {
    return PANELS;
  }

  /** {@code -Dlatent.f32.panels=true}: whether {@link #viewF32(NDArray)} asks for panels (default no). */
  public static boolean panelsByDefault() {
    return "true".equals(System.getProperty("latent.f32.panels"));
  }

  /**
   * As {@link #viewF32(NDArray)}; with {@code panels} (and {@link #PANELS}) the view's products run
   * on a copy in 16-row panels, made at the first product.
   */
  public static NDArray viewF32(NDArray weight, boolean panels) {
    Shape shape = weight.getShape();
    if (!F32 || shape.dimension() != 2 || weight.getDataType() != DataType.FLOAT32
        || !Device.Type.CPU.equals(weight.getDevice().getDeviceType())) {
      return weight;
    }
    MemorySegment memory = ownMemory(weight);
    if (memory != null) {
      HugePages.collapse(memory);
      String uid = weight.getUid();
      register(weight, new F32Matrix(memory, (int) shape.get(0), (int) shape.get(1)), () -> releasePanels(uid));
      if (panels && PANELS) {
        PANEL_WEIGHTS.add(uid);
      }
    }
    return weight;
  }

  /**
   * The tensor's own memory, or null when DJL would hand out a copy (a non-contiguous view: then
   * each call gives a new buffer at another address) or the sizes disagree.
   */
  static @Nullable MemorySegment ownMemory(NDArray a) {
    ByteBuffer first = a.toByteBuffer(true);
    ByteBuffer second = a.toByteBuffer(true);
    if (!first.isDirect() || first.capacity() != a.getShape().size() * a.getDataType().getNumOfBytes()) {
      return null;
    }
    MemorySegment memory = MemorySegment.ofBuffer(first);
    return memory.address() == MemorySegment.ofBuffer(second).address() ? memory : null;
  }

  /**
   * The kernel of {@code weight}, or null when it has none. A float32 view is checked against the
   * tensor's memory on every call (three JNI calls): {@code NDArray.set} gives a tensor new
   * storage, and the view then follows it (or is dropped if DJL would hand out a copy). With
   * panels on for this weight ({@link #viewF32(NDArray, boolean)}) the view gets its panel copy
   * here, made at its first product.
   */
  public static @Nullable MatrixKernel of(NDArray weight) {
    MatrixKernel kernel = registered(weight);
    if (!(kernel instanceof F32Matrix view)) {
      return kernel;
    }
    if (MemorySegment.ofBuffer(weight.toByteBuffer(true)).address() != view.address()) {
      MemorySegment moved = ownMemory(weight);
      if (moved == null) {
        KERNELS.remove(weight.getUid());
        return null;
      }
      view = new F32Matrix(moved, view.rows(), view.cols());
      KERNELS.put(weight.getUid(), view);
    }
    return PANEL_WEIGHTS.contains(weight.getUid()) ? withPanelsUnlessTrained(weight, view) : view;
  }

  /**
   * {@code view} with its panel copy (made at its first product), unless {@code weight} requires a
   * gradient: the optimizer then writes it in place, which a copy would not see, so a weight
   * seen training once keeps reading its own memory from then on (one JNI call per use).
   */
  private static F32Matrix withPanelsUnlessTrained(NDArray weight, F32Matrix view) {
    String uid = weight.getUid();
    if (TRAINED.contains(uid)) {
      return view;
    }
    if (weight.hasGradient()) {
      TRAINED.add(uid);
      F32Matrix plain = view.withoutPanels();
      KERNELS.put(uid, plain);
      return plain; // the copy's memory goes with the weight's manager
    }
    if (view.hasPanels()) {
      return view;
    }
    synchronized (PANEL_MEMORY) {
      if (KERNELS.get(uid) instanceof F32Matrix current && current.hasPanels() && current.address() == view.address()) {
        return current; // another thread got here first
      }
      F32Matrix packed = view.withPanels(PANEL_MEMORY.computeIfAbsent(uid, u -> Arena.ofShared()));
      KERNELS.put(uid, packed);
      return packed;
    }
  }

  /** Frees the panel copies of the weight {@code uid} (its manager closed). */
  private static void releasePanels(String uid) {
    TRAINED.remove(uid);
    PANEL_WEIGHTS.remove(uid);
    synchronized (PANEL_MEMORY) {
      Arena memory = PANEL_MEMORY.remove(uid);
      if (memory != null) {
        memory.close();
      }
    }
  }

  /**
   * Bytes the panel copy of {@code weight} takes, or will take once its first product makes it
   * (rows rounded up to whole panels); 0 when its products do not run on panels.
   */
  public static long panelBytes(NDArray weight) {
    if (!PANEL_WEIGHTS.contains(weight.getUid()) || !(registered(weight) instanceof F32Matrix m)) {
      return 0;
    }
    return (long) (m.rows() + F32Panels.WIDTH - 1) / F32Panels.WIDTH * F32Panels.WIDTH * m.cols() * Float.BYTES;
  }

  /** Bytes of the panel copies made so far (the bench prints it). */
  public static long panelBytes() {
    return KERNELS.values().stream().mapToLong(k -> k instanceof F32Matrix f ? f.panelBytes() : 0).sum();
  }

  /** The kernel of {@code weight} as registered, unchecked: only right after {@link #of} said yes. */
  public static @Nullable MatrixKernel registered(NDArray weight) {
    return KERNELS.isEmpty() ? null : KERNELS.get(weight.getUid());
  }

  /**
   * Whether {@code x} should run in {@code kernel}: few enough rows, on the CPU, and autograd off
   * on this thread (under a {@code GradientCollector} DJL must record the product; DJL's
   * {@code hasGradient} is false for intermediate arrays, so it cannot tell). The serving step
   * turns autograd off ({@link #withoutAutograd}).
   */
  public static boolean fits(NDArray x, MatrixKernel kernel) {
    Shape shape = x.getShape();
    return shape.size() / shape.get(shape.dimension() - 1) <= kernel.maxRows()
        && Device.Type.CPU.equals(x.getDevice().getDeviceType()) && !JniUtils.isGradMode();
  }

  /** Runs {@code step} with PyTorch's autograd off on this thread (restored after). */
  public static <T> T withoutAutograd(java.util.function.Supplier<T> step) {
    boolean was = JniUtils.isGradMode();
    if (was) {
      JniUtils.setGradMode(false);
    }
    try {
      return step.get();
    } finally {
      if (was) {
        JniUtils.setGradMode(true);
      }
    }
  }

  /**
   * {@code x [..., in]} times {@code kernelᵀ}, as a float32 NDArray {@code [..., out]} in
   * {@code x}'s manager; rows split over {@link #threads()} threads.
   */
  public static NDArray project(NDArray x, MatrixKernel kernel) {
    Shape shape = x.getShape();
    int in = (int) shape.get(shape.dimension() - 1);
    if (in != kernel.cols()) {
      throw new IllegalArgumentException("input has " + in + " features, weight expects " + kernel.cols());
    }
    int n = (int) (shape.size() / in);
    float[] values = x.getDataType() == DataType.FLOAT32 ? x.toFloatArray()
        : x.toType(DataType.FLOAT32, false).toFloatArray();
    float[] y = new float[n * kernel.rows()];
    kernel.matMul(values, n, y, threads());
    long[] out = shape.getShape().clone(); // Shape hands out its own array
    out[out.length - 1] = kernel.rows();
    return x.getManager().create(y, new Shape(out));
  }

  /**
   * The engine's intra-op thread count: {@code ai.djl.pytorch.num_threads} when set (the bench),
   * else what PyTorch uses on this thread (the serving runtime sets it on its engine thread).
   */
  public static int threads() {
    Integer configured = Integer.getInteger("ai.djl.pytorch.num_threads");
    return Math.max(1, configured != null ? configured : JniUtils.getNumThreads());
  }
}
