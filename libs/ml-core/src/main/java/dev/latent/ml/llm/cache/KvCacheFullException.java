package dev.latent.ml.llm.cache;

/** No free block is left; the serving runtime should preempt or reject (a 429/503 upstream). */
public class KvCacheFullException extends RuntimeException {

  public KvCacheFullException(String message) {
    super(message);
  }
}
