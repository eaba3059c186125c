package dev.latent.gateway.keys;

import dev.latent.support.problem.ProblemException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Who is calling: a tenant's virtual key, or the admin. */
@Component
public class KeyAuthentication {

  private final KeyStore keys;
  private final KeysProperties properties;
  private final Clock clock;

  KeyAuthentication(KeyStore keys, KeysProperties properties, Clock clock) {
    this.keys = keys;
    this.properties = properties;
    this.clock = clock;
  }

  /**
   * The active key the request carries when it is in the key cache (the usual case: no database,
   * no Mono); null when it is not, or not active — then {@link #authenticate} says which.
   */
  @Nullable ApiKey cachedActive(ServerHttpRequest request) {
    String secret = bearer(request);
    ApiKey key = secret == null ? null : keys.cached(secret);
    return key != null && key.activeAt(clock.instant()) ? key : null;
  }

  /** The active key the request carries; 401 when it carries none, or an unknown, revoked or expired one. */
  public Mono<ApiKey> authenticate(ServerHttpRequest request) {
    String secret = bearer(request);
    if (secret == null) {
      return Mono.error(unauthorized("missing_api_key",
          "No API key: send Authorization: Bearer <key>"));
    }
    return keys.findBySecret(secret)
        .switchIfEmpty(Mono.error(() -> unauthorized("invalid_api_key", "Incorrect API key provided")))
        .flatMap(key -> key.activeAt(clock.instant()) ? Mono.just(key)
            : Mono.error(unauthorized("invalid_api_key",
                key.revokedAt() != null ? "This API key has been revoked" : "This API key has expired")));
  }

  public boolean isAdmin(ServerHttpRequest request) {
    String secret = bearer(request);
    String admin = properties.adminKey();
    return secret != null && admin != null && MessageDigest.isEqual(
        secret.getBytes(StandardCharsets.UTF_8), admin.getBytes(StandardCharsets.UTF_8));
  }

  /** 401 unless the request carries the admin key. */
  public void requireAdmin(ServerHttpRequest request) {
    if (!isAdmin(request)) {
      throw unauthorized("invalid_admin_key", properties.adminKey() == null
          ? "The admin API is disabled: set LATENT_ADMIN_KEY"
          : "This endpoint needs the admin key: Authorization: Bearer <LATENT_ADMIN_KEY>");
    }
  }

  static @Nullable String bearer(ServerHttpRequest request) {
    String header = request.getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = header.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  static ProblemException unauthorized(String code, String detail) {
    return new ProblemException(HttpStatus.UNAUTHORIZED, "unauthorized", detail, code, null)
        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
  }
}
