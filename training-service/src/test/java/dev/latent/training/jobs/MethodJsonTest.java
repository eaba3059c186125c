package dev.latent.training.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** {@code method} keeps another type's block as it came, and the wire shows it under its own name only. */
class MethodJsonTest {

  final JsonMapper json = JsonMapper.builder().build();

  @Test
  void anOtherTypesBlockRoundTripsUnderItsName() {
    String in = "{\"type\":\"detection\",\"detection\":{\"hyperparameters\":{\"n_epochs\":2}}}";
    JobRequest.Method m = json.readValue(in, JobRequest.Method.class);
    assertThat(m.block()).isEqualTo(Map.of("hyperparameters", Map.of("n_epochs", 2)));
    String out = json.writeValueAsString(m);
    assertThat(out).contains("\"detection\":{\"hyperparameters\":{\"n_epochs\":2}}").doesNotContain("others");
    assertThat(json.readValue(out, JobRequest.Method.class).block()).isEqualTo(m.block());
    assertThat(json.writeValueAsString(new JobRequest.Method("supervised", null, null, null, null)))
        .doesNotContain("others");
  }
}
