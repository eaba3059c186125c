package dev.latent.ml.llm.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What one forward pass over {@code batch} sequences of {@code tokens} new tokens each needs
 * besides the hidden states. Without a cache (training, full recomputation) keys are the new
 * tokens themselves; with one, new K/V go to {@code writeSlots} and attention reads
 * {@code readSlots}.
 *
 * @param manager the step's scope: every intermediate array is attached to it
 * @param cos rotary table {@code [B, T, 1, ropeDim]}
 * @param sin rotary table {@code [B, T, 1, ropeDim]}
 * @param mask additive attention mask {@code [B, 1, T, L]} (0 or -inf); null when every key is visible
 * @param writeSlots cache slots for the new tokens {@code [B*T]}
 * @param readSlots cache slots each sequence attends to {@code [B, L]} (padding masked)
 * @param adapters per-sequence low-rank deltas (LoRA adapters) and the rows using each; null: none
 * @param sequences with a cache, where each sequence's keys are, for attention one sequence at a
 *     time (a slice of the pool, no gather, no padding); null: attend through {@code readSlots}
 */
public record Step(NDManager manager, int batch, int tokens, NDArray cos, NDArray sin, @Nullable NDArray mask,
    @Nullable PagedKvCache cache, @Nullable NDArray writeSlots, @Nullable NDArray readSlots,
    @Nullable List<LowRankDelta.Rows> adapters, @Nullable List<Keys> sequences) {

  /** A step without adapters. */
  public Step(NDManager manager, int batch, int tokens, NDArray cos, NDArray sin, @Nullable NDArray mask,
      @Nullable PagedKvCache cache, @Nullable NDArray writeSlots, @Nullable NDArray readSlots) {
    this(manager, batch, tokens, cos, sin, mask, cache, writeSlots, readSlots, null, null);
  }

  /**
   * One sequence's keys in the cache after this step's write: {@code length} tokens starting at
   * pool row {@code start} when its blocks are adjacent ({@code slots} null), else at the rows
   * {@code slots [length]}; {@code mask [1, T, length]} (0 or -inf) or null when every key is visible.
   */
  public record Keys(int length, long start, @Nullable NDArray slots, @Nullable NDArray mask) {}

  public int rows() {
    return batch * tokens;
  }
}
