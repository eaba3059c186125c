package dev.latent.training.defaultmodel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsReportTest {

  @TempDir Path out;

  static Evaluator.Accuracy accuracy(int correct) {
    Map<Tasks.Kind, int[]> perKind = new EnumMap<>(Tasks.Kind.class);
    perKind.put(Tasks.Kind.COUNT, new int[] {correct, 10});
    boolean[] outcomes = new boolean[10];
    java.util.Arrays.fill(outcomes, 0, correct, true);
    return new Evaluator.Accuracy(correct, 10, perKind, outcomes);
  }

  ResultsReport report(int dpoCorrect) {
    Map<String, String> recipe = new LinkedHashMap<>(DefaultModelPipeline.DEFAULTS);
    recipe.put("sft_examples", "40000");
    recipe.put("dpo_rpo_alpha", "1.0");
    Map<String, Evaluator.Accuracy> results = new LinkedHashMap<>();
    results.put("pretrain", accuracy(0));
    results.put("sft", accuracy(4));
    results.put("dpo", accuracy(dpoCorrect));
    return new ResultsReport(recipe, results, Map.of("total", 12.4), 7, 10, 10000, "m-ft-dpo", "1.00 2.00 3.00",
        "4.00 5.00 6.00", List.of("10:00:00 hello"));
  }

  @Test
  void theCommandNamesOnlyWhatDiffersFromTheDefaults() {
    assertThat(report(5).command()).isEqualTo("./platform train default-model --sft_examples 40000 --dpo_rpo_alpha 1.0");
  }

  @Test
  void theStageRuleComparesEachStageWithThePreviousOne() {
    assertThat(report(5).stageRule())
        .isEqualTo("sft 4 > pretrain 0: yes (+4 −0, p = 0.125); dpo 5 > sft 4: yes (+1 −0, p = 1.00)");
    assertThat(report(4).stageRule()).endsWith("dpo 4 > sft 4: equal (+0 −0, p = 1.00)");
    assertThat(report(3).stageRule()).endsWith("dpo 3 > sft 4: NO (+0 −1, p = 1.00)");
  }

  @Test
  void resultsCarryTheTableTheShaOfEveryModelFileAndTheRecipe() throws Exception {
    for (String f : ResultsReport.MODEL_FILES) {
      Files.writeString(out.resolve(f), "abc");
    }
    report(5).write(out);
    String md = Files.readString(out.resolve("RESULTS.md"));
    assertThat(md).contains("| dpo | 50.0% (5/10) | 0/0 | 0/0 | 5/10 | 0/0 | 0/0 |")
        .contains("| model.safetensors | `ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad` |")
        .contains("Command: `./platform train default-model --sft_examples 40000 --dpo_rpo_alpha 1.0`")
        .contains("at start: 1.00 2.00 3.00; at end: 4.00 5.00 6.00")
        .contains("| total | 12 |")
        .contains("10:00:00 hello");
    assertThat(Files.readString(out.resolve("recipe.json"))).contains("\"dpo_rpo_alpha\": \"1.0\"");
  }
}
