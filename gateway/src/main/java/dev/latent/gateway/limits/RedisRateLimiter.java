package dev.latent.gateway.limits;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import reactor.core.publisher.Mono;

/**
 * Replicas share the counters in Redis. Check-and-count is one Lua script, so two gateways can
 * never both take the last request of a window. Windows are numbered from the gateways' clocks
 * (keep them NTP-synced); keys expire with their window.
 */
final class RedisRateLimiter implements RateLimiter {

  private static final RedisScript<List> ADMIT = RedisScript.of("""
      local requests = tonumber(redis.call('GET', KEYS[1]) or '0')
      local tokens = tonumber(redis.call('GET', KEYS[2]) or '0')
      local rpm = tonumber(ARGV[1])
      local tpm = tonumber(ARGV[2])
      if (rpm >= 0 and requests >= rpm) or (tpm >= 0 and tokens >= tpm) then
        return {0, requests, tokens}
      end
      requests = redis.call('INCR', KEYS[1])
      if requests == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
      return {1, requests, tokens}
      """, List.class);

  private static final RedisScript<Long> CHARGE = RedisScript.of("""
      local tokens = redis.call('INCRBY', KEYS[1], ARGV[1])
      if tokens == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
      return tokens
      """, Long.class);

  private final ReactiveStringRedisTemplate redis;
  private final Clock clock;
  private final long windowMillis;

  RedisRateLimiter(ReactiveStringRedisTemplate redis, Clock clock, Duration window) {
    this.redis = redis;
    this.clock = clock;
    this.windowMillis = window.toMillis();
  }

  @Override
  public Mono<Admission> admit(String keyId, long rpm, long tpm) {
    long now = clock.millis();
    long index = now / windowMillis;
    String prefix = "latent:rl:{" + keyId + "}:" + index;
    Duration reset = Duration.ofMillis((index + 1) * windowMillis - now);
    return redis.execute(ADMIT, List.of(prefix + ":r", prefix + ":t"),
            List.of(Long.toString(rpm), Long.toString(tpm), Long.toString(windowMillis * 2)))
        .next()
        .map(result -> {
          boolean allowed = ((Number) result.get(0)).longValue() == 1;
          long requests = ((Number) result.get(1)).longValue();
          long tokens = ((Number) result.get(2)).longValue();
          return new Admission(allowed, rpm, rpm < 0 ? -1 : Math.max(0, rpm - requests),
              tpm, tpm < 0 ? -1 : Math.max(0, tpm - tokens), reset);
        });
  }

  @Override
  public Mono<Void> charge(String keyId, long tokens) {
    long index = clock.millis() / windowMillis;
    return redis.execute(CHARGE, List.of("latent:rl:{" + keyId + "}:" + index + ":t"),
            List.of(Long.toString(tokens), Long.toString(windowMillis * 2)))
        .then();
  }
}
