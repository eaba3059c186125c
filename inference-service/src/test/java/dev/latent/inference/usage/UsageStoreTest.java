package dev.latent.inference.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.inference.openai.Usage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class UsageStoreTest {

  static final class MovableClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void keepsTheLatestRecordUntilTheRetentionEnds() {
    var clock = new MovableClock();
    var store = new UsageStore(new UsageProperties(Duration.ofMinutes(15), 100), clock);
    store.put("a", "m", false, null, Usage.of(10, 4, 1, 0));
    store.put("a", "m", true, "stop", Usage.of(10, 4, 3, 1));
    var record = store.get("a").orElseThrow();
    assertThat(record.status()).isEqualTo("final");
    assertThat(record.usage().completionTokens()).isEqualTo(3);
    assertThat(record.usage().promptCacheHitTokens() + record.usage().promptCacheMissTokens())
        .isEqualTo(10);
    clock.now = clock.now.plus(Duration.ofMinutes(14));
    assertThat(store.get("a")).isPresent();
    clock.now = clock.now.plus(Duration.ofMinutes(2));
    assertThat(store.get("a")).isEmpty();
    store.put("b", "m", true, "stop", Usage.of(1, 0, 1, 0));
    assertThat(store.size()).isEqualTo(1); // "a" swept on write
  }

  @Test
  void forgetsTheOldestBeyondMaxEntries() {
    var store = new UsageStore(new UsageProperties(Duration.ofMinutes(15), 3), new MovableClock());
    for (int i = 0; i < 5; i++) {
      store.put("r" + i, "m", true, "stop", Usage.of(1, 0, 1, 0));
    }
    assertThat(store.size()).isEqualTo(3);
    assertThat(store.get("r0")).isEmpty();
    assertThat(store.get("r4")).isPresent();
  }
}
