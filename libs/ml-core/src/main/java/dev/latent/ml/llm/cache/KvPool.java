package dev.latent.ml.llm.cache;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.index.full.NDIndexFullSlice;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.jspecify.annotations.Nullable;

/**
 * One layer's slots of K, V or MLA latents, {@code [slots, row...]} in a {@link KvFormat}.
 *
 * <p>f32 and f16 pools are DJL tensors (on any device; on the CPU their memory is also readable in
 * place). bf16 pools live in native memory outside DJL, because DJL 0.36's PyTorch JNI aborts the
 * JVM on a bfloat16 (or int16) tensor; DJL steps then get their rows widened into f32 tensors.
 */
final class KvPool {

  private final KvFormat format;
  private final long slots;
  private final Shape row; // [kvHeads, headDim] or [r + dr]
  private final int rowElements;
  private final @Nullable NDArray array;
  private final @Nullable MemorySegment memory;

  private KvPool(KvFormat format, long slots, Shape row, @Nullable NDArray array, @Nullable MemorySegment memory) {
    this.format = format;
    this.slots = slots;
    this.row = row;
    this.rowElements = Math.toIntExact(row.size());
    this.array = array;
    this.memory = memory;
  }

  /** A zeroed pool: a DJL tensor of {@code manager}, or (bf16, CPU only) memory of {@code arena}. */
  static KvPool allocate(NDManager manager, Arena arena, KvFormat format, long slots, Shape row) {
    boolean cpu = Device.Type.CPU.equals(manager.getDevice().getDeviceType());
    if (format == KvFormat.BF16) {
      if (!cpu) {
        throw new IllegalArgumentException("a bf16 KV cache lives in CPU memory (DJL 0.36 cannot hold"
            + " bfloat16 tensors); use f16 or f32 on " + manager.getDevice());
      }
      long bytes = slots * row.size() * format.bytes();
      return new KvPool(format, slots, row, null, arena.allocate(bytes, 64)); // zero-filled
    }
    NDArray array = manager.zeros(new Shape(slots).addAll(row), format.dataType());
    // a view of the tensor's memory, no copy; valid while the tensor lives
    MemorySegment memory = cpu ? MemorySegment.ofBuffer(array.toByteBuffer(true)) : null;
    return new KvPool(format, slots, row, array, memory);
  }

  @Nullable MemorySegment memory() {
    return memory;
  }

  long bytes() {
    return slots * rowElements * format.bytes();
  }

  NDArray array() {
    if (array == null) {
      throw new IllegalStateException("a " + format + " KV pool is not a DJL tensor; read rows with"
          + " PagedKvCache.keys(layer, slots, manager, type) and copy with PagedKvCache.copy");
    }
    return array;
  }

  /** Writes {@code rows [n, row...]} (any float dtype) into {@code slotIds [n]}, rounded to the pool's format. */
  void write(NDArray slotIds, NDArray rows) {
    if (array != null) {
      NDArray cast = rows.getDataType() == array.getDataType() ? rows : rows.toType(array.getDataType(), false);
      array.set(new NDIndex("{}", slotIds), cast);
      return;
    }
    long[] ids = slotIds.toType(DataType.INT64, false).toLongArray();
    float[] values = rows.toType(DataType.FLOAT32, false).toFloatArray();
    long rowBytes = (long) rowElements * format.bytes();
    for (int i = 0; i < ids.length; i++) {
      format.store(values, i * rowElements, cpuMemory(), ids[i] * rowBytes, rowElements);
    }
  }

  /** Rows {@code [from, to)} as {@code [to - from, row...]} in {@code type}: a view when no conversion is needed. */
  NDArray rows(long from, long to, NDManager m, DataType type) {
    if (array != null) {
      // one native call (DJL's get(NDIndex) makes four)
      NDIndexFullSlice slice = NDIndexFullSlice.fromIndex(new NDIndex().addSliceDim(from, to), array.getShape())
          .orElseThrow();
      NDArray view = array.getNDArrayInternal().getIndexer(m).get(array, slice);
      return view.getDataType() == type ? view : view.toType(type, false);
    }
    long n = to - from;
    float[] out = new float[Math.toIntExact(n * rowElements)];
    format.load(cpuMemory(), from * rowElements * format.bytes(), out, 0, out.length);
    return widened(out, new Shape(n), m, type);
  }

  /** The rows at {@code slotIds} (any shape S) as {@code [S..., row...]} in {@code type}. */
  NDArray rows(NDArray slotIds, NDManager m, DataType type) {
    if (array != null) {
      NDArray rows = array.get(m, new NDIndex("{}", slotIds));
      return rows.getDataType() == type ? rows : rows.toType(type, false);
    }
    long[] ids = slotIds.toType(DataType.INT64, false).toLongArray();
    float[] out = new float[ids.length * rowElements];
    long rowBytes = (long) rowElements * format.bytes();
    for (int i = 0; i < ids.length; i++) {
      format.load(cpuMemory(), ids[i] * rowBytes, out, i * rowElements, rowElements);
    }
    return widened(out, slotIds.getShape(), m, type);
  }

  /** Copies slot {@code from[i]} to slot {@code to[i]} bit for bit (a prefix cache's shared blocks). */
  void copy(long[] from, long[] to, NDManager m) {
    if (array != null) {
      array.set(new NDIndex("{}", m.create(to)), array.get(m, new NDIndex("{}", m.create(from))));
      return;
    }
    long rowBytes = (long) rowElements * format.bytes();
    for (int i = 0; i < from.length; i++) {
      MemorySegment.copy(cpuMemory(), from[i] * rowBytes, cpuMemory(), to[i] * rowBytes, rowBytes);
    }
  }

  private NDArray widened(float[] values, Shape lead, NDManager m, DataType type) {
    NDArray out = m.create(values, lead.addAll(row));
    return type == DataType.FLOAT32 ? out : out.toType(type, false);
  }

  private MemorySegment cpuMemory() {
    if (memory == null) {
      throw new IllegalStateException("pool not in CPU memory");
    }
    return memory;
  }
}
