package dev.latent.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.ml.llm.ModelOptions;
import dev.latent.ml.llm.Transformer;
import dev.latent.ml.llm.TransformerConfig;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** On a tiny seeded engine model: hits give the same logits as computing, LRU eviction. */
class PrefixCacheTest {

  static final int BLOCK = 4;

  Transformer model;
  PagedKvCache cache;
  PrefixCache prefixes;

  @BeforeEach
  void setUp() {
    model = Transformer.random(TransformerConfig.llama(32, 2, 4, 2, 48, 97), 3, ModelOptions.cpu());
    cache = model.newKvCache(12, BLOCK);
    prefixes = new PrefixCache(cache, 11);
  }

  @AfterEach
  void tearDown() {
    cache.close();
    model.close();
  }

  private static int[] prompt(int length, int salt) {
    return IntStream.range(0, length).map(i -> (i * 7 + salt) % 97).toArray();
  }

  /** Runs a prompt as the scheduler does and retires it into the cache; returns its logits. */
  private float[] runAndRetire(int[] prompt) {
    var kv = cache.newSequence();
    var entry = prefixes.track(kv);
    var hits = prefixes.lookup(prompt);
    int cached = prefixes.copyInto(kv, hits);
    float[] logits = model.prefill(kv, java.util.Arrays.copyOfRange(prompt, cached, prompt.length));
    prefixes.register(entry, prompt, prompt.length);
    prefixes.retire(entry);
    return logits;
  }

  @Test
  void aHitSkipsItsBlocksAndGivesTheLogitsOfAFullPrefill() {
    int[] prompt = prompt(13, 1);
    float[] cold = runAndRetire(prompt);
    var hits = prefixes.lookup(prompt);
    assertThat(hits).hasSize(3); // (13 - 1) / 4 full blocks; the last token is always computed
    var kv = cache.newSequence();
    assertThat(prefixes.copyInto(kv, hits)).isEqualTo(12);
    float[] warm = model.prefill(kv, new int[] {prompt[12]});
    for (int i = 0; i < cold.length; i++) {
      assertThat(warm[i]).isCloseTo(cold[i], org.assertj.core.data.Offset.offset(1e-4f));
    }
    cache.release(kv);
    assertThat(prefixes.hitRate()).isGreaterThan(0);
  }

  @Test
  void aLookupAdmissionGaveUpOnDoesNotCountTowardTheHitRate() {
    int[] prompt = prompt(13, 1);
    runAndRetire(prompt); // 13 prompt tokens looked up, none hit
    prefixes.abandon(prefixes.lookup(prompt), prompt.length); // the request waits, looks up again
    var kv = cache.newSequence();
    assertThat(prefixes.copyInto(kv, prefixes.lookup(prompt))).isEqualTo(12);
    assertThat(prefixes.hitRate()).isEqualTo(12.0 / 26);
    cache.release(kv);
  }

  @Test
  void aDifferentPrefixMissesAndASharedFirstBlockHitsOnlyThatBlock() {
    runAndRetire(prompt(13, 1));
    assertThat(prefixes.lookup(prompt(13, 2))).isEmpty();
    int[] branch = prompt(13, 1);
    branch[5] = 96; // differs inside the second block
    var hits = prefixes.lookup(branch);
    assertThat(hits).hasSize(1);
    prefixes.releaseAll(hits);
  }

  @Test
  void aPrefixSurvivesTheEvictionOfItsFirstHolderWhileACopyIsCached() {
    int[] prompt = prompt(9, 1);
    runAndRetire(prompt); // entry A: 3 blocks, 2 full prompt blocks registered
    runAndRetire(prompt); // entry B: copied A's 2 blocks, holds them too
    runAndRetire(prompt(13, 5)); // entry C, most recent
    assertThat(prefixes.makeRoom(cache.freeBlocks() + 1)).isTrue(); // evicts A only
    var hits = prefixes.lookup(prompt);
    assertThat(hits).hasSize(2);
    prefixes.releaseAll(hits);
  }

  @Test
  void idleEntriesAreEvictedLeastRecentlyUsedFirstWhenBlocksAreNeeded() {
    runAndRetire(prompt(13, 1)); // 4 blocks
    runAndRetire(prompt(13, 2)); // 4 blocks
    assertThat(cache.freeBlocks()).isEqualTo(4);
    // Reading the first entry makes the second the least recently used one.
    prefixes.releaseAll(prefixes.lookup(prompt(13, 1)));
    assertThat(prefixes.makeRoom(8)).isTrue();
    assertThat(prefixes.lookup(prompt(13, 2))).isEmpty();
    var kept = prefixes.lookup(prompt(13, 1));
    assertThat(kept).hasSize(3);
    prefixes.releaseAll(kept);
    assertThat(prefixes.makeRoom(12)).isTrue();
    assertThat(cache.freeBlocks()).isEqualTo(12);
    assertThat(prefixes.makeRoom(13)).isFalse();
  }

  /**
   * Fills the pool with one-block sequences, then frees every even block and retires the
   * sequences at blocks 1, 3, ... (the first {@code idle} odd ones, in that order) as idle entries
   * holding a cached prompt block each ({@code prompt(5, block)}); the other odd blocks stay held.
   * Six blocks are free then, and no two of them are adjacent.
   */
  private void fragment(int idle) {
    var byBlock = new java.util.TreeMap<Integer, dev.latent.ml.llm.cache.KvSequence>();
    while (cache.freeBlocks() > 0) {
      var kv = cache.newSequence();
      cache.reserve(kv, BLOCK);
      byBlock.put(kv.blocks().getFirst(), kv);
    }
    int retired = 0;
    for (var e : byBlock.entrySet()) {
      int block = e.getKey();
      if (block % 2 == 0) {
        cache.release(e.getValue());
      } else if (retired < idle) {
        retired++;
        e.getValue().advance(BLOCK);
        var entry = prefixes.track(e.getValue());
        prefixes.register(entry, prompt(5, block), BLOCK);
        prefixes.retire(entry);
      }
    }
  }

  private int cachedBlocks(int[] prompt) {
    var hits = prefixes.lookup(prompt);
    prefixes.releaseAll(hits);
    return hits.size();
  }

  @Test
  void aNewSequenceGetsOneRunOfBlocksEvictingIdleEntriesEvenWhenEnoughAreFreeInAll() {
    fragment(2);
    assertThat(cache.freeBlocks()).isEqualTo(6); // three sequences' worth, but no two adjacent
    var kv = prefixes.reserveRun(2 * BLOCK);
    assertThat(kv).isNotNull();
    assertThat(kv.contiguousStart(2 * BLOCK)).isNotNegative();
    assertThat(cachedBlocks(prompt(5, 1))).isZero(); // the least recently used entry made the run
    assertThat(cachedBlocks(prompt(5, 3))).isEqualTo(1); // the other stays cached
    cache.release(kv);
  }

  @Test
  void withNothingIdleToEvictNoRunMeansNoSequenceAndNothingTaken() {
    fragment(0);
    assertThat(prefixes.reserveRun(2 * BLOCK)).isNull();
    assertThat(cache.freeBlocks()).isEqualTo(6);
    var one = prefixes.reserveRun(BLOCK); // a single block is always a run
    assertThat(one).isNotNull();
    assertThat(cache.freeBlocks()).isEqualTo(5);
  }
}
