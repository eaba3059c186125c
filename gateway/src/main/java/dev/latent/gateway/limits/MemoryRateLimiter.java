package dev.latent.gateway.limits;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Mono;

/** One gateway alone: counters in a map, updated atomically per key. */
final class MemoryRateLimiter implements RateLimiter {

  private final Clock clock;
  private final long windowMillis;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  MemoryRateLimiter(Clock clock, Duration window) {
    this.clock = clock;
    this.windowMillis = window.toMillis();
  }

  private record Window(long index, long requests, long tokens) {}

  @Override
  public Mono<Admission> admit(String keyId, long rpm, long tpm) {
    long now = clock.millis();
    long index = now / windowMillis;
    boolean[] allowed = new boolean[1];
    Window w = windows.compute(keyId, (k, old) -> {
      Window current = old == null || old.index() != index ? new Window(index, 0, 0) : old;
      boolean ok = (rpm < 0 || current.requests() < rpm) && (tpm < 0 || current.tokens() < tpm);
      allowed[0] = ok;
      return ok ? new Window(index, current.requests() + 1, current.tokens()) : current;
    });
    Duration reset = Duration.ofMillis((index + 1) * windowMillis - now);
    return Mono.just(new Admission(allowed[0], rpm, rpm < 0 ? -1 : Math.max(0, rpm - w.requests()),
        tpm, tpm < 0 ? -1 : Math.max(0, tpm - w.tokens()), reset));
  }

  @Override
  public Mono<Void> charge(String keyId, long tokens) {
    long index = clock.millis() / windowMillis;
    windows.compute(keyId, (k, old) -> old == null || old.index() != index
        ? new Window(index, 0, tokens) : new Window(index, old.requests(), old.tokens() + tokens));
    return Mono.empty();
  }
}
