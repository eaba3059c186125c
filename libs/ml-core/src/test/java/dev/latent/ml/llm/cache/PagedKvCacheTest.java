package dev.latent.ml.llm.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.TransformerConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Block placement: sequences stay adjacent while the pool allows, and trim returns the rest. */
class PagedKvCacheTest {

  private static PagedKvCache cache(int blocks) {
    return new PagedKvCache(TransformerConfig.llama(16, 1, 2, 2, 32, 50), blocks, 4, DataType.FLOAT32,
        Device.cpu());
  }

  @Test
  void interleavedGrowthKeepsEverySequenceAdjacent() {
    try (PagedKvCache cache = cache(32)) {
      List<KvSequence> seqs = List.of(cache.newSequence(), cache.newSequence(), cache.newSequence());
      for (int tokens = 1; tokens <= 24; tokens++) { // one token at a time, in turn, like decode
        for (KvSequence s : seqs) {
          cache.reserve(s, tokens);
          s.advance(1);
        }
      }
      for (KvSequence s : seqs) {
        assertThat(s.contiguousStart(24)).as("blocks %s", s.blocks()).isGreaterThanOrEqualTo(0);
      }
      assertThat(cache.freeBlocks()).isEqualTo(32 - 3 * 6);
    }
  }

  @Test
  void trimReturnsTheBlocksPastTheCachedLength() {
    try (PagedKvCache cache = cache(8)) {
      KvSequence s = cache.newSequence();
      cache.reserve(s, 20); // 5 blocks
      s.advance(6);
      cache.trim(s);
      assertThat(s.blocks()).hasSize(2);
      assertThat(cache.freeBlocks()).isEqualTo(6);
      assertThat(s.contiguousStart(6)).isEqualTo(s.blocks().getFirst() * 4L);
    }
  }

  @Test
  void aFragmentedPoolStillServesAndAFullOneTakesNothing() {
    try (PagedKvCache cache = cache(6)) {
      KvSequence[] ones = new KvSequence[6];
      for (int i = 0; i < 6; i++) {
        ones[i] = cache.newSequence();
        cache.reserve(ones[i], 1);
      }
      for (int i = 0; i < 6; i++) {
        if (ones[i].blocks().getFirst() % 2 == 0) {
          cache.release(ones[i]);
        }
      }
      KvSequence s = cache.newSequence();
      cache.reserve(s, 12); // 3 blocks, no 2 adjacent free
      assertThat(s.blocks()).hasSize(3);
      assertThat(s.contiguousStart(12)).isEqualTo(-1);
      KvSequence t = cache.newSequence();
      assertThatThrownBy(() -> cache.reserve(t, 1)).isInstanceOf(KvCacheFullException.class);
      assertThat(t.blocks()).isEmpty();
    }
  }

  @Test
  void wholeReservationsTakeTheBestFittingRunSoTheNextStillFindsOne() {
    for (boolean whole : new boolean[] {true, false}) {
      try (PagedKvCache cache = cache(12)) {
        KvSequence a = cache.newSequence();
        KvSequence b = cache.newSequence();
        KvSequence c = cache.newSequence();
        KvSequence d = cache.newSequence();
        cache.reserveWhole(a, 12); // blocks 0-2
        cache.reserveWhole(b, 8); // 3-4
        cache.reserveWhole(c, 24); // 5-10
        cache.reserveWhole(d, 4); // 11
        assertThat(List.of(a.blocks(), d.blocks())).containsExactly(List.of(0, 1, 2), List.of(11));
        cache.release(a);
        cache.release(c); // free runs: 0-2 and 5-10
        KvSequence e = cache.newSequence();
        KvSequence f = cache.newSequence();
        if (whole) {
          cache.reserveWhole(e, 12);
          cache.reserveWhole(f, 24);
          assertThat(e.blocks()).containsExactly(0, 1, 2);
          assertThat(f.contiguousStart(24)).as("blocks %s", f.blocks()).isEqualTo(5 * 4L);
        } else { // growing placement: the middle of the largest run, which splits it
          cache.reserve(e, 12);
          cache.reserve(f, 24);
          assertThat(e.blocks()).containsExactly(6, 7, 8);
          assertThat(f.contiguousStart(24)).as("blocks %s", f.blocks()).isEqualTo(-1);
        }
      }
    }
  }
}
