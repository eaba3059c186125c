package dev.latent.gateway.ledger;

import dev.latent.support.problem.ProblemException;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.spi.Readable;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Reserve → capture | release, each committed before the caller hears back, many of them per
 * transaction ({@link GroupCommit}), written a batch at a time ({@link LedgerBatch}). Overspending is impossible because the hold is one
 * conditional UPDATE ({@code spent + reserved + amount <= limit}) that the database serialises
 * per key and period; billing happens exactly once because capture first deletes the reservation
 * and only the write that deleted it goes on to write the usage record; a request id is accepted
 * once: while it is open (the reservation's key) and after it was billed (the usage record's).
 */
@Component
public class BudgetLedger {

  private static final Logger log = LoggerFactory.getLogger(BudgetLedger.class);

  private final LedgerDatabase db;
  private final GroupCommit<LedgerBatch.Write, LedgerBatch.Outcome> writes;
  private final int maxQueue;

  BudgetLedger(LedgerDatabase db, LedgerProperties properties, MeterRegistry meters) {
    this.db = db;
    LedgerBatch batch = new LedgerBatch(db.isPostgres(), r -> release(r).subscribe(null,
        e -> log.warn("could not release abandoned {}: {}", r.requestId(), e.toString())));
    this.writes = new GroupCommit<>(db, properties, meters, batch);
    this.maxQueue = properties.maxQueue();
  }

  /**
   * Holds {@code r.amount()} against the key's budget ({@code limit}, null for none). 402
   * {@code insufficient_quota} when it does not fit; 409 when the request id was used before
   * (still open, or already billed); 503 when the ledger's write queue is full. Completes once the
   * hold is committed, on the ledger's thread: a caller with more work moves it on itself.
   */
  public Mono<Void> reserve(Reservation r, @Nullable BigDecimal limit) {
    if (writes.queued() >= maxQueue) {
      return Mono.error(ProblemException.overloaded(HttpStatus.SERVICE_UNAVAILABLE,
          "The usage ledger is behind; try again shortly", Duration.ofSeconds(1)));
    }
    return writes.submit(new LedgerBatch.Hold(r, limit)).flatMap(hold -> switch (hold) {
      case HELD -> Mono.<Void>empty();
      case INSUFFICIENT -> Mono.error(insufficientQuota(r, Objects.requireNonNull(limit)));
      case DUPLICATE -> Mono.error(new ProblemException(HttpStatus.CONFLICT, "conflict",
          "Request id " + r.requestId() + " was already used", "duplicate_request_id", null));
      default -> Mono.error(new IllegalStateException("hold answered " + hold));
    });
  }

  private static ProblemException insufficientQuota(Reservation r, BigDecimal limit) {
    return new ProblemException(HttpStatus.PAYMENT_REQUIRED, "insufficient-quota",
        "You exceeded your current quota: this request could cost up to " + r.amount().stripTrailingZeros().toPlainString()
            + " and the key's budget of " + limit.stripTrailingZeros().toPlainString() + " does not cover it",
        "insufficient_quota", null).with("reserved_amount", r.amount());
  }

  /**
   * Bills {@code usage} and frees the rest of the hold; false when the request was already settled.
   * Completes once the record is committed (on the ledger's thread).
   */
  public Mono<Boolean> capture(Reservation r, UsageRecord usage) {
    return writes.submit(new LedgerBatch.Settle(r, usage)).map(outcome -> outcome == LedgerBatch.Outcome.SETTLED);
  }

  /** Frees the whole hold without billing (the request never reached a backend, or was refused). */
  public Mono<Boolean> release(Reservation r) {
    return writes.submit(new LedgerBatch.Settle(r, null)).map(outcome -> outcome == LedgerBatch.Outcome.SETTLED);
  }

  /** Reservations admitted before {@code before}: the reconciler's work list. */
  public Flux<Reservation> openBefore(Instant before) {
    return openBefore(before, null);
  }

  /** Those, and every open one whose request id starts with {@code alwaysPrefix} (however young). */
  public Flux<Reservation> openBefore(Instant before, @Nullable String alwaysPrefix) {
    String sql = "select request_id, key_id, tenant, model, backend, period_start, amount, created_at from "
        + "reservations where created_at < :before" + (alwaysPrefix == null ? "" : " or request_id like :prefix")
        + " order by created_at";
    DatabaseClient.GenericExecuteSpec spec = db.client().sql(sql).bind("before", utc(before));
    if (alwaysPrefix != null) {
      spec = spec.bind("prefix", alwaysPrefix.replace("%", "").replace("_", "") + "%");
    }
    return db.flux(spec.map(BudgetLedger::readReservation).all());
  }

  /** What a key has spent and holds in the period starting at {@code periodStart}. */
  public Mono<BigDecimal[]> budgetState(String keyId, Instant periodStart) {
    return db.mono(db.client().sql("select spent, reserved from budget_usage where key_id = :key and period_start = :period")
        .bind("key", keyId).bind("period", utc(periodStart))
        .map(row -> new BigDecimal[] {row.get("spent", BigDecimal.class), row.get("reserved", BigDecimal.class)})
        .one());
  }

  private static Reservation readReservation(Readable row) {
    OffsetDateTime period = row.get("period_start", OffsetDateTime.class);
    return new Reservation(Objects.requireNonNull(row.get("request_id", String.class)),
        Objects.requireNonNull(row.get("key_id", String.class)),
        Objects.requireNonNull(row.get("tenant", String.class)),
        Objects.requireNonNull(row.get("model", String.class)),
        Objects.requireNonNull(row.get("backend", String.class)),
        period == null ? null : period.toInstant(),
        Objects.requireNonNull(row.get("amount", BigDecimal.class)),
        Objects.requireNonNull(row.get("created_at", OffsetDateTime.class)).toInstant());
  }

  static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }
}
