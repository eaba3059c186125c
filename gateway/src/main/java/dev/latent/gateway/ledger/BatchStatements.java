package dev.latent.gateway.ledger;

import java.util.List;
import reactor.core.publisher.Mono;

/**
 * How a group-commit flush runs its statements inside the flush's transaction: each statement once
 * per row of values, as one batch, with every binding's own row count. Parameters are written
 * {@code $1, $2, …} (both PostgreSQL and H2 read them). Two ways: R2DBC ({@link R2dbcBatchStatements},
 * PostgreSQL) and H2's own JDBC API on the ledger thread ({@link JdbcBatchStatements}, the
 * embedded ledger), which skips the reactive driver's per-statement plumbing.
 */
interface BatchStatements {

  /** Runs {@code sql} once per row, as one statement; the rows each binding changed, in order. */
  Mono<long[]> rowsUpdated(String sql, List<Object[]> rows);

  /** Runs the query {@code sql} once per row and reads its rows to the end (e.g. to take row locks). */
  Mono<Void> select(String sql, List<Object[]> rows);

  /** A SQL NULL of {@code type}, as a value in a row. */
  record Null(Class<?> type) {}
}
