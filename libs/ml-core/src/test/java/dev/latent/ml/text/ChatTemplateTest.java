package dev.latent.ml.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {

  private static final List<ChatMessage> CONVERSATION = List.of(
      new ChatMessage("system", "Be brief."),
      new ChatMessage("user", "Hi there"),
      new ChatMessage("assistant", "<think>\nhmm\n</think>\n\nHello"),
      new ChatMessage("user", "again"));

  @Test
  void qwen3TemplateRendersAsPythonJinjaDoes() {
    try (Tokenizer tokenizer = TestTokenizers.qwen3()) {
      String prompt = tokenizer.chatTemplate().orElseThrow().render(CONVERSATION, true);
      // Expected text as transformers' apply_chat_template renders it: the earlier turn's
      // reasoning is dropped (it precedes the last user query).
      assertThat(prompt).isEqualTo("""
          <|im_start|>system
          Be brief.<|im_end|>
          <|im_start|>user
          Hi there<|im_end|>
          <|im_start|>assistant
          Hello<|im_end|>
          <|im_start|>user
          again<|im_end|>
          <|im_start|>assistant
          """);
    }
  }

  @Test
  void qwen3KeepsReasoningOfTheTurnAfterTheLastQuery() {
    try (Tokenizer tokenizer = TestTokenizers.qwen3()) {
      String prompt = tokenizer.chatTemplate().orElseThrow().render(List.of(
          new ChatMessage("user", "2+2?"),
          new ChatMessage("assistant", "4", "add them")), false);
      assertThat(prompt).isEqualTo("""
          <|im_start|>user
          2+2?<|im_end|>
          <|im_start|>assistant
          <think>
          add them
          </think>

          4<|im_end|>
          """);
    }
  }

  @Test
  void llama3TemplatePutsBosFirstAndTrimsContent() {
    try (Tokenizer tokenizer = TestTokenizers.llama3()) {
      String prompt = tokenizer.chatTemplate().orElseThrow().render(List.of(
          new ChatMessage("system", "  Be brief. "), new ChatMessage("user", "Hi")), true);
      assertThat(prompt).isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
          + "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
          + "<|start_header_id|>assistant<|end_header_id|>\n\n");
      assertThat(tokenizer.encode(prompt)[0]).isEqualTo(128000);
    }
  }

  @Test
  void chatMlFallbackAndGenerationPromptSwitch() {
    var template = new ChatTemplate(ChatTemplate.CHATML, null, null);
    List<ChatMessage> messages = List.of(new ChatMessage("user", "Hi"));
    assertThat(template.render(messages, true))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    assertThat(template.render(messages, false)).isEqualTo("<|im_start|>user\nHi<|im_end|>\n");
  }

  @Test
  void templateErrorsAndRaiseExceptionBecomeIllegalArgument() {
    var strict = new ChatTemplate(
        "{% if messages[0].role != 'user' %}{{ raise_exception('first must be user') }}{% endif %}",
        null, null);
    assertThatThrownBy(() -> strict.render(List.of(new ChatMessage("system", "x")), true))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("first must be user");
  }

  @Test
  void pythonStringMethodsWork() {
    var template = new ChatTemplate("{{ messages[0].content.strip('x').startswith('ab') }}"
        + "|{{ messages[0].content.split('b')[-1] }}|{{ messages[0].content.endswith('x') }}",
        null, null);
    assertThat(template.render(List.of(new ChatMessage("user", "xabcx")), false))
        .isEqualTo("true|cx|true");
  }
}
