package dev.latent.inference.usage;

import dev.latent.inference.openai.Usage;
import java.time.Clock;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * Usage per request id, written by the runtime at every step and read by the gateway. Entries
 * expire after the retention; expiry is swept on writes, oldest first (insertion order is
 * expiry order because the retention is one fixed duration).
 */
@Component
public class UsageStore {

  private record Entry(UsageRecord record, Instant expires) {}

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> order = new ConcurrentLinkedQueue<>();
  private final UsageProperties properties;
  private final Clock clock;

  @org.springframework.beans.factory.annotation.Autowired
  public UsageStore(UsageProperties properties) {
    this(properties, Clock.systemUTC());
  }

  UsageStore(UsageProperties properties, Clock clock) {
    this.properties = properties;
    this.clock = clock;
  }

  /** Records (or replaces) the usage of a request. */
  public void put(String requestId, String model, boolean finished, @Nullable String finishReason,
      Usage usage) {
    String status = finished ? UsageRecord.FINAL : UsageRecord.RUNNING;
    var entry = new Entry(new UsageRecord(requestId, model, status, finishReason, usage),
        clock.instant().plus(properties.retention()));
    if (entries.put(requestId, entry) == null) {
      order.add(requestId);
    }
    sweep();
  }

  /** Forgets a request that was never accepted (nothing to bill). */
  public void remove(String requestId) {
    entries.remove(requestId);
  }

  /**
   * The key of choice (or prompt) {@code index} of a request: the request id itself for the first,
   * {@code id#index} for the others, so that {@link #get} can add them up.
   */
  public static String choiceId(String requestId, int index) {
    return index == 0 ? requestId : requestId + "#" + index;
  }

  /**
   * A request's usage: with several choices or prompts, their sum; {@code final} once all are.
   */
  public Optional<UsageRecord> get(String requestId) {
    Optional<UsageRecord> first = one(requestId);
    if (first.isEmpty()) {
      return first;
    }
    UsageRecord sum = first.get();
    for (int i = 1; ; i++) {
      Optional<UsageRecord> next = one(choiceId(requestId, i));
      if (next.isEmpty()) {
        return Optional.of(sum);
      }
      UsageRecord r = next.get();
      String status = sum.status().equals(UsageRecord.FINAL) && r.status().equals(UsageRecord.FINAL)
          ? UsageRecord.FINAL : UsageRecord.RUNNING;
      sum = new UsageRecord(requestId, sum.model(), status, sum.finishReason(),
          Usage.sum(sum.usage(), r.usage()));
    }
  }

  private Optional<UsageRecord> one(String key) {
    Entry entry = entries.get(key);
    if (entry == null || entry.expires().isBefore(clock.instant())) {
      return Optional.empty();
    }
    return Optional.of(entry.record());
  }

  public int size() {
    return entries.size();
  }

  private void sweep() {
    Instant now = clock.instant();
    Iterator<String> it = order.iterator();
    while (it.hasNext()) {
      String id = it.next();
      Entry e = entries.get(id);
      boolean tooMany = entries.size() > properties.maxEntries();
      if (e != null && !tooMany && !e.expires().isBefore(now)) {
        // Running requests are refreshed in place, so the queue head is the oldest write only
        // approximately; stopping at the first live one keeps writes O(1) amortised.
        return;
      }
      it.remove();
      if (e != null) {
        entries.remove(id, e);
      }
    }
  }
}
