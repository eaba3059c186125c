package dev.latent.ml.llm.cache;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.TransformerConfig;
import java.lang.foreign.Arena;
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
 * exactly {@link #bytesPerToken(TransformerConfig, DataType)} with the cache's own dtype, which
 * is chosen apart from the weights' ({@link KvFormat}: f32, f16 or bf16). Not thread-safe: one scheduler
 * thread allocates and steps.
 */
public final class PagedKvCache implements AutoCloseable {

  private final TransformerConfig config;
  private final int numBlocks;
  private final int blockSize;
  private final KvFormat format;
  private final NDManager manager;
  private final Arena arena; // bf16 pools' memory (DJL cannot hold bfloat16)
  private final KvPool[] keys;
  private final KvPool[] values;
  private final KvPool[] latent;
  private final BitSet free = new BitSet(); // set bit = free block

  /**
   * @param dtype how K/V are stored (see {@link KvFormat}): FLOAT32, FLOAT16, or BFLOAT16 (CPU
   *     only), whatever the model's dtype; attention widens to the model's dtype to compute
   */
  public PagedKvCache(TransformerConfig config, int numBlocks, int blockSize, DataType dtype, Device device) {
    if (numBlocks <= 0 || blockSize <= 0) {
      throw new IllegalArgumentException("numBlocks and blockSize must be > 0");
    }
    this.config = config;
    this.numBlocks = numBlocks;
    this.blockSize = blockSize;
    this.format = KvFormat.of(dtype);
    this.manager = NDManager.newBaseManager(device, "PyTorch");
    this.arena = Arena.ofShared();
    int layers = config.numLayers();
    long slots = (long) numBlocks * blockSize;
    var mla = config.mla();
    try {
      if (mla != null) {
        keys = new KvPool[0];
        values = new KvPool[0];
        latent = new KvPool[layers];
        for (int l = 0; l < layers; l++) {
          latent[l] = KvPool.allocate(manager, arena, format, slots, new Shape(mla.kvLoraRank() + mla.qkRopeHeadDim()));
        }
      } else {
        latent = new KvPool[0];
        keys = new KvPool[layers];
        values = new KvPool[layers];
        Shape row = new Shape(config.numKvHeads(), config.headDim());
        for (int l = 0; l < layers; l++) {
          keys[l] = KvPool.allocate(manager, arena, format, slots, row);
          values[l] = KvPool.allocate(manager, arena, format, slots, row);
        }
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    free.set(0, numBlocks);
  }

  /** KV bytes one token takes over all layers: 2·kvHeads·headDim·layers·bytes, or (r + dr)·layers·bytes for MLA. */
  public static long bytesPerToken(TransformerConfig config, DataType dtype) {
    return config.kvElementsPerToken() * dtype.getNumOfBytes();
  }

  /** As {@link #bytesPerToken(TransformerConfig, DataType)} with this cache's dtype (not the model's). */
  public long bytesPerToken() {
    return bytesPerToken(config, format.dataType());
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

  /** How K/V are stored (FLOAT32, FLOAT16 or BFLOAT16). */
  public DataType dataType() {
    return format.dataType();
  }

  public KvFormat format() {
    return format;
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
    reserve(seq, tokens, false);
  }

  /**
   * {@link #reserve} for a sequence that takes its whole length now and does not grow later (the
   * serving runtime reserves prompt + max_tokens at admission): a new sequence's blocks go at the
   * start of the smallest free run that holds them (best fit). Room to grow is no use to it, and
   * cutting the largest run in the middle would leave the free space in pieces too short for the
   * next whole sequence. A sequence that already has blocks grows as in {@link #reserve}.
   *
   * @throws KvCacheFullException when not enough free blocks remain (nothing is taken then)
   */
  public void reserveWhole(KvSequence seq, int tokens) {
    reserve(seq, tokens, true);
  }

  private void reserve(KvSequence seq, int tokens, boolean whole) {
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
    int start = !blocks.isEmpty() ? blocks.getLast() + 1 : whole ? bestFit(needed) : placeNew(needed);
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

  /** The start of the shortest free run of at least {@code n} blocks, or -1. */
  private int bestFit(int n) {
    int bestStart = -1;
    int bestLength = Integer.MAX_VALUE;
    for (int b = free.nextSetBit(0); b >= 0; ) {
      int end = free.nextClearBit(b);
      if (end - b >= n && end - b < bestLength) {
        bestStart = b;
        bestLength = end - b;
      }
      b = end >= numBlocks ? -1 : free.nextSetBit(end);
    }
    return bestStart;
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

  /**
   * Writes K/V {@code [n, kvHeads, headDim]} (any float dtype) of {@code layer} into
   * {@code slots [n]}, rounded to the cache's dtype.
   */
  public void write(int layer, NDArray slots, NDArray k, NDArray v) {
    keys[layer].write(slots, k);
    values[layer].write(slots, v);
  }

  /** Writes MLA latents {@code [n, r + dr]} of {@code layer} into {@code slots [n]}. */
  public void writeLatent(int layer, NDArray slots, NDArray cKvAndKRope) {
    latent[layer].write(slots, cKvAndKRope);
  }

  /**
   * Cached keys of {@code layer} at {@code slots} (any shape S) as {@code [S..., kvHeads, headDim]}
   * in {@code type} (the model's compute dtype), in {@code m}.
   */
  public NDArray keys(int layer, NDArray slots, NDManager m, DataType type) {
    return keys[layer].rows(slots, m, type);
  }

  /** Keys of slots {@code [from, to)} as {@code [to - from, kvHeads, headDim]} in {@code type}: a view of an f32 pool. */
  public NDArray keys(int layer, long from, long to, NDManager m, DataType type) {
    return keys[layer].rows(from, to, m, type);
  }

  /** As {@link #keys(int, NDArray, NDManager, DataType)} for V. */
  public NDArray values(int layer, NDArray slots, NDManager m, DataType type) {
    return values[layer].rows(slots, m, type);
  }

  /** As {@link #keys(int, long, long, NDManager, DataType)} for V. */
  public NDArray values(int layer, long from, long to, NDManager m, DataType type) {
    return values[layer].rows(from, to, m, type);
  }

  /** MLA latents {@code c_kv | k_rope} at {@code slots} (shape S) as {@code [S..., r + dr]} in {@code type}. */
  public NDArray latent(int layer, NDArray slots, NDManager m, DataType type) {
    return latent[layer].rows(slots, m, type);
  }

  /**
   * The K pool of a layer {@code [slots, kvHeads, headDim]} as a DJL tensor, for f32 and f16 caches
   * only (a bf16 pool is not one: use {@link #keys(int, NDArray, NDManager, DataType)}).
   */
  public NDArray keys(int layer) {
    return keys[layer].array();
  }

  public NDArray values(int layer) {
    return values[layer].array();
  }

  /** The MLA latent pool of a layer {@code [slots, r + dr]}; f32 and f16 caches only. */
  public NDArray latent(int layer) {
    return latent[layer].array();
  }

  /** Copies every layer's K/V (or latents) of slot {@code from[i]} to slot {@code to[i]}, bit for bit, any dtype. */
  public void copy(long[] from, long[] to) {
    if (from.length != to.length) {
      throw new IllegalArgumentException("copy " + from.length + " slots to " + to.length);
    }
    try (NDManager m = manager.newSubManager()) {
      for (KvPool[] pools : new KvPool[][] {keys, values, latent}) {
        for (KvPool pool : pools) {
          pool.copy(from, to, m);
        }
      }
    }
  }

  /**
   * The K pool of {@code layer} as native memory ({@code [slots, kvHeads, headDim]} in
   * {@link #format()}, row-major, native order), or null unless the pools are in CPU memory (or
   * MLA). Valid until {@link #close}; kernels that write it store in {@link #format()}.
   */
  public @Nullable MemorySegment keyMemory(int layer) {
    return keys.length == 0 ? null : keys[layer].memory();
  }

  /** As {@link #keyMemory} for V. */
  public @Nullable MemorySegment valueMemory(int layer) {
    return values.length == 0 ? null : values[layer].memory();
  }

  /** Bytes the preallocated pools occupy (all layers, all slots), as allocated on the device. */
  public long poolBytes() {
    long total = 0;
    for (KvPool[] pools : new KvPool[][] {keys, values, latent}) {
      for (KvPool pool : pools) {
        total += pool.bytes();
      }
    }
    return total;
  }

  /** Live arrays the cache owns (its f32/f16 pools; a bf16 cache's are native memory); constant between requests. */
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
    arena.close();
  }
}
