package dev.latent.training.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.BeforeAll;
import dev.latent.training.TestHomes;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "latent.home=target/test-home/files", "latent.training.files.max-bytes=2KB",
    "latent.training.files.max-lines=5"})
@AutoConfigureWebTestClient
public class FilesApiTest {

  static final Path home = Path.of("target/test-home/files");

  @BeforeAll
  static void clean() throws Exception {
    TestHomes.wipe(home);
  }

  @Autowired
  WebTestClient client;

  public static MultipartBodyBuilder upload(String content, String purpose) {
    MultipartBodyBuilder b = new MultipartBodyBuilder();
    b.part("file", new ByteArrayResource(content.getBytes()) {
      @Override
      public String getFilename() {
        return "data.jsonl";
      }
    });
    if (purpose != null) {
      b.part("purpose", purpose);
    }
    return b;
  }

  WebTestClient.ResponseSpec post(String content, String purpose) {
    return client.post().uri("/v1/files").contentType(MediaType.MULTIPART_FORM_DATA)
        .body(BodyInserters.fromMultipartData(upload(content, purpose).build())).exchange();
  }

  @Test
  void uploadListGetContentDelete() {
    String jsonl = "{\"instruction\":\"Add\",\"input\":\"2 3\",\"output\":\"5\"}\n\n{\"instruction\":\"Say hi\",\"output\":\"hi\"}\n";
    TrainingFile f = post(jsonl, "fine-tune").expectStatus().isOk().expectBody(TrainingFile.class)
        .returnResult().getResponseBody();
    assertThat(f.id()).startsWith("file-");
    assertThat(f.format()).isEqualTo("alpaca");
    assertThat(f.lineCount()).isEqualTo(2);
    assertThat(f.bytes()).isEqualTo(jsonl.length());
    client.get().uri("/v1/files").exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.object").isEqualTo("list").jsonPath("$.data[?(@.id=='" + f.id() + "')]").exists();
    client.get().uri("/v1/files/" + f.id()).exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.created_at").isNumber().jsonPath("$.purpose").isEqualTo("fine-tune");
    client.get().uri("/v1/files/" + f.id() + "/content").exchange().expectStatus().isOk()
        .expectBody(String.class).isEqualTo(jsonl);
    client.delete().uri("/v1/files/" + f.id()).exchange().expectStatus().isOk()
        .expectBody().jsonPath("$.deleted").isEqualTo(true);
    client.get().uri("/v1/files/" + f.id()).exchange().expectStatus().isNotFound()
        .expectBody().jsonPath("$.error.code").isEqualTo("file_not_found");
  }

  @Test
  void formatsAreDetected() {
    post("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}\n", "fine-tune")
        .expectStatus().isOk().expectBody().jsonPath("$.format").isEqualTo("chat");
    post("{\"prompt\":\"2+2?\",\"chosen\":\"4\",\"rejected\":[{\"role\":\"assistant\",\"content\":\"5\"}]}\n", "fine-tune")
        .expectStatus().isOk().expectBody().jsonPath("$.format").isEqualTo("dpo");
    post("{\"text\":\"once upon a time\"}\n", "fine-tune")
        .expectStatus().isOk().expectBody().jsonPath("$.format").isEqualTo("text");
  }

  @Test
  void badFilesNameTheLineAndLeaveNothingBehind() throws Exception {
    long before = stored();
    post("{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"text\": oops}\n", "fine-tune").expectStatus().isBadRequest()
        .expectBody().jsonPath("$.error.message").value(m -> assertThat((String) m).startsWith("line 3: invalid JSON"))
        .jsonPath("$.error.param").isEqualTo("file");
    post("{\"text\":\"a\"}\n{\"instruction\":\"x\",\"output\":\"y\"}\n", "fine-tune").expectStatus().isBadRequest()
        .expectBody().jsonPath("$.error.message").value(m -> assertThat((String) m).contains("line 2").contains("alpaca"));
    post("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n", "fine-tune").expectStatus().isBadRequest()
        .expectBody().jsonPath("$.error.message").value(m -> assertThat((String) m).contains("line 1").contains("assistant"));
    post("{\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}\n", "fine-tune").expectStatus().isBadRequest()
        .expectBody().jsonPath("$.error.message").value(m -> assertThat((String) m).contains("messages[0].role"));
    post("{\"foo\":1}\n", "fine-tune").expectStatus().isBadRequest();
    post("{\"text\":\"a\"}\n".repeat(6), "fine-tune").expectStatus().isBadRequest()
        .expectBody().jsonPath("$.error.message").value(m -> assertThat((String) m).contains("line 6").contains("max-lines"));
    post("{\"text\":\"" + "a".repeat(3000) + "\"}\n", "fine-tune").expectStatus().isEqualTo(413);
    post("{\"text\":\"a\"}\n", "assistants").expectStatus().isBadRequest()
        .expectBody().jsonPath("$.error.param").isEqualTo("purpose");
    post("", "fine-tune").expectStatus().isBadRequest();
    assertThat(stored()).isEqualTo(before);
    try (var files = Files.list(home.resolve("training/files"))) {
      assertThat(files.filter(p -> p.getFileName().toString().startsWith(".upload-"))).isEmpty();
    }
  }

  private long stored() throws Exception {
    Path dir = home.resolve("training/files");
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (var files = Files.list(dir)) {
      return files.count();
    }
  }
}
