package dev.latent.gateway.ledger;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Writes one group-commit flush with one statement per kind of change for the whole batch, each
 * request a binding of it ({@link BatchStatements}: PostgreSQL pipelines the bindings in one round
 * trip, H2 runs its prepared command once per binding), instead of two or three
 * statements per request. Each binding still reports its own row count, so every request gets the
 * outcome it would get alone:
 *
 * <ul>
 *   <li>settlements first (they free budget): delete the reservation; only the bindings that
 *       deleted a row bill — usage record, and {@code reserved → spent} summed per key and period
 *       (the delete is what makes billing exactly-once);
 *   <li>then holds: insert the reservation ({@code where not exists} a usage record of the id,
 *       {@code on conflict do nothing}: 0 rows = the id was used before), then the conditional
 *       {@code spent + reserved + amount <= limit} update — once per key and period for the sum of
 *       its holds, and where that sum does not fit, one binding per hold in batch order — so the
 *       database serialises them and the budget cannot be overspent. Holds that found no budget
 *       row get one created and are tried once more; those still refused are deleted.
 * </ul>
 *
 * On PostgreSQL the batch's budget rows are first locked in key order, so two replicas' batches
 * cannot deadlock on them whatever order the statements touch them in.
 */
final class LedgerBatch implements GroupCommit.Writer<LedgerBatch.Write, LedgerBatch.Outcome> {

  enum Outcome { HELD, INSUFFICIENT, DUPLICATE, SETTLED, NOT_OPEN }

  sealed interface Write extends GroupCommit.Write permits Hold, Settle {
    Reservation reservation();

    @Override
    default String keyId() {
      return reservation().keyId();
    }
  }

  /** Admission: reserve {@code reservation.amount()} against {@code limit} (null: no budget). */
  record Hold(Reservation reservation, @Nullable BigDecimal limit) implements Write {}

  /** The end of a request: bill {@code usage}, or release the hold unbilled when it is null. */
  record Settle(Reservation reservation, @Nullable UsageRecord usage) implements Write {

    /** Nobody waits on a settlement: it may wait for a hold's flush (settleLinger). */
    @Override
    public boolean urgent() {
      return false;
    }
  }

  private static final String DELETE_RESERVATION = "delete from reservations where request_id = $1";
  private static final String INSERT_USAGE = "insert into usage_records (request_id, key_id, tenant, model, "
      + "prompt_cache_hit_tokens, prompt_cache_miss_tokens, completion_tokens, reasoning_tokens, "
      + "price_input_cache_hit, price_input_cache_miss, price_output, price_multiplier, cost, currency, status, "
      + "created_at, unit, units, price_unit) "
      + "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)";
  private static final String SETTLE_BUDGET = "update budget_usage set reserved = reserved - $1, spent = spent + $2 "
      + "where key_id = $3 and period_start = $4";
  // One statement for both ways an id is spent: open right now (the key) or billed before.
  private static final String INSERT_RESERVATION = "insert into reservations (request_id, key_id, tenant, model, "
      + "backend, period_start, amount, created_at) select $1, $2, $3, $4, $5, $6, $7, $8 "
      + "where not exists (select 1 from usage_records where request_id = $1) on conflict do nothing";
  private static final String HOLD = "update budget_usage set reserved = reserved + $1 "
      + "where key_id = $2 and period_start = $3 and spent + reserved + $1 <= $4";
  private static final String ENSURE_BUDGET_ROW = "insert into budget_usage (key_id, period_start, spent, reserved) "
      + "values ($1, $2, 0, 0) on conflict do nothing";
  private static final String LOCK_BUDGET_ROW = "select key_id from budget_usage where key_id = $1 and period_start = $2 "
      + "for update";

  private final boolean lockBudgetRows;
  private final Consumer<Reservation> release;

  /**
   * @param lockBudgetRows lock the batch's budget rows in key order first (several writers: PostgreSQL)
   * @param release gives back a hold whose requester went away before it committed
   */
  LedgerBatch(boolean lockBudgetRows, Consumer<Reservation> release) {
    this.lockBudgetRows = lockBudgetRows;
    this.release = release;
  }

  @Override
  public Mono<List<Outcome>> write(BatchStatements statements, List<Write> batch) {
    Outcome[] outcomes = new Outcome[batch.size()];
    return lockBudgetRows(statements, batch)
        .then(Mono.defer(() -> settle(statements, batch, outcomes)))
        .then(Mono.defer(() -> hold(statements, batch, outcomes)))
        .then(Mono.fromSupplier(() -> Arrays.asList(outcomes)));
  }

