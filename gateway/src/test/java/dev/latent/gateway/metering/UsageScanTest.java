package dev.latent.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.gateway.pricing.TokenCounts;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

class UsageScanTest {

  private final JsonMapper json = JsonMapper.builder().build();
  private final UsageScan scan = new UsageScan(json.tokenStreamFactory());

  /** The scan reads what {@link Usage#parse} reads from the tree, for every shape a backend sends. */
  @ParameterizedTest
  @ValueSource(strings = {
      // OpenAI: cached prompt tokens and reasoning tokens in the details, after the choices
      "{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"{\\\"usage\\\":1}\"}}],\"usage\":{\"prompt_tokens\":9,"
          + "\"completion_tokens\":5,\"prompt_tokens_details\":{\"audio_tokens\":0,\"cached_tokens\":4},"
          + "\"completion_tokens_details\":{\"reasoning_tokens\":2,\"accepted_prediction_tokens\":[1,{\"a\":2}]}}}",
      // DeepSeek: hit and miss counted by the backend, before the choices
      "{\"usage\":{\"prompt_tokens\":12,\"prompt_cache_hit_tokens\":8,\"prompt_cache_miss_tokens\":4,"
          + "\"completion_tokens\":3,\"total_tokens\":15},\"choices\":[]}",
      // reasoning above completion is capped; a miss left out is prompt minus hit
      "{\"usage\":{\"prompt_tokens\":10,\"prompt_cache_hit_tokens\":3,\"completion_tokens\":2,"
          + "\"completion_tokens_details\":{\"reasoning_tokens\":7}}}",
      // numbers sent as strings, details that are not objects, negative counts
      "{\"usage\":{\"prompt_tokens\":\"6\",\"completion_tokens\":-1,\"prompt_tokens_details\":null,"
          + "\"completion_tokens_details\":[1,2],\"prompt_cache_hit_tokens\":\"2\"}}",
      "{\"usage\":{}}",
      "{\"object\":\"list\",\"data\":[{\"embedding\":[0.1,0.2]}],\"usage\":{\"prompt_tokens\":7,\"total_tokens\":7}}"})
  void readsWhatTheTreeReads(String body) {
    TokenCounts expected = Usage.parse(json.readTree(body).get("usage"));
    assertThat(expected).isNotNull();
    assertThat(scan(body)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"choices\":[]}", "{\"usage\":null}", "{\"usage\":[1]}", "[{\"usage\":{}}]",
      "{\"a\":{\"usage\":{\"prompt_tokens\":1}}}", "{\"usage\":{\"prompt_tokens\":", "not json", ""})
  void noUsageWhenThereIsNoTopLevelUsageObject(String body) {
    assertThat(scan(body)).isNull();
  }

  @org.junit.jupiter.api.Test
  void readsOnlyTheGivenPrefixOfTheBuffer() {
    byte[] body = "{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}GARBAGE".getBytes(StandardCharsets.UTF_8);
    assertThat(scan.of(body, body.length - "GARBAGE".length())).isEqualTo(new TokenCounts(0, 3, 1, 0));
  }

  private TokenCounts scan(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return scan.of(bytes, bytes.length);
  }
}
