package dev.latent.gateway.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.gateway.pricing.Charge;
import dev.latent.gateway.pricing.ModelPrice;
import dev.latent.gateway.pricing.TokenCounts;
import dev.latent.gateway.support.Gateways;
import dev.latent.gateway.support.StubBackend;
import dev.latent.support.problem.ProblemException;
import io.micrometer.core.instrument.MeterRegistry;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The ledger's group commit on the embedded H2 file: many concurrent writes share transactions,
 * yet each request gets its own outcome, the budget is never overspent, and a request id is
 * accepted once — while open and after it was billed.
 */
class GroupCommitTest {

  static StubBackend backend;
  static ConfigurableApplicationContext gateway;
  static BudgetLedger ledger;

  @BeforeAll
  static void start() throws Exception {
    backend = new StubBackend();
    Path home = Files.createTempDirectory(Path.of("target"), "group-commit-home");
    gateway = Gateways.start(backend, Map.of("latent.home", home.toAbsolutePath().toString()));
    ledger = gateway.getBean(BudgetLedger.class);
  }

  @AfterAll
  static void stop() {
    gateway.close();
    backend.close();
  }

  static Reservation reservation(String id, String key, Instant period, String amount) {
    return new Reservation(id, key, "tenant", "m", "inference", period, new BigDecimal(amount), Instant.now());
  }

  @Test
  void concurrentHoldsShareTransactionsAndNeverOverspend() {
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

    var batches = gateway.getBean(MeterRegistry.class).get("latent.gateway.ledger.batch.size").summary();
    assertThat(batches.max()).isGreaterThan(1); // they did share transactions
  }

  @Test
  void aRequestIdIsAcceptedOnceWhileOpenAndAfterItWasBilled() {
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
}
