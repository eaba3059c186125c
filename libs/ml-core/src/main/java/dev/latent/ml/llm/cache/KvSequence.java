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

  /**
   * The slot of token 0 when tokens {@code [0, tokens)} occupy consecutive slots (the sequence's
   * first blocks are adjacent in the pool), else -1. Attention then reads a plain slice of the
   * pool instead of gathering the sequence's slots.
   */
  public long contiguousStart(int tokens) {
    int bs = cache.blockSize();
    int needed = (tokens + bs - 1) / bs;
    if (needed == 0 || needed > blocks.size()) {
      return -1;
    }
    int first = blocks.get(0);
    for (int i = 1; i < needed; i++) {
      if (blocks.get(i) != first + i) {
        return -1;
      }
    }
    return (long) first * bs;
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
