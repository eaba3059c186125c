package dev.latent.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The official OpenAI Java SDK, unmodified, against the running service. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OpenAiClientTest {

  static final String MODEL = "latent-seeded-tiny";

  @LocalServerPort
  int port;

  OpenAIClient client;

  @BeforeEach
  void connect() {
    client = OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + port + "/v1")
        .apiKey("not-checked-here").maxRetries(0).build();
  }

  @AfterEach
  void close() {
    client.close();
  }

  @Test
  void chatCompletion() {
    ChatCompletion completion = client.chat().completions().create(
        ChatCompletionCreateParams.builder().model(MODEL).addSystemMessage("Be brief.")
            .addUserMessage("Hello!").maxCompletionTokens(6).temperature(0).build());
    assertThat(completion.model()).isEqualTo(MODEL);
    assertThat(completion.choices()).hasSize(1);
    assertThat(completion.choices().getFirst().finishReason().asString()).isEqualTo("length");
    var usage = completion.usage().orElseThrow();
    assertThat(usage.completionTokens()).isEqualTo(6);
    assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + 6);
    assertThat(usage.promptTokensDetails().orElseThrow().cachedTokens()).isPresent();
  }

  @Test
  void streamingChatWithIncludeUsage() {
    List<ChatCompletionChunk> chunks = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
        ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("Stream please")
            .maxCompletionTokens(5)
            .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
            .build())) {
      stream.stream().forEach(chunks::add);
    }
    ChatCompletionChunk last = chunks.getLast();
    assertThat(last.choices()).isEmpty();
    assertThat(last.usage().orElseThrow().completionTokens()).isEqualTo(5);
    assertThat(chunks.get(chunks.size() - 2).choices().getFirst().finishReason())
        .hasValueSatisfying(r -> assertThat(r.asString()).isEqualTo("length"));
    String text = chunks.stream().flatMap(c -> c.choices().stream())
        .map(c -> c.delta().content().orElse("")).reduce("", String::concat);
    assertThat(text).isNotNull();
  }

  @Test
  void completions() {
    Completion completion = client.completions().create(CompletionCreateParams.builder()
        .model(MODEL).prompt("Once upon a time").maxTokens(4).temperature(0).build());
    assertThat(completion.choices()).hasSize(1);
    assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(4);
  }

  @Test
  void embeddings() {
    CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder()
        .model("all-MiniLM-L6-v2").inputOfArrayOfStrings(List.of("first", "second")).build());
    assertThat(response.data()).hasSize(2);
    assertThat(response.data().getFirst().embedding()).hasSize(384);
  }

  @Test
  void errorsSurfaceAsTheSdksExceptions() {
    assertThatThrownBy(() -> client.chat().completions().create(
        ChatCompletionCreateParams.builder().model("missing").addUserMessage("x").build()))
        .isInstanceOf(NotFoundException.class).hasMessageContaining("missing");
    assertThatThrownBy(() -> client.chat().completions().create(
        ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("x").temperature(5)
            .build()))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("temperature");
  }
}
