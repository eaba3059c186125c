package dev.latent.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.DataType;
import dev.latent.ml.llm.cache.PagedKvCache;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * A 16-bit KV cache (bf16: native memory outside DJL): the budget holds twice the tokens of an
 * f32 cache, and prefix-cache hits are copied in the cache's own dtype.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "latent.inference.runtime.kv-cache-dtype=bf16")
@AutoConfigureWebTestClient
class KvCacheDtypeTest {

  private static final String MODEL = RuntimeBehaviourTest.MODEL;

  @Autowired
  ModelRegistry registry;

  @Autowired
  RuntimeProperties properties;

  @Autowired
  WebTestClient client;

  @Test
  void theBudgetsBlockCountFollowsTheCachesDtype() {
    ServedModel model = registry.require(MODEL);
    long budget = properties.kvCacheBudget().toBytes();
    int blockSize = properties.blockSize();
    long bf16 = PagedKvCache.bytesPerToken(model.scheduler().model().config(), DataType.BFLOAT16);
    long f32 = PagedKvCache.bytesPerToken(model.scheduler().model().config(), DataType.FLOAT32);
    assertThat(bf16 * 2).isEqualTo(f32);
    assertThat(model.scheduler().kvBytesPerToken()).isEqualTo(bf16);
    assertThat(model.scheduler().capacityTokens()).isEqualTo(budget / (bf16 * blockSize) * blockSize);
  }

  @Test
  void aPrefixHitIsCopiedInTheCachesDtype() {
    String system = "You answer in one short sentence. ".repeat(6);
    Map<String, Object> first = chat(system, "first");
    Map<String, Object> second = chat(system, "second");
    assertThat(usage(first).get("prompt_cache_hit_tokens")).isEqualTo(0);
    assertThat(((Number) usage(second).get("prompt_cache_hit_tokens")).intValue()).isPositive();
  }

  private Map<String, Object> chat(String system, String user) {
    return client.post().uri("/v1/chat/completions")
        .bodyValue(Map.of("model", MODEL, "max_tokens", 4, "temperature", 0, "messages", List.of(
            Map.of("role", "system", "content", system), Map.of("role", "user", "content", user))))
        .exchange().expectStatus().isOk()
        .expectBody(new ParameterizedTypeReference<Map<String, Object>>() {}).returnResult()
        .getResponseBody();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> usage(Map<String, Object> body) {
    return (Map<String, Object>) body.get("usage");
  }
}
