package dev.latent.ml.llm.cache;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.TransformerConfig;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A paged KV cache: per layer one pool of {@code numBlocks * blockSize} token slots; a sequence
 * owns a list of fixed-size blocks (its block table), so memory is handed out and reclaimed in
 * blocks and sequences of any length share one preallocated pool.
 *
 * <p>MHA/GQA/MQA pools hold K and V as {@code [slots, numKvHeads, headDim]}; MLA pools hold the
 * latent {@code c_kv | k_rope} as {@code [slots, kvLoraRank + qkRopeHeadDim]}. Per token this is
 * exactly {@link #bytesPerToken(TransformerConfig, DataType)}. Not thread-safe: one scheduler
 * thread allocates and steps.
 */
public final class PagedKvCache implements AutoCloseable {

  private final TransformerConfig config;
  private final int numBlocks;
  private final int blockSize;
  private final DataType dtype;
  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private final NDArray[] latent;
  private final BitSet free = new BitSet(); // set bit = free block
  // the f32 CPU pools' memory, for kernels that read them in place (null otherwise)
  private final MemorySegment @Nullable [] keyMemory;
  private final MemorySegment @Nullable [] valueMemory;

  public PagedKvCache(TransformerConfig config, int numBlocks, int blockSize, DataType dtype, Device device) {
    if (numBlocks <= 0 || blockSize <= 0) {
      throw new IllegalArgumentException("numBlocks and blockSize must be > 0");
    }
    this.config = config;
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    this.dtype = dtype;
    this.manager = NDManager.newBaseManager(device, "PyTorch");
    int layers = config.numLayers();
    long slots = (long) numBlocks * blockSize;
    var mla = config.mla();
    if (mla != null) {
      keys = new NDArray[0];
      values = new NDArray[0];
      latent = new NDArray[layers];
      for (int l = 0; l < layers; l++) {
        latent[l] = manager.zeros(new Shape(slots, mla.kvLoraRank() + mla.qkRopeHeadDim()), dtype);
      }
    } else {
      latent = new NDArray[0];
      keys = new NDArray[layers];
      values = new NDArray[layers];
      Shape shape = new Shape(slots, config.numKvHeads(), config.headDim());
      for (int l = 0; l < layers; l++) {
        keys[l] = manager.zeros(shape, dtype);
        values[l] = manager.zeros(shape, dtype);
      }
    }
    free.set(0, numBlocks);
    boolean inMemory = keys.length > 0 && dtype == DataType.FLOAT32
        && Device.Type.CPU.equals(device.getDeviceType());
    keyMemory = inMemory ? memory(keys) : null;
    valueMemory = inMemory ? memory(values) : null;
  }

  private static MemorySegment[] memory(NDArray[] pools) {
    MemorySegment[] out = new MemorySegment[pools.length];
    for (int l = 0; l < pools.length; l++) {
      out[l] = MemorySegment.ofBuffer(pools[l].toByteBuffer(true)); // a view of the tensor, no copy
    }
    return out;
  }

  /** KV bytes one token takes over all layers: 2·kvHeads·headDim·layers·bytes, or (r + dr)·layers·bytes for MLA. */
  public static long bytesPerToken(TransformerConfig config, DataType dtype) {
    return config.kvElementsPerToken() * dtype.getNumOfBytes();
  }

  public long bytesPerToken() {
    return bytesPerToken(config, dtype);
  }

  public int blockSize() {
    return blockSize;
  }

  public int numBlocks() {
    return numBlocks;
  }

  public int freeBlocks() {
    return free.cardinality();
  }

  public DataType dataType() {
    return dtype;
  }

  /** A new, empty sequence; it takes blocks as tokens are added. */
  public KvSequence newSequence() {
    return new KvSequence(this);
  }

  /**
   * Makes room for {@code tokens} cached tokens in {@code seq}, taking blocks from the pool.
   * A sequence whose blocks are adjacent is read by attention as one slice of the pool (no gather),
   * so blocks are placed to keep sequences contiguous: a growing sequence takes the blocks right
   * after its last one when free; a new one starts in the middle of the largest free run (at its
   * start when nothing precedes it), leaving room to grow for itself and for the sequence before
   * it; failing that, the first free run long enough; failing that, any free blocks.
   *
   * @throws KvCacheFullException when not enough free blocks remain (nothing is taken then)
   */
  public void reserve(KvSequence seq, int tokens) {
    own(seq);
    List<Integer> blocks = seq.mutableBlocks();
    int needed = (tokens + blockSize - 1) / blockSize - blocks.size();
    if (needed <= 0) {
      return;
    }
    int available = free.cardinality();
    if (needed > available) {
      throw new KvCacheFullException("KV cache full: need " + needed + " more blocks of " + blockSize
          + " tokens, " + available + " free of " + numBlocks);
    }
    int start = blocks.isEmpty() ? placeNew(needed) : blocks.getLast() + 1;
    if (start < 0 || start + needed > numBlocks || free.nextClearBit(start) < start + needed) {
      start = firstRun(needed);
    }
    if (start >= 0) {
      for (int i = 0; i < needed; i++) {
        blocks.add(start + i);
      }
      free.clear(start, start + needed);
      return;
    }
    for (int i = 0, b = free.nextSetBit(0); i < needed; i++, b = free.nextSetBit(b + 1)) {
      blocks.add(b);
      free.clear(b);
    }
  }

  /** Where a new sequence's first {@code n} blocks go: see {@link #reserve}; -1 when no run fits. */
  private int placeNew(int n) {
    int bestStart = -1;
    int bestLength = 0;
    for (int b = free.nextSetBit(0); b >= 0; ) {
      int end = free.nextClearBit(b);
      if (end - b > bestLength) {
        bestStart = b;
        bestLength = end - b;
      }
      b = end >= numBlocks ? -1 : free.nextSetBit(end);
    }
    if (bestLength < n) {
      return -1;
    }
    return bestStart == 0 ? 0 : bestStart + (bestLength - n) / 2;
  }

  /** The first block of a run of {@code n} free blocks, or -1. */
  private int firstRun(int n) {
    for (int b = free.nextSetBit(0); b >= 0 && b + n <= numBlocks; ) {
      int end = free.nextClearBit(b);
      if (end - b >= n) {
        return b;
      }
      b = free.nextSetBit(end);
    }
    return -1;
  }

  /** Returns the sequence's blocks past its cached length to the pool (e.g. an unused reservation). */
  public void trim(KvSequence seq) {
    own(seq);
    List<Integer> blocks = seq.mutableBlocks();
    int keep = (seq.length() + blockSize - 1) / blockSize;
    while (blocks.size() > keep) {
      free.set(blocks.removeLast());
    }
  }

  /** Returns the sequence's blocks to the pool; the sequence is empty afterwards. */
  public void release(KvSequence seq) {
    own(seq);
    for (int b : seq.mutableBlocks()) {
      free.set(b);
    }
    seq.markFreed();
  }

  /** Writes K/V {@code [n, kvHeads, headDim]} of {@code layer} into {@code slots [n]}. */
  public void write(int layer, NDArray slots, NDArray k, NDArray v) {
    keys[layer].set(new NDIndex("{}", slots), k);
    values[layer].set(new NDIndex("{}", slots), v);
  }

  /** Writes MLA latents {@code [n, r + dr]} of {@code layer} into {@code slots [n]}. */
  public void writeLatent(int layer, NDArray slots, NDArray cKvAndKRope) {
    latent[layer].set(new NDIndex("{}", slots), cKvAndKRope);
  }

  /** The K pool of a layer {@code [slots, kvHeads, headDim]}. */
  public NDArray keys(int layer) {
    return keys[layer];
  }

  public NDArray values(int layer) {
    return values[layer];
  }

  /**
   * The K pool of {@code layer} as native memory ({@code [slots, kvHeads, headDim]} float32, row-major),
   * or null unless the pools are float32 on the CPU. Valid until {@link #close}; writes go through
   * {@link #write}.
   */
  public @Nullable MemorySegment keyMemory(int layer) {
    return keyMemory == null ? null : keyMemory[layer];
  }

  /** As {@link #keyMemory} for V. */
  public @Nullable MemorySegment valueMemory(int layer) {
    return valueMemory == null ? null : valueMemory[layer];
  }

  /** The MLA latent pool of a layer {@code [slots, r + dr]}. */
  public NDArray latent(int layer) {
    return latent[layer];
  }

  /** Bytes the preallocated pools occupy (all layers, all slots), as allocated on the device. */
  public long poolBytes() {
    long total = 0;
    for (NDArray[] pools : new NDArray[][] {keys, values, latent}) {
      for (NDArray a : pools) {
        total += a.getShape().size() * a.getDataType().getNumOfBytes();
      }
    }
    return total;
  }

  /** Live arrays the cache owns (its pools); constant between requests. */
  public int liveArrays() {
    return manager.getManagedArrays().size();
  }

  private void own(KvSequence seq) {
    if (seq.cache() != this) {
      throw new IllegalArgumentException("sequence belongs to another cache");
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
