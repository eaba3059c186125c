package dev.latent.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class MetricsTest {

  @Autowired
  WebTestClient client;

  @Test
  void servingMetricsAreExposedToPrometheus() {
    client.post().uri("/v1/chat/completions")
        .bodyValue(Map.of("model", "latent-seeded-tiny", "max_tokens", 3,
            "messages", List.of(Map.of("role", "user", "content", "metrics"))))
        .exchange().expectStatus().isOk();
    // The scrape grows with every model and adapter the shared test context has served (one set
    // of histogram buckets each), past WebTestClient's 256 KiB default buffer.
    String text = client.mutate().codecs(c -> c.defaultCodecs().maxInMemorySize(16 * 1024 * 1024)).build()
        .get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
        .expectBody(String.class).returnResult().getResponseBody();
    assertThat(text).contains(
        "latent_inference_time_to_first_token_seconds_bucket",
        "latent_inference_time_per_output_token_seconds_bucket",
        "latent_inference_e2e_latency_seconds_bucket",
        "latent_inference_prompt_tokens_total",
        "latent_inference_generation_tokens_total",
        "latent_inference_sequences_running",
        "latent_inference_sequences_waiting",
        "latent_inference_kv_cache_usage",
        "latent_inference_prefix_cache_hit_rate",
        "latent_inference_step_context_tokens_sum",
        "latent_inference_step_prompt_tokens_count",
        "latent_inference_engine_java_steps_total",
        "latent_inference_model_f32_panel_bytes");
  }
}