  @Override
  public void abandoned(Write write, Outcome result) {
    if (result == Outcome.HELD) { // nobody will settle it: give the hold back now
      release.accept(write.reservation());
    }
  }

  private Mono<Void> lockBudgetRows(BatchStatements statements, List<Write> batch) {
    if (!lockBudgetRows) {
      return Mono.empty();
    }
    // The batch is sorted by key; a LinkedHashMap keeps that order and drops repeats.
    Map<List<Object>, Object[]> rows = new LinkedHashMap<>();
    for (Write w : batch) {
      Reservation r = w.reservation();
      if (r.periodStart() != null) {
        rows.putIfAbsent(List.of(r.keyId(), r.periodStart()), new Object[] {r.keyId(), utc(r.periodStart())});
      }
    }
    if (rows.isEmpty()) {
      return Mono.empty();
    }
    return statements.select(LOCK_BUDGET_ROW, new ArrayList<>(rows.values()));
  }

  private static Mono<Void> settle(BatchStatements statements, List<Write> batch, Outcome[] outcomes) {
    List<Integer> settles = indices(batch, Settle.class);
    if (settles.isEmpty()) {
      return Mono.empty();
    }
    List<Object[]> deletes = settles.stream().map(i -> new Object[] {batch.get(i).reservation().requestId()}).toList();
    return statements.rowsUpdated(DELETE_RESERVATION, deletes).flatMap(deleted -> {
      List<Object[]> usage = new ArrayList<>();
      Map<List<Object>, BigDecimal[]> budgets = new LinkedHashMap<>(); // (key, period) → {held, cost}
      for (int k = 0; k < settles.size(); k++) {
        int i = settles.get(k);
        Settle s = (Settle) batch.get(i);
        if (deleted[k] == 0) {
          outcomes[i] = Outcome.NOT_OPEN; // settled before, by this gateway or the reconciler
          continue;
        }
        outcomes[i] = Outcome.SETTLED;
        if (s.usage() != null) {
          usage.add(usageRow(s.usage()));
        }
        Reservation r = s.reservation();
        if (r.periodStart() != null) {
          BigDecimal cost = s.usage() == null ? BigDecimal.ZERO : s.usage().charge().cost();
          BigDecimal[] sums = budgets.computeIfAbsent(List.of(r.keyId(), r.periodStart()),
              p -> new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO});
          sums[0] = sums[0].add(r.amount());
          sums[1] = sums[1].add(cost);
        }
      }
      List<Object[]> settlements = budgets.entrySet().stream().map(e -> new Object[] {e.getValue()[0],
          e.getValue()[1], e.getKey().get(0), utc((Instant) e.getKey().get(1))}).toList();
      return statements.rowsUpdated(INSERT_USAGE, usage)
          .then(statements.rowsUpdated(SETTLE_BUDGET, settlements))
          .then();
    });
  }

  private static Mono<Void> hold(BatchStatements statements, List<Write> batch, Outcome[] outcomes) {
    List<Integer> holds = indices(batch, Hold.class);
    if (holds.isEmpty()) {
      return Mono.empty();
    }
    List<Object[]> inserts = holds.stream().map(i -> reservationRow(batch.get(i).reservation())).toList();
    return statements.rowsUpdated(INSERT_RESERVATION, inserts).flatMap(inserted -> {
      List<Integer> budgeted = new ArrayList<>();
      for (int k = 0; k < holds.size(); k++) {
        int i = holds.get(k);
        Hold h = (Hold) batch.get(i);
        if (inserted[k] == 0) {
          outcomes[i] = Outcome.DUPLICATE; // open under this id right now, or billed before
        } else if (h.limit() == null || h.reservation().periodStart() == null) {
          outcomes[i] = Outcome.HELD;
        } else {
          budgeted.add(i);
        }
      }
      return holdTogether(statements, batch, budgeted, outcomes);
    });
  }

  /**
   * One conditional update per key and period for the sum of its holds (the usual case: they all
   * fit, and then they would have fitted one after the other too). The holds of a key whose sum
   * does not fit go on to be tried one by one, in batch order.
   */
  private static Mono<Void> holdTogether(BatchStatements statements, List<Write> batch, List<Integer> budgeted,
      Outcome[] outcomes) {
    if (budgeted.isEmpty()) {
      return Mono.empty();
    }
    Map<List<Object>, List<Integer>> groups = new LinkedHashMap<>();
    for (int i : budgeted) {
      Reservation r = batch.get(i).reservation();
      groups.computeIfAbsent(List.of(r.keyId(), Objects.requireNonNull(r.periodStart())), g -> new ArrayList<>()).add(i);
    }
    List<List<Integer>> members = new ArrayList<>(groups.values());
    List<Object[]> rows = new ArrayList<>();
    for (List<Integer> group : members) {
      BigDecimal sum = BigDecimal.ZERO;
      BigDecimal limit = null;
      for (int i : group) {
        Hold h = (Hold) batch.get(i);
        sum = sum.add(h.reservation().amount());
        limit = limit == null || h.limit().compareTo(limit) < 0 ? h.limit() : limit; // the strictest
      }
      Reservation first = batch.get(group.getFirst()).reservation();
      rows.add(new Object[] {sum, first.keyId(), utc(Objects.requireNonNull(first.periodStart())), limit});
    }
    return statements.rowsUpdated(HOLD, rows).flatMap(held -> {
      List<Integer> oneByOne = new ArrayList<>();
      for (int g = 0; g < members.size(); g++) {
        if (held[g] > 0) {
          members.get(g).forEach(i -> outcomes[i] = Outcome.HELD);
        } else {
          oneByOne.addAll(members.get(g));
        }
      }
      oneByOne.sort(null); // batch order
      return holdBudgets(statements, batch, oneByOne, outcomes, true);
    });
  }

  /** The conditional update for each of {@code budgeted}; refusals tried once more after creating missing rows. */
  private static Mono<Void> holdBudgets(BatchStatements statements, List<Write> batch, List<Integer> budgeted,
      Outcome[] outcomes, boolean firstTry) {
    if (budgeted.isEmpty()) {
      return Mono.empty();
    }
    List<Object[]> rows = budgeted.stream().map(i -> holdRow((Hold) batch.get(i))).toList();
    return statements.rowsUpdated(HOLD, rows).flatMap(held -> {
      List<Integer> refused = new ArrayList<>();
      for (int k = 0; k < budgeted.size(); k++) {
        if (held[k] > 0) {
          outcomes[budgeted.get(k)] = Outcome.HELD;
        } else {
          refused.add(budgeted.get(k));
        }
      }
      if (refused.isEmpty()) {
        return Mono.empty();
      }
      if (firstTry) {
        // A key's first hold in a period finds no row: create the rows, try those again.
        Map<List<Object>, Object[]> missing = new LinkedHashMap<>();
        for (int i : refused) {
          Reservation r = batch.get(i).reservation();
          Instant period = Objects.requireNonNull(r.periodStart());
          missing.putIfAbsent(List.of(r.keyId(), period), new Object[] {r.keyId(), utc(period)});
        }
        return statements.rowsUpdated(ENSURE_BUDGET_ROW, new ArrayList<>(missing.values()))
            .then(holdBudgets(statements, batch, refused, outcomes, false));
      }
      refused.forEach(i -> outcomes[i] = Outcome.INSUFFICIENT);
      List<Object[]> deletes = refused.stream().map(i -> new Object[] {batch.get(i).reservation().requestId()}).toList();
      return statements.rowsUpdated(DELETE_RESERVATION, deletes).then();
    });
  }

  private static List<Integer> indices(List<Write> batch, Class<? extends Write> type) {
    List<Integer> indices = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      if (type.isInstance(batch.get(i))) {
        indices.add(i);
      }
    }
    return indices;
  }

  private static Object[] reservationRow(Reservation r) {
    return new Object[] {r.requestId(), r.keyId(), r.tenant(), r.model(), r.backend(),
        r.periodStart() == null ? new BatchStatements.Null(OffsetDateTime.class) : utc(r.periodStart()), r.amount(),
        utc(r.createdAt())};
  }

  private static Object[] holdRow(Hold h) {
    Reservation r = h.reservation();
    return new Object[] {r.amount(), r.keyId(), utc(Objects.requireNonNull(r.periodStart())),
        Objects.requireNonNull(h.limit())};
  }

  private static Object[] usageRow(UsageRecord u) {
    return new Object[] {u.requestId(), u.keyId(), u.tenant(), u.model(), u.tokens().promptCacheHit(),
        u.tokens().promptCacheMiss(), u.tokens().completion(), u.tokens().reasoning(),
        u.charge().price().inputCacheHit(), u.charge().price().inputCacheMiss(), u.charge().price().output(),
        u.charge().multiplier(), u.charge().cost(), u.charge().price().currency(), u.status(), utc(u.createdAt()),
        u.unit() == null ? new BatchStatements.Null(String.class) : u.unit(), u.units(), u.unitPrice()};
  }

  private static OffsetDateTime utc(Instant instant) {
    return BudgetLedger.utc(instant);
  }
}
