package dev.latent.gateway.keys;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.gateway.ledger.LedgerDatabase;
import dev.latent.gateway.support.Admin;
import dev.latent.gateway.support.Gateways;
import dev.latent.gateway.support.StubBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import reactor.core.publisher.Flux;
import tools.jackson.databind.JsonNode;

/** The key cache on the embedded ledger: refreshed ahead of its TTL, one read per secret at a time. */
class KeyStoreTest {

  private static StubBackend backend;
  private static ConfigurableApplicationContext gateway;
  private static KeyStore keys;

  @BeforeAll
  static void start() throws Exception {
    backend = new StubBackend();
    Path home = Files.createTempDirectory(Path.of("target"), "keystore-home");
    gateway = Gateways.start(backend, Map.of("latent.home", home.toAbsolutePath().toString(),
        "latent.gateway.keys.cache-ttl", "3s"));
    keys = gateway.getBean(KeyStore.class);
  }

  @AfterAll
  static void stop() {
    gateway.close();
    backend.close();
  }

  @Test
  void aKeyInUseIsReadAgainBeforeItsEntryExpires() {
    JsonNode created = Admin.createKey(Gateways.client(gateway), Map.of("name", "refresh", "tenant", "t-refresh"));
    String secret = created.get("key").asString();
    assertThat(keys.findBySecret(secret).block()).extracting(ApiKey::revokedAt).isNull();

    // Revoked behind the cache's back (as another replica would): only a read of the row can tell.
    gateway.getBean(LedgerDatabase.class).client().sql("update api_keys set revoked_at = :now where id = :id")
        .bind("now", OffsetDateTime.now(ZoneOffset.UTC)).bind("id", created.get("id").asString())
        .fetch().rowsUpdated().block();

    // cached() never reads the database itself and returns nothing once an entry is older than
    // the TTL; seeing the revoked row through it means a refresh ran while the entry was served.
    Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
        .until(() -> {
          ApiKey key = keys.cached(secret);
          return key != null && key.revokedAt() != null;
        });
  }

  @Test
  void concurrentLookupsOfOneSecretShareOneRead() {
    JsonNode created = Admin.createKey(Gateways.client(gateway), Map.of("name", "herd", "tenant", "t-herd"));
    String secret = created.get("key").asString();

    List<ApiKey> found = Flux.range(0, 64).flatMap(i -> keys.findBySecret(secret), 64).collectList().block();

    assertThat(found).hasSize(64).extracting(ApiKey::id).containsOnly(created.get("id").asString());
    // The 64 callers got one and the same object: the result of a single read.
    assertThat(found).allSatisfy(key -> assertThat(key).isSameAs(found.getFirst()));
  }

  @Test
  void anUnknownSecretIsNotCached() {
    assertThat(keys.findBySecret("sk-lt-unknown").blockOptional()).isEmpty();
    assertThat(keys.cached("sk-lt-unknown")).isNull();
  }
}
