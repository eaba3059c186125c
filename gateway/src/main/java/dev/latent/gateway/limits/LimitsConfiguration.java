package dev.latent.gateway.limits;

import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/** Memory or Redis, as {@code latent.gateway.limits.store} says. */
@Configuration(proxyBeanMethods = false)
class LimitsConfiguration {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LimitsConfiguration.class);

  /**
   * Lettuce opens its shared connection lazily and waits for it on the calling thread; opened
   * here, at startup, no request thread ever waits for it (later reconnects are asynchronous).
   */
  private static void connectNow(ReactiveStringRedisTemplate template) {
    try {
      template.getConnectionFactory().getReactiveConnection().ping().block(java.time.Duration.ofSeconds(10));
    } catch (RuntimeException e) {
      log.warn("Redis for rate limits is not reachable yet: {}", e.toString());
    }
  }

  @Bean
  RateLimiter rateLimiter(LimitsProperties properties, Clock clock,
      ObjectProvider<ReactiveStringRedisTemplate> redis) {
    if ("redis".equals(properties.store())) {
      ReactiveStringRedisTemplate template = redis.getObject();
      connectNow(template);
      return new RedisRateLimiter(template, clock, properties.window());
    }
    return new MemoryRateLimiter(clock, properties.window());
  }
}
