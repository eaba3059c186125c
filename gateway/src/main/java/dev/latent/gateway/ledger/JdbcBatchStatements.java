package dev.latent.gateway.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * {@link BatchStatements} for the embedded H2 ledger through H2's own JDBC API: one session of its
 * own (the same database the R2DBC pool serves), each statement prepared once and kept, a batch
 * run with {@code executeLargeBatch}. H2 runs statements on the calling thread anyway; going
 * through r2dbc-h2 cost a pool checkout with a validation, a parse of the SQL and a chain of
 * Reactor operators per statement — more CPU than H2's own row work (JFR, 2026-11-29). Used only
 * from the ledger's single thread, one flush at a time; the Monos it returns are already done
 * (the statements ran when they were asked for).
 */
final class JdbcBatchStatements implements BatchStatements, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(JdbcBatchStatements.class);

  private final String url;
  private final String user;
  private final String password;
  private final Map<String, PreparedStatement> prepared = new HashMap<>();
  private @Nullable Connection connection;
  private boolean closed;

  JdbcBatchStatements(String url, String user, String password) {
    this.url = url;
    this.user = user;
    this.password = password;
  }

  /** Runs {@code work} in one transaction of this session: committed when it succeeds, else rolled back. */
  <T> Mono<T> inTransaction(Function<BatchStatements, Mono<T>> work) {
    return Mono.defer(() -> {
          try {
            open();
          } catch (SQLException e) {
            return Mono.error(e);
          }
          return work.apply(this);
        })
        .flatMap(result -> {
          try {
            connection().commit();
            return Mono.just(result);
          } catch (SQLException e) {
            return Mono.error(e);
          }
        })
        .onErrorResume(e -> {
          rollback();
          return Mono.error(e);
        });
  }

  @Override
  public Mono<long[]> rowsUpdated(String sql, List<Object[]> rows) {
    if (rows.isEmpty()) {
      return Mono.just(new long[0]);
    }
    try {
      PreparedStatement statement = statement(sql);
      if (rows.size() == 1) {
        bind(statement, rows.getFirst());
        return Mono.just(new long[] {statement.executeLargeUpdate()});
      }
      for (Object[] row : rows) {
        bind(statement, row);
        statement.addBatch();
      }
      return Mono.just(statement.executeLargeBatch());
    } catch (SQLException e) {
      return Mono.error(e);
    }
  }

  @Override
  public Mono<Void> select(String sql, List<Object[]> rows) {
    try {
      PreparedStatement statement = statement(sql);
      for (Object[] row : rows) {
        bind(statement, row);
        try (ResultSet result = statement.executeQuery()) {
          while (result.next()) {
            // read to the end
          }
        }
      }
      return Mono.empty();
    } catch (SQLException e) {
      return Mono.error(e);
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (connection == null) {
      return;
    }
    try {
      connection.close(); // closes its prepared statements too
    } catch (SQLException e) {
      log.warn("could not close the ledger's JDBC session: {}", e.toString());
    }
    connection = null;
    prepared.clear();
  }

  private synchronized void open() throws SQLException {
    if (closed) {
      throw new SQLException("the ledger is shut down");
    }
    if (connection == null || connection.isClosed()) {
      prepared.clear();
      Properties credentials = new Properties();
      credentials.setProperty("user", user);
      credentials.setProperty("password", password);
      // The driver itself, not DriverManager: its service lookup may not see the nested jar's driver.
      connection = new org.h2.Driver().connect(url, credentials);
      connection.setAutoCommit(false);
    }
  }

  private Connection connection() {
    if (connection == null) {
      throw new IllegalStateException("the ledger's JDBC session is closed");
    }
    return connection;
  }

  private PreparedStatement statement(String sql) throws SQLException {
    PreparedStatement statement = prepared.get(sql);
    if (statement == null) {
      statement = connection().prepareStatement(sql);
      prepared.put(sql, statement);
    }
    return statement;
  }

  private void rollback() {
    try {
      if (connection != null && !connection.isClosed()) {
        connection.rollback();
      }
    } catch (SQLException e) {
      log.warn("could not roll back a ledger batch ({}); the next flush opens a fresh session", e.toString());
      try {
        connection.close();
      } catch (SQLException ignored) {
        // it is being replaced
      }
    }
  }

  private static void bind(PreparedStatement statement, Object[] values) throws SQLException {
    for (int i = 0; i < values.length; i++) {
      if (values[i] instanceof Null n) {
        statement.setNull(i + 1, n.type() == OffsetDateTime.class ? Types.TIMESTAMP_WITH_TIMEZONE : Types.VARCHAR);
      } else {
        statement.setObject(i + 1, values[i]);
      }
    }
  }
}
