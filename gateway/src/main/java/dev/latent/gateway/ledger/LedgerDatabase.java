package dev.latent.gateway.ledger;

import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import java.util.function.Function;
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
public class LedgerDatabase {

  private final DatabaseClient client;
  private final TransactionalOperator transactions;
  private final Scheduler scheduler;

  LedgerDatabase(DatabaseClient client, TransactionalOperator transactions, ConnectionFactory factory) {
    this.client = client;
    this.transactions = transactions;
    ConnectionFactoryMetadata metadata = factory.getMetadata();
    this.scheduler = metadata.getName().toLowerCase().contains("h2")
        // One thread that may block (H2 serialises on a single connection anyway).
        ? Schedulers.newBoundedElastic(1, Integer.MAX_VALUE, "ledger-h2", 60, true)
        : Schedulers.immediate();
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
   * Like {@link #inTransaction}, but the result is signalled on the thread that ran the
   * transaction (on H2 the ledger's own thread): for callers that hand each outcome on themselves.
   */
  <T> Mono<T> inTransactionHere(Function<DatabaseClient, Mono<T>> work) {
    Mono<T> transaction = transactions.transactional(Mono.defer(() -> work.apply(client)));
    return isPostgres() ? transaction : transaction.subscribeOn(scheduler);
  }

  public boolean isPostgres() {
    return scheduler == Schedulers.immediate();
  }
}
