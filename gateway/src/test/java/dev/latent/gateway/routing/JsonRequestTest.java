package dev.latent.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.latent.support.problem.ProblemException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

class JsonRequestTest {

  private final JsonMapper json = JsonMapper.builder().build();

  private JsonRequest parse(String body) {
    return JsonRequest.parse(json, body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsTheModelAndTheNotedMembersWithoutATree() {
    String body = "{\"messages\":[{\"role\":\"user\",\"model\":\"not-this\",\"n\":9}],\"model\":\"m1\",\"max_tokens\":16,"
        + "\"n\": 2 ,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"temperature\":0.5}";
    JsonRequest request = parse(body);

    assertThat(request.model()).isEqualTo("m1");
    assertThat(request.size()).isEqualTo(body.length());
    assertThat(request.member("max_tokens").asLong()).isEqualTo(16);
    assertThat(request.member("n").asLong()).as("the top-level n, not the one in messages").isEqualTo(2);
    assertThat(request.member("stream_options").path("include_usage").asBoolean(false)).isTrue();
    assertThat(request.stream()).isTrue();
    assertThat(request.member("max_completion_tokens")).isNull();
    assertThat(request.body()).isEqualTo(json.readTree(body));
  }

  @Test
  void membersAreWhatATreeWouldSay() {
    JsonRequest request = parse("{\"model\":\"m\",\"max_tokens\":null,\"n\":1.5,\"stream\":\"yes\",\"max_tokens\":\"7\"}");

    assertThat(request.member("max_tokens")).as("the last duplicate wins, as in a tree").isEqualTo(json.readTree("\"7\""));
    assertThat(request.member("n").isIntegralNumber()).isFalse();
    assertThat(request.stream()).isFalse();
    assertThat(parse("{\"model\":\"m\",\"max_tokens\":null}").member("max_tokens").isNull()).isTrue();
  }

  @Test
  void anEditedTreeIsWhatMembersReadAfterwards() {
    JsonRequest request = parse("{\"model\":\"m\",\"stream\":true}");
    request.body().putObject("stream_options").put("include_usage", true);

    assertThat(request.member("stream_options").path("include_usage").asBoolean(false)).isTrue();
    assertThatThrownBy(() -> request.member("temperature")).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "{\"model\": ", "[1,2]", "\"text\"", "{\"model\":\"m\"} {}", "{\"model\":\"m\",}",
      "{\"messages\":[]}", "{\"model\":\"  \"}", "{\"model\":5}", "{\"model\":\"m\",\"model\":null}"})
  void badBodiesAre400s(String body) {
    assertThatThrownBy(() -> parse(body)).isInstanceOfSatisfying(ProblemException.class,
        e -> assertThat(e.status().value()).isEqualTo(400));
  }
}
