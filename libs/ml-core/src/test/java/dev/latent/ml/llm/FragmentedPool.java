package dev.latent.ml.llm;

import dev.latent.ml.llm.cache.KvSequence;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Test set-up: a pool left with no two adjacent free blocks, so the next sequence is scattered. */
final class FragmentedPool {

  private FragmentedPool() {}

  /**
   * Fills {@code cache} with one-block sequences, then frees every other block in pool order;
   * returns the sequences still holding the blocks in between.
   */
  static List<KvSequence> holdEveryOtherBlock(PagedKvCache cache) {
    List<KvSequence> fillers = new ArrayList<>();
    while (cache.freeBlocks() > 0) {
      KvSequence f = cache.newSequence();
      cache.reserve(f, 1);
      fillers.add(f);
    }
    fillers.sort(Comparator.comparing(f -> f.blocks().getFirst()));
    List<KvSequence> held = new ArrayList<>();
    for (int i = 0; i < fillers.size(); i++) {
      if (i % 2 == 0) {
        cache.release(fillers.get(i));
      } else {
        held.add(fillers.get(i));
      }
    }
    return held;
  }
}
