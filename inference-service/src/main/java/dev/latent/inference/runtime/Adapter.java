package dev.latent.inference.runtime;

import dev.latent.ml.llm.LoraWeights;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A LoRA adapter served on a base model as {@code base:adapter}. Reference counted: the registry
 * holds one reference while it is loaded and every sequence using it one more, so unloading
 * while streams run frees its weights only after the last of them ends.
 */
public final class Adapter {

  private static final AtomicLong GENERATIONS = new AtomicLong();

  private final String id;
  private final String base;
  private final String name;
  private final long created;
  private final LoraWeights weights;
  private final long prefixRoot;
  private final AtomicInteger refs = new AtomicInteger(1);

  Adapter(String base, String name, long created, LoraWeights weights) {
    this.id = base + ":" + name;
    this.base = base;
    this.name = name;
    this.created = created;
    this.weights = weights;
    // prefix-cache keys of this adapter's sequences start from here: K/V computed under one
    // adapter are never reused by another (nor by a later load of the same name)
    this.prefixRoot = (id.hashCode() * 0x9E3779B97F4A7C15L) ^ (GENERATIONS.incrementAndGet() << 32) ^ 0xADA97E5L;
  }

  /** {@code base:adapter}. */
  public String id() {
    return id;
  }

  public String base() {
    return base;
  }

  public String name() {
    return name;
  }

  public long created() {
    return created;
  }

  public int rank() {
    return weights.rank();
  }

  public double alpha() {
    return weights.alpha();
  }

  public java.util.List<String> targetModules() {
    return weights.targetModules();
  }

  LoraWeights weights() {
    return weights;
  }

  long prefixRoot() {
    return prefixRoot;
  }

  /** Takes a reference for a sequence; false when the adapter was unloaded meanwhile. */
  boolean acquire() {
    while (true) {
      int n = refs.get();
      if (n == 0) {
        return false;
      }
      if (refs.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Drops a reference; the last one frees the adapter's weights. */
  void release() {
    if (refs.decrementAndGet() == 0) {
      weights.close();
    }
  }
}
