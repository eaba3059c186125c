package dev.latent.inference.runtime;

import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Prefix cache over the engine's paged KV cache, keyed by block: a full block of prompt tokens is
 * registered under its key, the chain value of the block before it plus its own tokens, so one key
 * names a whole token prefix (vLLM's automatic prefix caching). A finished sequence is not freed
 * but kept as an entry holding its blocks; entries are reference counted by the running sequences
 * still reading them and evicted least-recently-used when blocks are needed.
 *
 * <p>ml-core's {@code KvSequence} owns its block table, so a hit is served by copying the cached
 * K/V rows into the new sequence's blocks (a gather per layer, no attention or MLP) and not by
 * sharing the block ids. The hit tokens skip prefill and are the request's {@code cached_tokens}.
 * Not thread-safe: only the scheduler thread uses it.
 */
final class PrefixCache {

  /** A block key: the prefix before the block (its chain value) and the block's tokens. */
  private record Key(long parent, int[] tokens) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.parent == parent && Arrays.equals(k.tokens, tokens);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(parent) * 31 + Arrays.hashCode(tokens);
    }

    long chain() {
      return parent * 0x9E3779B97F4A7C15L + Arrays.hashCode(tokens) + 1;
    }
  }

  /** Where a block's K/V lives: in one entry, at one block index. */
  record Location(Entry entry, int index) {}

  /** A sequence whose prompt blocks are registered; it holds its blocks until evicted. */
  static final class Entry {
    final KvSequence kv;
    final long root;
    final List<Key> keys = new ArrayList<>();
    int refs = 1; // the running sequence itself
    boolean retired;

    Entry(KvSequence kv, long root) {
      this.kv = kv;
      this.root = root;
    }
  }

  private final PagedKvCache cache;
  private final long seed;
  // Every place a block's K/V can be read from: when one holder is evicted, a copy in another
  // entry (a sequence that hit this prefix) keeps the prefix cached.
  private final Map<Key, List<Location>> index = new HashMap<>();
  private final LinkedHashMap<Entry, Boolean> idle = new LinkedHashMap<>(); // LRU first
  private long lookupTokens;
  private long hitTokens;

  PrefixCache(PagedKvCache cache, long seed) {
    this.cache = cache;
    this.seed = seed;
  }

  int blockSize() {
    return cache.blockSize();
  }

  int blocksFor(int tokens) {
    return (tokens + cache.blockSize() - 1) / cache.blockSize();
  }

  /** Blocks held by idle entries, which eviction can free. */
  int evictableBlocks() {
    int n = 0;
    for (Entry e : idle.keySet()) {
      n += e.kv.blocks().size();
    }
    return n;
  }

  double hitRate() {
    return lookupTokens == 0 ? 0 : (double) hitTokens / lookupTokens;
  }

  int idleEntries() {
    return idle.size();
  }

  /**
   * The cached blocks holding a prefix of {@code prompt}, each as (entry, block index). At least
   * the last prompt token is left to compute: its logits start the generation. The entries are
   * retained until {@link #copyInto} (or {@link #abandon} when admission gives up).
   */
  List<Location> lookup(int[] prompt) {
    return lookup(prompt, seed);
  }

  /**
   * As {@link #lookup(int[])} for keys chained from {@code root} (a LoRA adapter's own root: K/V
   * computed under one adapter differ from the base's and another's, so they are never shared).
   */
  List<Location> lookup(int[] prompt, long root) {
    List<Location> hits = new ArrayList<>();
    long parent = root;
    int full = (prompt.length - 1) / cache.blockSize();
    for (int i = 0; i < full; i++) {
      var key = key(parent, prompt, i);
      List<Location> holders = index.get(key);
      if (holders == null) {
        break;
      }
      Location at = holders.getFirst();
      retain(at.entry());
      hits.add(at);
      parent = key.chain();
    }
    lookupTokens += prompt.length;
    return hits;
  }

  /**
   * Copies the hit blocks' K/V into {@code target} (reserving its blocks) and advances it; returns
   * the number of tokens now cached.
   */
  int copyInto(KvSequence target, List<Location> hits) {
    if (hits.isEmpty()) {
      return 0;
    }
    int bs = cache.blockSize();
    int tokens = hits.size() * bs;
    cache.reserve(target, tokens);
    long[] src = new long[tokens];
    long[] dst = new long[tokens];
    for (int h = 0; h < hits.size(); h++) {
      Entry e = hits.get(h).entry();
      int block = hits.get(h).index();
      for (int i = 0; i < bs; i++) {
        src[h * bs + i] = e.kv.slot(block * bs + i);
        dst[h * bs + i] = target.slot(h * bs + i);
      }
    }
    cache.copy(src, dst); // every layer's K/V (or latents), bit for bit, in the cache's dtype
    target.advance(tokens);
    hitTokens += tokens;
    hits.forEach(h -> release(h.entry()));
    return tokens;
  }

  void releaseAll(List<Location> hits) {
    hits.forEach(h -> release(h.entry()));
  }

  /**
   * Admission gave up on a lookup of {@code promptTokens} (the request waits and looks up again at
   * the next step): its hits are released, and it does not count toward the hit rate.
   */
  void abandon(List<Location> hits, int promptTokens) {
    releaseAll(hits);
    lookupTokens -= promptTokens;
  }

  /** A new entry for a running sequence; its prompt blocks are registered as they are computed. */
  Entry track(KvSequence kv) {
    return new Entry(kv, seed);
  }

  /** As {@link #track(KvSequence)} for a sequence whose keys chain from {@code root}. */
  Entry track(KvSequence kv, long root) {
    return new Entry(kv, root);
  }

  /** The root of the base model's keys. */
  long root() {
    return seed;
  }

  /**
   * Registers the sequence's prompt blocks that are computed and not yet registered.
   *
   * @param computedPromptTokens prompt tokens whose K/V are in the cache
   */
  void register(Entry entry, int[] prompt, int computedPromptTokens) {
    int full = computedPromptTokens / cache.blockSize();
    long parent = entry.keys.isEmpty() ? entry.root : entry.keys.getLast().chain();
    for (int i = entry.keys.size(); i < full; i++) {
      Key key = key(parent, prompt, i);
      index.computeIfAbsent(key, k -> new ArrayList<>(1)).add(new Location(entry, i));
      entry.keys.add(key);
      parent = key.chain();
    }
  }

  /** The running sequence ended: its entry becomes idle (evictable) once nobody reads it. */
  void retire(Entry entry) {
    entry.retired = true;
    release(entry);
  }

  void retain(Entry entry) {
    if (entry.refs++ == 0) {
      idle.remove(entry);
    }
  }

  void release(Entry entry) {
    if (--entry.refs == 0) {
      if (entry.keys.isEmpty()) {
        cache.release(entry.kv); // nothing worth keeping
      } else {
        idle.put(entry, Boolean.TRUE);
      }
    }
  }

  /** Evicts least recently used idle entries until {@code blocks} are free; false if it cannot. */
  boolean makeRoom(int blocks) {
    while (cache.freeBlocks() < blocks && evictOldest()) {
      // evicted one
    }
    return cache.freeBlocks() >= blocks;
  }

  /**
   * A new sequence with {@code tokens} reserved in one run of adjacent blocks, evicting least
   * recently used idle entries until the pool has such a run; null when eviction cannot make one
   * (nothing is reserved then). Enough free blocks in all are not enough: the engine's decode
   * reads a sequence in one run as a slice of the pool, and a single sequence in scattered blocks
   * sends its whole batch's step down the gather path (~2x the step on 110m at batch 16).
   */
  @Nullable KvSequence reserveRun(int tokens) {
    int blocks = blocksFor(tokens);
    do {
      if (cache.freeBlocks() >= blocks) {
        KvSequence kv = cache.newSequence();
        cache.reserveWhole(kv, tokens); // the best-fitting run whenever the pool has one
        if (kv.contiguousStart(tokens) >= 0) {
          return kv;
        }
        cache.release(kv);
      }
    } while (evictOldest());
    return null;
  }

  /** Evicts the least recently used idle entry and frees its blocks; false when none is idle. */
  private boolean evictOldest() {
    var it = idle.keySet().iterator();
    if (!it.hasNext()) {
      return false;
    }
    Entry e = it.next();
    it.remove();
    for (int i = 0; i < e.keys.size(); i++) {
      Key key = e.keys.get(i);
      List<Location> holders = index.get(key);
      if (holders != null) {
        holders.remove(new Location(e, i));
        if (holders.isEmpty()) {
          index.remove(key);
        }
      }
    }
    cache.release(e.kv);
    return true;
  }

  /** Drops every idle entry (unload, tests). */
  void clear() {
    makeRoom(Integer.MAX_VALUE);
  }

  private Key key(long parent, int[] prompt, int block) {
    int bs = cache.blockSize();
    return new Key(parent, Arrays.copyOfRange(prompt, block * bs, (block + 1) * bs));
  }
}
