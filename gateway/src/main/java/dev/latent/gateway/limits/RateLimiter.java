package dev.latent.gateway.limits;

import reactor.core.publisher.Mono;

/** Fixed-window counters per key. */
public interface RateLimiter {

  /** Counts one request unless the key is over its RPM or already over its TPM (-1: no limit). */
  Mono<Admission> admit(String keyId, long rpm, long tpm);

  /** Adds the real tokens of a finished request to the key's current window. */
  Mono<Void> charge(String keyId, long tokens);
}
