package dev.latent.training.defaultmodel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.latent.ml.text.ChatMessage;
import dev.latent.ml.text.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {

  @TempDir
  Path dir;

  @Test
  void tokenizerHasOneTokenPerByteAndTheSpecials() throws Exception {
    ModelFiles.writeTokenizer(dir);
    try (Tokenizer tok = Tokenizer.load(dir)) {
      assertThat(tok.vocabSize()).isEqualTo(ModelFiles.VOCAB);
      assertThat(tok.encode("47+38")).containsExactly('4', '7', '+', '3', '8');
      assertThat(tok.encode("<think>x</think>")).containsExactly(259, 'x', 260);
      assertThat(tok.specialTokenId("<|im_end|>")).contains(ModelFiles.EOS_ID);
      assertThat(tok.stopTokenIds()).contains(ModelFiles.EOS_ID);
      String text = "héllo <think>a b</think>ok";
      // <think> is an added, non-special token: kept when special tokens are skipped
      assertThat(tok.decode(tok.encode(text), true)).isEqualTo(text);
      assertThat(tok.decode(tok.encode("<|im_start|>hi<|im_end|>"), true)).isEqualTo("hi");
    }
  }

  @Test
  void chatTemplateOpensTheAssistantTurnAndReplaysReasoning() throws Exception {
    ModelFiles.writeTokenizer(dir);
    try (Tokenizer tok = Tokenizer.load(dir)) {
      var template = tok.chatTemplate().orElseThrow();
      assertThat(template.render(List.of(new ChatMessage("user", "What is 1+2?")), true))
          .isEqualTo("<|im_start|>user\nWhat is 1+2?<|im_end|>\n<|im_start|>assistant\n");
      assertThat(template.render(List.of(new ChatMessage("user", "q"), new ChatMessage("assistant", "3", "1+2=3")), false))
          .isEqualTo("<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>1+2=3</think>3<|im_end|>\n");
    }
  }

  @Test
  void initialModelGeneratesThroughTheEvaluator() throws Exception {
    ModelFiles.writeInitial(dir, ModelFiles.config(32, 1, 2, 1, 64, 128), 3);
    List<Tasks.Task> tasks = Tasks.generate(5, 3);
    try (Evaluator e = new Evaluator(dir, 6)) {
      List<String> greedy = e.complete(tasks.stream().map(Tasks.Task::prompt).toList(), 0, null, 2);
      assertThat(greedy).hasSize(3);
      // batching does not change greedy output
      assertThat(e.complete(List.of(tasks.get(2).prompt()), 0, null, 1)).containsExactly(greedy.get(2));
      assertThat(e.complete(List.of(tasks.get(0).prompt()), 1.0, 9L, 1))
          .isEqualTo(e.complete(List.of(tasks.get(0).prompt()), 1.0, 9L, 1));
      Evaluator.Accuracy a = e.accuracy(tasks, 3);
      assertThat(a.total()).isEqualTo(3);
    }
  }
}
