package dev.latent.ml.llm.cache;

import java.util.ArrayList;
import java.util.List;

/**
 * One sequence's view of a {@link PagedKvCache}: its block table and how many tokens are cached.
 * Not thread-safe; the serving runtime drives a sequence from one step at a time.
 */
public final class KvSequence {

  private final PagedKvCache cache;
  private final List<Integer> blocks = new ArrayList<>();
  private int length;
  private boolean freed;

  KvSequence(PagedKvCache cache) {
    this.cache = cache;
  }

  public PagedKvCache cache() {
    return cache;
  }

  /** Tokens whose K/V are in the cache (the position of the next token). */
  public int length() {
    return length;
  }

  /** The physical block ids, in order; token {@code i} lives in block {@code i / blockSize}. */
  public List<Integer> blocks() {
    return List.copyOf(blocks);
  }

  /** The cache slot (row of the per-layer pools) holding token {@code position}. */
  public int slot(int position) {
    int bs = cache.blockSize();
    return blocks.get(position / bs) * bs + position % bs;
  }

  boolean freed() {
    return freed;
  }

  List<Integer> mutableBlocks() {
    return blocks;
  }

  void markFreed() {
    freed = true;
    blocks.clear();
    length = 0;
  }

  /** Called by the model after a forward pass wrote {@code tokens} more entries. */
  public void advance(int tokens) {
    if (length + tokens > blocks.size() * cache.blockSize()) {
      throw new IllegalStateException("advance past the reserved blocks");
    }
    length += tokens;
  }

  /** Forgets tokens past {@code newLength} (e.g. rejected speculative tokens); keeps the blocks. */
  public void truncate(int newLength) {
    if (newLength < 0 || newLength > length) {
      throw new IllegalArgumentException("truncate to " + newLength + " of " + length);
    }
    length = newLength;
  }
}
