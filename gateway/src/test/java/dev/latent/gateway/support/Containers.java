package dev.latent.gateway.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * One PostgreSQL and one Redis for the whole test JVM (Ryuk is off here, so they are stopped by a
 * shutdown hook); each Spring context gets a database of its own.
 */
public final class Containers {

  private static PostgreSQLContainer postgres;
  private static GenericContainer<?> redis;

  private Containers() {}

  public static synchronized PostgreSQLContainer postgres() {
    if (postgres == null) {
      postgres = new PostgreSQLContainer("postgres:16");
      postgres.start();
      Runtime.getRuntime().addShutdownHook(new Thread(postgres::stop));
    }
    return postgres;
  }

  public static synchronized GenericContainer<?> redis() {
    if (redis == null) {
      redis = new GenericContainer<>("redis:7").withExposedPorts(6379);
      redis.start();
      Runtime.getRuntime().addShutdownHook(new Thread(redis::stop));
    }
    return redis;
  }

  /** A new, empty database and the properties that point the gateway's ledger at it. */
  public static Map<String, String> freshDatabase(String name) {
    PostgreSQLContainer pg = postgres();
    try (Connection c = DriverManager.getConnection(pg.getJdbcUrl(), pg.getUsername(), pg.getPassword())) {
      c.createStatement().execute("create database " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    String hostPort = pg.getHost() + ":" + pg.getMappedPort(5432);
    Map<String, String> p = new LinkedHashMap<>();
    p.put("spring.r2dbc.url", "r2dbc:postgresql://" + hostPort + "/" + name);
    p.put("spring.r2dbc.username", pg.getUsername());
    p.put("spring.r2dbc.password", pg.getPassword());
    p.put("spring.r2dbc.pool.max-size", "20");
    p.put("spring.flyway.url", "jdbc:postgresql://" + hostPort + "/" + name);
    p.put("spring.flyway.user", pg.getUsername());
    p.put("spring.flyway.password", pg.getPassword());
    return p;
  }

  public static Map<String, String> redisProperties() {
    GenericContainer<?> r = redis();
    return Map.of("spring.data.redis.host", r.getHost(),
        "spring.data.redis.port", Integer.toString(r.getMappedPort(6379)),
        "latent.gateway.limits.store", "redis");
  }
}
