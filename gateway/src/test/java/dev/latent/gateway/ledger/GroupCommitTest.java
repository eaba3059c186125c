package dev.latent.gateway.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.gateway.pricing.Charge;
import dev.latent.gateway.pricing.ModelPrice;
import dev.latent.gateway.pricing.TokenCounts;
import dev.latent.gateway.support.Containers;
import dev.latent.gateway.support.Gateways;
import dev.latent.gateway.support.StubBackend;
import dev.latent.support.problem.ProblemException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.context.ConfigurableApplicationContext;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The ledger's group commit, on the embedded H2 file and on PostgreSQL: many concurrent writes
 * share transactions (one statement per kind of change for a whole batch), yet each request gets
 * its own outcome, the budget is never overspent, a request is billed once, and a request id is
 * accepted once — while open and after it was billed.
 */
class GroupCommitTest {

  static StubBackend backend;
  static final Map<String, ConfigurableApplicationContext> gateways = new LinkedHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    backend = new StubBackend();
    Path home = Files.createTempDirectory(Path.of("target"), "group-commit-home");
    gateways.put("h2", Gateways.start(backend, Map.of("latent.home", home.toAbsolutePath().toString())));
    gateways.put("postgres", Gateways.start(backend, Containers.freshDatabase("group_commit")));
  }

  @AfterAll
  static void stop() {
    gateways.values().forEach(ConfigurableApplicationContext::close);
    backend.close();
  }

  static BudgetLedger ledger(String database) {
    return gateways.get(database).getBean(BudgetLedger.class);
  }

  static Reservation reservation(String id, String key, Instant period, String amount) {
    return new Reservation(id, key, "tenant", "m", "inference", period, new BigDecimal(amount), Instant.now());
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void concurrentHoldsShareTransactionsAndNeverOverspend(String database) {
    BudgetLedger ledger = ledger(database);
    String key = "key-" + UUID.randomUUID();
    Instant period = Instant.parse("2026-11-01T00:00:00Z");
    // 200 holds of 1 against a budget of 50, all at once.
    List<String> outcomes = Flux.range(0, 200)
        .flatMap(i -> ledger.reserve(reservation("hold-" + i + "-" + key, key, period, "1"), new BigDecimal("50"))
            .thenReturn("held")
            .onErrorResume(ProblemException.class, e -> Mono.just(Integer.toString(e.status().value()))), 256)
        .collectList().block();
    assertThat(outcomes).hasSize(200);
    assertThat(outcomes.stream().filter("held"::equals).count()).isEqualTo(50);
    assertThat(outcomes.stream().filter("402"::equals).count()).isEqualTo(150);
    BigDecimal[] state = ledger.budgetState(key, period).block();
    assertThat(state[1]).isEqualByComparingTo("50"); // reserved
    assertThat(state[0]).isEqualByComparingTo("0"); // spent

    var batches = gateways.get(database).getBean(MeterRegistry.class).get("latent.gateway.ledger.batch.size").summary();
    assertThat(batches.max()).isGreaterThan(1); // they did share transactions
    // The embedded ledger's flushes go through H2's JDBC API, PostgreSQL's through R2DBC: both tested here.
    assertThat(gateways.get(database).getBean(LedgerDatabase.class).writesThroughJdbc()).isEqualTo("h2".equals(database));
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aRequestIdIsAcceptedOnceWhileOpenAndAfterItWasBilled(String database) {
    BudgetLedger ledger = ledger(database);
    String key = "key-" + UUID.randomUUID();
    Instant period = Instant.parse("2026-11-01T00:00:00Z");
    String id = "dup-" + UUID.randomUUID();
    // Two at once (most likely in one batch): one holds, the other is a duplicate.
    List<String> outcomes = Flux.just(id, id)
        .flatMap(i -> ledger.reserve(reservation(i, key, period, "1"), new BigDecimal("10")).thenReturn("held")
            .onErrorResume(ProblemException.class, e -> Mono.just(Integer.toString(e.status().value()))))
        .collectList().block();
    assertThat(outcomes).containsExactlyInAnyOrder("held", "409");

    Reservation r = reservation(id, key, period, "1");
    var usage = new UsageRecord(id, key, "tenant", "m", new TokenCounts(0, 1, 1, 0),
        new Charge(ModelPrice.free("m", "USD"), BigDecimal.ONE, new BigDecimal("0.25")), UsageRecord.FINAL,
        r.createdAt());
    assertThat(ledger.capture(r, usage).block()).isTrue();
    assertThat(ledger.capture(r, usage).block()).isFalse(); // exactly once
    BigDecimal[] state = ledger.budgetState(key, period).block();
    assertThat(state[0]).isEqualByComparingTo("0.25");
    assertThat(state[1]).isEqualByComparingTo("0");

    // Billed: the id stays spent.
    String again = ledger.reserve(r, new BigDecimal("10")).thenReturn("held")
        .onErrorResume(ProblemException.class, e -> Mono.just(Integer.toString(e.status().value()))).block();
    assertThat(again).isEqualTo("409");
    assertThat(ledger.budgetState(key, period).block()[1]).isEqualByComparingTo("0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void settlementsAndHoldsSubmittedTogetherEachGetTheirOwnOutcome(String database) {
    BudgetLedger ledger = ledger(database);
    String key = "key-" + UUID.randomUUID();
    Instant period = Instant.parse("2026-11-01T00:00:00Z");
    Reservation a = reservation("a-" + key, key, period, "4");
    Reservation b = reservation("b-" + key, key, period, "4");
    ledger.reserve(a, new BigDecimal("10")).block();
    ledger.reserve(b, new BigDecimal("10")).block();
    var usage = new UsageRecord(a.requestId(), key, "tenant", "m", new TokenCounts(0, 2, 3, 0),
        new Charge(ModelPrice.free("m", "USD"), BigDecimal.ONE, new BigDecimal("1")), UsageRecord.FINAL,
        a.createdAt());
    // Submitted at once, in this order (merge subscribes in order): a flush runs its settlements,
    // then its holds, each binding with its own outcome — the same in any split into flushes.
    List<String> outcomes = Flux.merge(
            ledger.capture(a, usage).map(billed -> "capture a " + billed),
            ledger.release(b).map(released -> "release b " + released),
            ledger.capture(b, usage).map(billed -> "capture b " + billed),
            hold(ledger, a, "a"),
            hold(ledger, reservation("c-" + key, key, period, "5"), "c"),
            hold(ledger, reservation("d-" + key, key, period, "5"), "d"),
            hold(ledger, reservation("e-" + key, key, period, "5"), "e"))
        .collectList().block();
    assertThat(outcomes).contains("capture a true", "release b true", "capture b false", "hold a 409");
    // Spent 1, nothing else held: room for exactly one more 5 within 10.
    assertThat(outcomes.stream().filter(o -> o.endsWith(" held"))).hasSize(1);
    assertThat(outcomes.stream().filter(o -> o.endsWith(" 402"))).hasSize(2);
    assertThat(ledger.capture(a, usage).block()).isFalse(); // billed once

    BigDecimal[] state = ledger.budgetState(key, period).block();
    assertThat(state[0]).isEqualByComparingTo("1"); // spent: a's cost, once; b released unbilled
    assertThat(state[1]).isEqualByComparingTo("5"); // reserved: the one hold that fit
  }

  /** A write of the linger tests: only its urgency matters to the group commit. */
  record Named(String name, boolean urgent) implements GroupCommit.Write {
    @Override
    public String keyId() {
      return "k";
    }
  }

  /** Commits nothing; remembers which writes each flush held. */
  static final class Recorder implements GroupCommit.Writer<Named, String> {
    final List<List<String>> flushes = new CopyOnWriteArrayList<>();

    @Override
    public Mono<List<String>> write(BatchStatements statements, List<Named> batch) {
      flushes.add(batch.stream().map(Named::name).toList());
      return Mono.just(batch.stream().map(w -> w.name() + " done").toList());
    }
  }

  static GroupCommit<Named, String> groupCommit(Recorder recorder, Duration settleLinger) {
    return new GroupCommit<>(gateways.get("h2").getBean(LedgerDatabase.class),
        new LedgerProperties(null, null, null, settleLinger, null), new SimpleMeterRegistry(), recorder);
  }

  @Test
  void settlementsWaitForAHoldAndShareItsFlush() {
    Recorder recorder = new Recorder();
    GroupCommit<Named, String> commits = groupCommit(recorder, Duration.ofHours(1));
    CompletableFuture<String> capture = commits.submit(new Named("capture", false)).toFuture();
    CompletableFuture<String> release = commits.submit(new Named("release", false)).toFuture();
    assertThat(recorder.flushes).isEmpty(); // waiting (an hour) for company
    assertThat(commits.submit(new Named("hold", true)).block(Duration.ofSeconds(30))).isEqualTo("hold done");
    assertThat(capture.join()).isEqualTo("capture done");
    assertThat(release.join()).isEqualTo("release done");
    assertThat(recorder.flushes).containsExactly(List.of("capture", "release", "hold")); // one transaction
  }

  @Test
  void aSettlementWithNoHoldToWaitForIsFlushedAfterTheLinger() {
    Recorder recorder = new Recorder();
    GroupCommit<Named, String> commits = groupCommit(recorder, Duration.ofMillis(20));
    assertThat(commits.submit(new Named("release", false)).block(Duration.ofSeconds(30))).isEqualTo("release done");
    assertThat(recorder.flushes).containsExactly(List.of("release"));
  }

  @Test
  void withoutASettleLingerSettlementsFlushAtOnce() {
    Recorder recorder = new Recorder();
    GroupCommit<Named, String> commits = groupCommit(recorder, Duration.ZERO);
    commits.submit(new Named("capture", false)).block(Duration.ofSeconds(30));
    commits.submit(new Named("hold", true)).block(Duration.ofSeconds(30));
    assertThat(recorder.flushes).containsExactly(List.of("capture"), List.of("hold"));
  }

  static Mono<String> hold(BudgetLedger ledger, Reservation r, String name) {
    return ledger.reserve(r, new BigDecimal("10")).thenReturn("hold " + name + " held")
        .onErrorResume(ProblemException.class, e -> Mono.just("hold " + name + " " + e.status().value()));
  }
}
