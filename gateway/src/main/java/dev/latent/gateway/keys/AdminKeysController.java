package dev.latent.gateway.keys;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.latent.support.problem.ProblemException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** {@code /admin/keys}: issue, list, show and revoke virtual keys (admin key required). */
@RestController
@RequestMapping("/admin/keys")
class AdminKeysController {

  private final KeyStore keys;
  private final KeyAuthentication authentication;
  private final Clock clock;
  private final SecureRandom random;

  AdminKeysController(KeyStore keys, KeyAuthentication authentication, Clock clock) {
    this.keys = keys;
    this.authentication = authentication;
    this.clock = clock;
    try {
      // DRBG seeds once here; later draws never read /dev/urandom on an event-loop thread.
      this.random = SecureRandom.getInstance("DRBG");
      this.random.nextBytes(new byte[16]);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  record CreateKeyRequest(
      String name,
      String tenant,
      @Nullable List<String> models,
      @Nullable Long rpm,
      @Nullable Long tpm,
      @Nullable Budget budget,
      @JsonProperty("expires_at") @Nullable Instant expiresAt) {
    CreateKeyRequest {
      if (name == null || name.isBlank() || name.length() > 200) {
        throw ProblemException.invalidParameter("name", "name is required (at most 200 characters)");
      }
      if (tenant == null || !tenant.matches("[A-Za-z0-9._:-]{1,200}")) {
        throw ProblemException.invalidParameter("tenant", "tenant is required: letters, digits, . _ : -");
      }
      if (rpm != null && rpm < 0) {
        throw ProblemException.invalidParameter("rpm", "rpm must be >= 0");
      }
      if (tpm != null && tpm < 0) {
        throw ProblemException.invalidParameter("tpm", "tpm must be >= 0");
      }
      models = models == null ? List.of() : List.copyOf(models);
    }
  }

  record KeyResponse(
      String id,
      String name,
      String tenant,
      @JsonProperty("key_prefix") String keyPrefix,
      List<String> models,
      @Nullable Long rpm,
      @Nullable Long tpm,
      @Nullable Budget budget,
      @JsonProperty("expires_at") @Nullable Instant expiresAt,
      @JsonProperty("revoked_at") @Nullable Instant revokedAt,
      @JsonProperty("created_at") Instant createdAt,
      @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
      @Nullable String key) {

    static KeyResponse of(ApiKey k, @Nullable String secret) {
      return new KeyResponse(k.id(), k.name(), k.tenant(), k.prefix(), k.models(), k.rpm(), k.tpm(),
          k.budget(), k.expiresAt(), k.revokedAt(), k.createdAt(), secret);
    }
  }

  @PostMapping
  @ResponseStatus(HttpStatus.CREATED)
  Mono<KeyResponse> create(ServerHttpRequest http, @RequestBody CreateKeyRequest request) {
    authentication.requireAdmin(http);
    byte[] secretBytes = new byte[32];
    byte[] idBytes = new byte[12];
    random.nextBytes(secretBytes);
    random.nextBytes(idBytes);
    String secret = "sk-lt-" + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
    ApiKey key = new ApiKey("key_" + HexFormat.of().formatHex(idBytes), request.name(), request.tenant(),
        secret.substring(0, 10), request.models(), request.rpm(), request.tpm(), request.budget(),
        request.expiresAt(), null, clock.instant());
    return keys.insert(key, secret).map(k -> KeyResponse.of(k, secret)); // the only time it is shown
  }

  @GetMapping
  Mono<Map<String, Object>> list(ServerHttpRequest http, @RequestParam(required = false) @Nullable String tenant) {
    authentication.requireAdmin(http);
    return keys.list(tenant).map(k -> KeyResponse.of(k, null)).collectList()
        .map(data -> Map.of("object", "list", "data", data));
  }

  @GetMapping("/{id}")
  Mono<KeyResponse> get(ServerHttpRequest http, @PathVariable String id) {
    authentication.requireAdmin(http);
    return keys.find(id).map(k -> KeyResponse.of(k, null))
        .switchIfEmpty(Mono.error(() -> ProblemException.notFound("key_not_found", "No key " + id)));
  }

  @DeleteMapping("/{id}")
  Mono<KeyResponse> revoke(ServerHttpRequest http, @PathVariable String id) {
    authentication.requireAdmin(http);
    return keys.revoke(id).then(get(http, id));
  }
}
