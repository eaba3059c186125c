package dev.latent.gateway.ledger;

import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The ledger's database, for every feature that keeps state (keys, prices, budgets, usage).
 * PostgreSQL's R2DBC driver is non-blocking; H2's runs each statement on the subscribing thread
 * and may touch the disk, so H2 work is moved off the event loop onto a dedicated thread.
 */
@Component
public class LedgerDatabase implements DisposableBean {

  private final DatabaseClient client;
  private final TransactionalOperator transactions;
  private final Scheduler scheduler;
  private final @Nullable JdbcBatchStatements jdbc;

  LedgerDatabase(DatabaseClient client, TransactionalOperator transactions, ConnectionFactory factory,
      LedgerProperties properties) {
    this.client = client;
    this.transactions = transactions;
    ConnectionFactoryMetadata metadata = factory.getMetadata();
    boolean h2 = metadata.getName().toLowerCase().contains("h2");
    this.scheduler = h2
        // One thread that may block (H2 serialises on a single connection anyway).
        ? Schedulers.newBoundedElastic(1, Integer.MAX_VALUE, "ledger-h2", 60, true)
        : Schedulers.immediate();
    String jdbcUrl = properties.embeddedJdbcUrl();
    this.jdbc = h2 && jdbcUrl != null
        ? new JdbcBatchStatements(jdbcUrl, EmbeddedLedgerDefaults.USER, EmbeddedLedgerDefaults.PASSWORD) : null;
  }

  @Override
  public void destroy() {
    if (jdbc != null) {
      jdbc.close();
    }
  }

  public DatabaseClient client() {
    return client;
  }

  /** Runs {@code work} (built from {@link #client()}) where the driver may run it. */
  public <T> Mono<T> mono(Mono<T> work) {
    return isPostgres() ? work : work.subscribeOn(scheduler).publishOn(Schedulers.parallel());
  }

  public <T> Flux<T> flux(Flux<T> work) {
    return isPostgres() ? work : work.subscribeOn(scheduler).publishOn(Schedulers.parallel());
  }

  /** Runs {@code work} in one transaction. */
  public <T> Mono<T> inTransaction(Function<DatabaseClient, Mono<T>> work) {
    return mono(transactions.transactional(Mono.defer(() -> work.apply(client))));
  }

  /**
   * Runs a group-commit flush's statements in one transaction; the result is signalled on the
   * thread that ran it (on H2 the ledger's own thread): for callers that hand each outcome on
   * themselves. The embedded H2 ledger runs them through H2's JDBC API ({@link JdbcBatchStatements}),
   * everything else through R2DBC.
   */
  <T> Mono<T> inBatchTransaction(Function<BatchStatements, Mono<T>> work) {
    if (jdbc != null) {
      return jdbc.inTransaction(work).subscribeOn(scheduler);
    }
    Mono<T> transaction = transactions.transactional(
        client.inConnection(connection -> work.apply(new R2dbcBatchStatements(connection))));
    return isPostgres() ? transaction : transaction.subscribeOn(scheduler);
  }

  /** Whether group-commit flushes go through H2's JDBC API (the embedded ledger). */
  boolean writesThroughJdbc() {
    return jdbc != null;
  }

  public boolean isPostgres() {
    return scheduler == Schedulers.immediate();
  }
}
