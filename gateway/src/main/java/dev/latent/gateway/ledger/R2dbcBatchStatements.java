package dev.latent.gateway.ledger;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@link BatchStatements} over an R2DBC connection: {@link Statement#add()} per row (PostgreSQL
 * pipelines the bindings in one round trip).
 */
final class R2dbcBatchStatements implements BatchStatements {

  private final Connection connection;

  R2dbcBatchStatements(Connection connection) {
    this.connection = connection;
  }

  @Override
  public Mono<long[]> rowsUpdated(String sql, List<Object[]> rows) {
    if (rows.isEmpty()) {
      return Mono.just(new long[0]);
    }
    return Flux.from(statement(sql, rows).execute())
        .concatMap(Result::getRowsUpdated)
        .collectList()
        .map(counts -> {
          if (counts.size() != rows.size()) {
            throw new IllegalStateException(rows.size() + " bindings of '" + sql + "' answered " + counts.size() + " counts");
          }
          return counts.stream().mapToLong(Long::longValue).toArray();
        });
  }

  @Override
  public Mono<Void> select(String sql, List<Object[]> rows) {
    if (rows.isEmpty()) {
      return Mono.empty();
    }
    return Flux.from(statement(sql, rows).execute()).concatMap(result -> result.map((row, meta) -> 1)).then();
  }

  private Statement statement(String sql, List<Object[]> rows) {
    Statement statement = connection.createStatement(sql);
    for (int r = 0; r < rows.size(); r++) {
      if (r > 0) {
        statement.add();
      }
      Object[] values = rows.get(r);
      for (int i = 0; i < values.length; i++) {
        if (values[i] instanceof Null n) {
          statement.bindNull(i, n.type());
        } else {
          statement.bind(i, values[i]);
        }
      }
    }
    return statement;
  }
}
