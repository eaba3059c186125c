package dev.latent.inference.embeddings;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.test.web.reactive.server.WebTestClient;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class EmbeddingsTest {

  @Autowired
  WebTestClient client;

  @Test
  void relatedSentencesAreCloserThanUnrelatedOnesAndVectorsAreUnitLength() {
    var body = client.post().uri("/v1/embeddings").bodyValue(Map.of(
            "model", "all-MiniLM-L6-v2",
            "input", List.of("A man is eating food.", "A man is eating a piece of bread.",
                "The stock market fell sharply today.")))
        .exchange().expectStatus().isOk()
        .expectBody(new ParameterizedTypeReference<Map<String, Object>>() {})
        .returnResult().getResponseBody();
    assertThat(body).containsEntry("object", "list").containsEntry("model", "all-MiniLM-L6-v2");
    @SuppressWarnings("unchecked")
    var data = (List<Map<String, Object>>) body.get("data");
    float[][] v = data.stream().map(d -> toFloats((List<?>) d.get("embedding")))
        .toArray(float[][]::new);
    assertThat(v[0]).hasSize(384);
    assertThat(dot(v[0], v[0])).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    assertThat(dot(v[0], v[1])).isGreaterThan(0.5);
    assertThat(dot(v[0], v[2])).isLessThan(0.2);
    @SuppressWarnings("unchecked")
    var usage = (Map<String, Object>) body.get("usage");
    assertThat((Integer) usage.get("prompt_tokens")).isBetween(20, 40);
  }

  @Test
  void base64IsTheSameVectorAsLittleEndianFloats() {
    var floats = embed(Map.of("model", "all-MiniLM-L6-v2", "input", "hello world"));
    var encoded = embed(Map.of("model", "all-MiniLM-L6-v2", "input", "hello world",
        "encoding_format", "base64"));
    float[] expected = toFloats((List<?>) floats.get("embedding"));
    var buffer = ByteBuffer.wrap(Base64.getDecoder().decode((String) encoded.get("embedding")))
        .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] decoded = new float[buffer.remaining()];
    buffer.get(decoded);
    assertThat(decoded).containsExactly(expected);
  }

  @Test
  void badInputsAreProblemsNamingTheParameter() {
    client.post().uri("/v1/embeddings").bodyValue(Map.of("model", "all-MiniLM-L6-v2", "input", ""))
        .exchange().expectStatus().isBadRequest()
        .expectBody().jsonPath("$.error.param").isEqualTo("input");
    client.post().uri("/v1/embeddings").bodyValue(Map.of(
            "model", "all-MiniLM-L6-v2", "input", "x", "encoding_format", "int8"))
        .exchange().expectStatus().isBadRequest()
        .expectBody().jsonPath("$.error.param").isEqualTo("encoding_format");
    client.post().uri("/v1/embeddings").bodyValue(Map.of("model", "nope", "input", "x"))
        .exchange().expectStatus().isNotFound()
        .expectBody().jsonPath("$.error.code").isEqualTo("model_not_found");
  }

  private Map<String, Object> embed(Map<String, Object> request) {
    var body = client.post().uri("/v1/embeddings").bodyValue(request)
        .exchange().expectStatus().isOk()
        .expectBody(new ParameterizedTypeReference<Map<String, Object>>() {})
        .returnResult().getResponseBody();
    @SuppressWarnings("unchecked")
    var data = (List<Map<String, Object>>) body.get("data");
    return data.getFirst();
  }

  private static float[] toFloats(List<?> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) values.get(i)).floatValue();
    }
    return out;
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
