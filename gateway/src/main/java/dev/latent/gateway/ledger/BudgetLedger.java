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
import java.util.function.Function;
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
 * transaction ({@link GroupCommit}). Overspending is impossible because the hold is one
 * conditional UPDATE ({@code spent + reserved + amount <= limit}) that the database serialises
 * per key and period; billing happens exactly once because capture first deletes the reservation
 * and only the write that deleted it goes on to write the usage record; a request id is accepted
 * once: while it is open (the reservation's key) and after it was billed (the usage record's).
 */
@Component
public class BudgetLedger {

  private static final Logger log = LoggerFactory.getLogger(BudgetLedger.class);

  private final LedgerDatabase db;
  private final GroupCommit writes;
  private final int maxQueue;

  BudgetLedger(LedgerDatabase db, LedgerProperties properties, MeterRegistry meters) {
    this.db = db;
    this.writes = new GroupCommit(db, properties, meters);
    this.maxQueue = properties.maxQueue();
  }

  private enum Hold { HELD, INSUFFICIENT, DUPLICATE }

  /**
   * Holds {@code r.amount()} against the key's budget ({@code limit}, null for none). 402
   * {@code insufficient_quota} when it does not fit; 409 when the request id was used before
   * (still open, or already billed); 503 when the ledger's write queue is full. Completes once the
   * hold is committed.
   */
  public Mono<Void> reserve(Reservation r, @Nullable BigDecimal limit) {
    if (writes.queued() >= maxQueue) {
      return Mono.error(ProblemException.overloaded(HttpStatus.SERVICE_UNAVAILABLE,
          "The usage ledger is behind; try again shortly", Duration.ofSeconds(1)));
    }
    return writes.submit(new GroupCommit.Write<Hold>() {
      @Override
      public String keyId() {
        return r.keyId();
      }

      @Override
      public Mono<Hold> run(DatabaseClient client) {
        return reserve(client, r, limit);
      }

      @Override
      public void abandoned(Hold result) {
        if (result == Hold.HELD) { // nobody will settle it: give the hold back now
          release(r).subscribe(null, e -> log.warn("could not release abandoned {}: {}", r.requestId(), e.toString()));
        }
      }
    }).flatMap(hold -> switch (hold) {
      case HELD -> Mono.<Void>empty();
      case INSUFFICIENT -> Mono.error(insufficientQuota(r, Objects.requireNonNull(limit)));
      case DUPLICATE -> Mono.error(new ProblemException(HttpStatus.CONFLICT, "conflict",
          "Request id " + r.requestId() + " was already used", "duplicate_request_id", null));
    });
  }

  private static Mono<Hold> reserve(DatabaseClient client, Reservation r, @Nullable BigDecimal limit) {
    return insertReservation(client, r).flatMap(inserted -> {
      if (inserted == 0) {
        return Mono.just(Hold.DUPLICATE); // open under this id right now, or billed before
      }
      return limit == null || r.periodStart() == null ? Mono.just(Hold.HELD)
          : hold(client, r, limit).flatMap(ok -> ok ? Mono.just(Hold.HELD)
              : deleteReservation(client, r.requestId()).thenReturn(Hold.INSUFFICIENT));
    });
  }

  private static Mono<Boolean> hold(DatabaseClient client, Reservation r, BigDecimal limit) {
    Mono<Long> update = Mono.defer(() -> client.sql("update budget_usage set reserved = reserved + :amount "
            + "where key_id = :key and period_start = :period and spent + reserved + :amount <= :limit")
        .bind("amount", r.amount()).bind("key", r.keyId()).bind("period", utc(Objects.requireNonNull(r.periodStart())))
        .bind("limit", limit).fetch().rowsUpdated());
    Mono<Long> ensureRow = Mono.defer(() -> client.sql("insert into budget_usage (key_id, period_start, spent, reserved) "
            + "values (:key, :period, 0, 0) on conflict do nothing")
        .bind("key", r.keyId()).bind("period", utc(Objects.requireNonNull(r.periodStart()))).fetch().rowsUpdated());
    return update
        .flatMap(n -> n > 0 ? Mono.just(n) : ensureRow.then(update))
        .map(n -> n > 0);
  }

  private static ProblemException insufficientQuota(Reservation r, BigDecimal limit) {
    return new ProblemException(HttpStatus.PAYMENT_REQUIRED, "insufficient-quota",
        "You exceeded your current quota: this request could cost up to " + r.amount().stripTrailingZeros().toPlainString()
            + " and the key's budget of " + limit.stripTrailingZeros().toPlainString() + " does not cover it",
        "insufficient_quota", null).with("reserved_amount", r.amount());
  }

