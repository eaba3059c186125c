package dev.latent.gateway.ledger;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The embedded default: when no database is configured, the ledger is an H2 file under
 * {@code $LATENT_HOME/gateway/}. Computed here because the H2 URL needs an absolute path, and
 * added last so that {@code spring.r2dbc.url} / {@code spring.flyway.url} from anywhere win.
 */
public class EmbeddedLedgerDefaults implements EnvironmentPostProcessor {

  static final String USER = "sa";
  static final String PASSWORD = "";

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
    if (environment.containsProperty("spring.r2dbc.url")) {
      return;
    }
    String home = environment.getProperty("latent.home", environment.getProperty("LATENT_HOME", "data"));
    Path file = Path.of(home).toAbsolutePath().normalize().resolve("gateway").resolve("ledger");
    // QUERY_CACHE_SIZE: the bill path alone has ~8 distinct statements (H2's default cache is 8).
    String options = ";DATABASE_TO_LOWER=TRUE;MODE=PostgreSQL;DEFAULT_NULL_ORDERING=HIGH;QUERY_CACHE_SIZE=64";
    Map<String, Object> defaults = new LinkedHashMap<>();
    defaults.put("spring.r2dbc.url", "r2dbc:h2:file:///" + file + options);
    defaults.put("spring.r2dbc.username", USER);
    defaults.put("spring.r2dbc.password", PASSWORD);
    // The group-commit flushes write through H2's JDBC API (same database, a session of their own).
    defaults.put("latent.gateway.ledger.embedded-jdbc-url", "jdbc:h2:file:" + file + options);
    // H2 runs statements on the calling thread: one connection serialises them (see LedgerDatabase).
    defaults.put("spring.r2dbc.pool.max-size", "1");
    defaults.put("spring.r2dbc.pool.initial-size", "1");
    if (!environment.containsProperty("spring.flyway.url")) {
      defaults.put("spring.flyway.url", "jdbc:h2:file:" + file + options);
      defaults.put("spring.flyway.user", USER);
      defaults.put("spring.flyway.password", PASSWORD);
    }
    environment.getPropertySources().addLast(new MapPropertySource("latent-embedded-ledger", defaults));
  }
}
