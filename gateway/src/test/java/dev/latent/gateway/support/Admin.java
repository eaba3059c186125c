package dev.latent.gateway.support;

import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/** Issues keys through the real admin API. */
public final class Admin {

  public static final String KEY = "test-admin-key";

  private Admin() {}

  /** Creates a key from {@code spec} (the admin API's JSON) and returns {@code {id, key, ...}}. */
  public static JsonNode createKey(WebTestClient client, Map<String, Object> spec) {
    return client.post().uri("/admin/keys").header("Authorization", "Bearer " + KEY)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(spec)
        .exchange().expectStatus().isCreated()
        .expectBody(JsonNode.class).returnResult().getResponseBody();
  }
}