  private static Mono<Long> insertReservation(DatabaseClient client, Reservation r) {
    // One statement for both ways an id is spent: open right now (the key) or billed before (the
    // usage record); a separate check cost a statement per admission.
    DatabaseClient.GenericExecuteSpec spec = client.sql("insert into reservations (request_id, key_id, tenant, "
            + "model, backend, period_start, amount, created_at) select :id, :key, :tenant, :model, :backend, "
            + ":period, :amount, :created where not exists (select 1 from usage_records where request_id = :id) "
            + "on conflict do nothing")
        .bind("id", r.requestId()).bind("key", r.keyId()).bind("tenant", r.tenant()).bind("model", r.model())
        .bind("backend", r.backend()).bind("amount", r.amount()).bind("created", utc(r.createdAt()));
    spec = r.periodStart() == null ? spec.bindNull("period", OffsetDateTime.class)
        : spec.bind("period", utc(r.periodStart()));
    return spec.fetch().rowsUpdated();
  }

  /**
   * Bills {@code usage} and frees the rest of the hold; false when the request was already settled.
   * Completes once the record is committed.
   */
  public Mono<Boolean> capture(Reservation r, UsageRecord usage) {
    return writes.submit(write(r, client -> deleteReservation(client, r.requestId()).flatMap(deleted -> {
      if (deleted == 0) {
        return Mono.just(false);
      }
      return insertUsage(client, usage)
          .then(settleBudget(client, r, usage.charge().cost()))
          .thenReturn(true);
    })));
  }

  /** Frees the whole hold without billing (the request never reached a backend, or was refused). */
  public Mono<Boolean> release(Reservation r) {
    return writes.submit(write(r, client -> deleteReservation(client, r.requestId()).flatMap(deleted ->
        deleted == 0 ? Mono.just(false) : settleBudget(client, r, BigDecimal.ZERO).thenReturn(true))));
  }

  private static GroupCommit.Write<Boolean> write(Reservation r, Function<DatabaseClient, Mono<Boolean>> work) {
    return new GroupCommit.Write<>() {
      @Override
      public String keyId() {
        return r.keyId();
      }

      @Override
      public Mono<Boolean> run(DatabaseClient client) {
        return work.apply(client);
      }
    };
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

  private static Mono<Long> deleteReservation(DatabaseClient client, String requestId) {
    return client.sql("delete from reservations where request_id = :id").bind("id", requestId)
        .fetch().rowsUpdated();
  }

  private static Mono<Void> settleBudget(DatabaseClient client, Reservation r, BigDecimal cost) {
    if (r.periodStart() == null) {
      return Mono.empty();
    }
    return client.sql("update budget_usage set reserved = reserved - :amount, spent = spent + :cost "
            + "where key_id = :key and period_start = :period")
        .bind("amount", r.amount()).bind("cost", cost).bind("key", r.keyId())
        .bind("period", utc(r.periodStart())).fetch().rowsUpdated().then();
  }

  private static Mono<Void> insertUsage(DatabaseClient client, UsageRecord u) {
    DatabaseClient.GenericExecuteSpec spec = client.sql("insert into usage_records (request_id, key_id, tenant, model, "
            + "prompt_cache_hit_tokens, prompt_cache_miss_tokens, completion_tokens, reasoning_tokens, "
            + "price_input_cache_hit, price_input_cache_miss, price_output, price_multiplier, cost, currency, status, "
            + "created_at, unit, units, price_unit) values (:id, :key, :tenant, :model, :hit, :miss, :completion, "
            + ":reasoning, :phit, :pmiss, :pout, :mult, :cost, :currency, :status, :created, :unit, :units, :punit)")
        .bind("id", u.requestId()).bind("key", u.keyId()).bind("tenant", u.tenant()).bind("model", u.model())
        .bind("hit", u.tokens().promptCacheHit()).bind("miss", u.tokens().promptCacheMiss())
        .bind("completion", u.tokens().completion()).bind("reasoning", u.tokens().reasoning())
        .bind("phit", u.charge().price().inputCacheHit()).bind("pmiss", u.charge().price().inputCacheMiss())
        .bind("pout", u.charge().price().output()).bind("mult", u.charge().multiplier())
        .bind("cost", u.charge().cost()).bind("currency", u.charge().price().currency())
        .bind("status", u.status()).bind("created", utc(u.createdAt()))
        .bind("units", u.units()).bind("punit", u.unitPrice());
    spec = u.unit() == null ? spec.bindNull("unit", String.class) : spec.bind("unit", u.unit());
    return spec.fetch().rowsUpdated().then();
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
