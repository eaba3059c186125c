package dev.latent.gateway.keys;

import dev.latent.gateway.ledger.LedgerDatabase;
import io.r2dbc.spi.Readable;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Keys in the ledger, looked up by the hash of their secret through a short-lived cache. */
@Component
public class KeyStore {

  private static final Logger log = LoggerFactory.getLogger(KeyStore.class);

  private static final String COLUMNS = "id, name, tenant, key_prefix, models, rpm, tpm, budget_amount, "
      + "budget_currency, budget_period, expires_at, revoked_at, created_at";

  private final LedgerDatabase db;
  private final KeysProperties properties;
  private final Clock clock;
  // By the secret itself, not its hash: a cached key costs a map lookup per request, no SHA-256.
  // Only keys that exist are cached, so unknown secrets cannot grow it.
  private final Map<String, Cached> bySecret = new ConcurrentHashMap<>();
  private final Map<String, Mono<ApiKey>> loading = new ConcurrentHashMap<>();

  KeyStore(LedgerDatabase db, KeysProperties properties, Clock clock) {
    this.db = db;
    this.properties = properties;
    this.clock = clock;
  }

  private record Cached(ApiKey key, long loadedAtMillis) {}

  static String hash(String secret) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  Mono<ApiKey> insert(ApiKey key, String secret) {
    Budget budget = key.budget();
    DatabaseClient.GenericExecuteSpec spec = db.client().sql("insert into api_keys (" + COLUMNS
            + ", key_hash) values (:id, :name, :tenant, :prefix, :models, :rpm, :tpm, :amount, :currency, "
            + ":period, :expires, null, :created, :hash)")
        .bind("id", key.id()).bind("name", key.name()).bind("tenant", key.tenant())
        .bind("prefix", key.prefix()).bind("hash", hash(secret))
        .bind("created", utc(key.createdAt()));
    spec = bindNullable(spec, "models", key.models().isEmpty() ? null : String.join("\n", key.models()), String.class);
    spec = bindNullable(spec, "rpm", key.rpm(), Long.class);
    spec = bindNullable(spec, "tpm", key.tpm(), Long.class);
    spec = bindNullable(spec, "amount", budget == null ? null : budget.amount(), BigDecimal.class);
    spec = bindNullable(spec, "currency", budget == null ? null : budget.currency(), String.class);
    spec = bindNullable(spec, "period", budget == null ? null : budget.period().wire(), String.class);
    spec = bindNullable(spec, "expires", key.expiresAt() == null ? null : utc(key.expiresAt()), OffsetDateTime.class);
    return db.mono(spec.fetch().rowsUpdated()).thenReturn(key);
  }

  /** The key whose secret this is, active or not; empty when there is none. */
  public Mono<ApiKey> findBySecret(String secret) {
    ApiKey cached = cached(secret);
    if (cached != null) {
      return Mono.just(cached);
    }
    return load(secret);
  }

  /**
   * The key of this secret if it was looked up less than the cache TTL ago; else null. An entry
   * past half its TTL is refreshed in the background, once, while it is still served: a key in
   * steady use never expires, so requests never queue behind the ledger for it (when the whole
   * cache expired at once, every request arriving during the one read missed as well and made its
   * own: a burst of reads on the ledger thread every TTL, in the JFR of the bench). A revoked key
   * is still refused within one TTL: no entry is served older than that.
   */
  @Nullable ApiKey cached(String secret) {
    Cached cached = bySecret.get(secret);
    if (cached == null) {
      return null;
    }
    long age = clock.millis() - cached.loadedAtMillis();
    long ttl = properties.cacheTtl().toMillis();
    if (age >= ttl) {
      return null;
    }
    if (age >= ttl / 2 && !loading.containsKey(secret)) {
      load(secret).subscribe(null, e -> log.warn("could not refresh a cached key: {}", e.toString()));
    }
    return cached.key();
  }

  /** One read per secret at a time: concurrent callers share it. */
  private Mono<ApiKey> load(String secret) {
    return loading.computeIfAbsent(secret, s -> {
      long now = clock.millis();
      return db.mono(db.client().sql("select " + COLUMNS + " from api_keys where key_hash = :hash")
              .bind("hash", hash(s)).map(KeyStore::read).one())
          .doOnNext(key -> bySecret.put(s, new Cached(key, now)))
          .doFinally(signal -> loading.remove(s))
          .cache();
    });
  }

  public Mono<ApiKey> find(String id) {
    return db.mono(db.client().sql("select " + COLUMNS + " from api_keys where id = :id")
        .bind("id", id).map(KeyStore::read).one());
  }

  Flux<ApiKey> list(@Nullable String tenant) {
    String sql = "select " + COLUMNS + " from api_keys"
        + (tenant == null ? "" : " where tenant = :tenant") + " order by created_at, id";
    DatabaseClient.GenericExecuteSpec spec = db.client().sql(sql);
    if (tenant != null) {
      spec = spec.bind("tenant", tenant);
    }
    return db.flux(spec.map(KeyStore::read).all());
  }

  Mono<Long> revoke(String id) {
    bySecret.values().removeIf(c -> c.key().id().equals(id)); // this replica stops trusting it now
    return db.mono(db.client().sql("update api_keys set revoked_at = :now where id = :id and revoked_at is null")
            .bind("now", utc(clock.instant())).bind("id", id).fetch().rowsUpdated())
        // and once more: a refresh that read the row before the update may have put it back
        .doOnSuccess(updated -> bySecret.values().removeIf(c -> c.key().id().equals(id)));
  }

  static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }

  static <T> DatabaseClient.GenericExecuteSpec bindNullable(DatabaseClient.GenericExecuteSpec spec,
      String name, @Nullable T value, Class<T> type) {
    return value == null ? spec.bindNull(name, type) : spec.bind(name, value);
  }

  private static ApiKey read(Readable row) {
    String models = row.get("models", String.class);
    BigDecimal amount = row.get("budget_amount", BigDecimal.class);
    Budget budget = amount == null ? null : new Budget(amount,
        java.util.Objects.requireNonNull(row.get("budget_currency", String.class)),
        Budget.Period.parse(java.util.Objects.requireNonNull(row.get("budget_period", String.class))));
    return new ApiKey(
        java.util.Objects.requireNonNull(row.get("id", String.class)),
        java.util.Objects.requireNonNull(row.get("name", String.class)),
        java.util.Objects.requireNonNull(row.get("tenant", String.class)),
        java.util.Objects.requireNonNull(row.get("key_prefix", String.class)),
        models == null ? List.of() : Arrays.asList(models.split("\n")),
        row.get("rpm", Long.class), row.get("tpm", Long.class), budget,
        instant(row, "expires_at"), instant(row, "revoked_at"),
        java.util.Objects.requireNonNull(instant(row, "created_at")));
  }

  static @Nullable Instant instant(Readable row, String column) {
    OffsetDateTime value = row.get(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }
}
