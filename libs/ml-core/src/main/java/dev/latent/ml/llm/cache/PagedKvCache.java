package dev.latent.ml.llm.cache;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.latent.ml.llm.TransformerConfig;
import java.util.ArrayDeque;
import java.util.Deque;

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
  private final Deque<Integer> free = new ArrayDeque<>();

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
    for (int b = 0; b < numBlocks; b++) {
      free.add(b);
    }
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
    return free.size();
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
   *
   * @throws KvCacheFullException when not enough free blocks remain (nothing is taken then)
   */
  public void reserve(KvSequence seq, int tokens) {
    own(seq);
    int needed = (tokens + blockSize - 1) / blockSize - seq.mutableBlocks().size();
    if (needed > free.size()) {
      throw new KvCacheFullException("KV cache full: need " + needed + " more blocks of " + blockSize
          + " tokens, " + free.size() + " free of " + numBlocks);
    }
    for (int i = 0; i < needed; i++) {
      seq.mutableBlocks().add(free.poll());
    }
  }

  /** Returns the sequence's blocks to the pool; the sequence is empty afterwards. */
  public void release(KvSequence seq) {
    own(seq);
    free.addAll(seq.mutableBlocks());
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
