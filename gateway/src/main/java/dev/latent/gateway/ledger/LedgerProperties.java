package dev.latent.gateway.ledger;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code latent.gateway.ledger.*}: group commit of the bill path.
 *
 * @param maxBatch most reservations / captures / releases written in one transaction
 * @param maxQueue most of them waiting for a flush; a reservation that finds the queue full is
 *     refused with 503 (nothing is accepted that could then be lost); settlements of admitted
 *     requests always queue
 * @param linger how long a flush waits for more records when it has fewer than {@code maxBatch};
 *     0 (default) flushes as soon as the previous flush is done, so records that arrive while a
 *     transaction runs form the next batch
 * @param settleLinger how long a flush that would hold only settlements (captures, releases) waits
 *     for a reservation to go with; a reservation arriving meanwhile starts it at once. Nobody waits
 *     on a settlement (the answer has gone out), so sharing the reservations' flushes costs no
 *     latency and saves a transaction per request (default 5 ms; 0 = flush them at once)
 * @param embeddedJdbcUrl H2's JDBC URL of the embedded ledger, set by {@link EmbeddedLedgerDefaults}
 *     when no database is configured: group-commit flushes then go through H2's JDBC API on the
 *     ledger thread ({@link JdbcBatchStatements}); null → through R2DBC like every other query
 */
@ConfigurationProperties("latent.gateway.ledger")
public record LedgerProperties(@Nullable Integer maxBatch, @Nullable Integer maxQueue, @Nullable Duration linger,
    @Nullable Duration settleLinger, @Nullable String embeddedJdbcUrl) {

  public LedgerProperties {
    maxBatch = maxBatch == null ? 256 : maxBatch;
    maxQueue = maxQueue == null ? 10_000 : maxQueue;
    linger = linger == null ? Duration.ZERO : linger;
    settleLinger = settleLinger == null ? Duration.ofMillis(5) : settleLinger;
    if (maxBatch < 1 || maxQueue < 1 || linger.isNegative() || settleLinger.isNegative()) {
      throw new IllegalArgumentException(
          "latent.gateway.ledger: max-batch and max-queue must be >= 1, linger and settle-linger >= 0");
    }
  }
}
