package dev.latent.inference.runtime;

import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's intra-op thread count for the runtime's engine threads (each model's scheduler and
 * prefill thread). PyTorch applies a count to the thread that sets it, but also keeps the last
 * count set globally and hands it to every thread that runs its first op later — so after one
 * model's prefill thread set 1 beside decode, a model loaded later would read 1 as "the default"
 * for its decode split and its lone prompt chunks. Here the default (one per core) is read once,
 * before this class sets any count, and every engine thread sets its own count explicitly.
 */
final class EngineThreads {

  private static int defaultCount; // PyTorch's own default, read before the first set

  private EngineThreads() {}

  /** The engine's full count: {@code configured} when > 0, else PyTorch's default. */
  static synchronized int full(int configured) {
    if (defaultCount == 0) {
      defaultCount = Math.max(1, JniUtils.getNumThreads());
    }
    return configured > 0 ? configured : defaultCount;
  }

  /** Sets the calling thread's count and returns the count it now runs with. */
  static int use(int count) {
    full(0); // the default is read before any count is set
    JniUtils.setNumThreads(count);
    return JniUtils.getNumThreads();
  }
}
