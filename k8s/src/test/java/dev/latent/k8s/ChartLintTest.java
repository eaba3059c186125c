package dev.latent.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** {@code helm lint --strict}, the values schema, and the values file's own rules. */
class ChartLintTest {

  static final List<String> SCENARIOS = Tools.SCENARIOS;
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  @Test
  void defaultsLintStrict() {
    lint(List.of());
  }

  @ParameterizedTest
  @FieldSource("SCENARIOS")
  void everyScenarioLintsStrict(String scenario) {
    lint(List.of("-f", Tools.scenario(scenario).toString()));
  }

  private static void lint(List<String> extra) {
    List<String> command = new ArrayList<>(List.of(Tools.helm().toString(), "lint", "--strict", Tools.CHART.toString()));
    command.addAll(extra);
    Tools.Result result = Tools.run(command).requireSuccess(command);
    assertThat(result.stdout()).contains("0 chart(s) failed").doesNotContain("[WARNING]").doesNotContain("[ERROR]");
  }

  @Test
  void schemaRejectsAWrongType() {
    Tools.Result result = helmTemplate("--set", "gateway.replicaCount=three");
    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stderr()).contains("/gateway/replicaCount").contains("want integer");

    Tools.Result gpu = helmTemplate("--set", "inference.gpu.enabled=maybe");
    assertThat(gpu.exitCode()).isNotZero();
    assertThat(gpu.stderr()).contains("/inference/gpu/enabled");
  }

  @Test
  void schemaRejectsAnUnknownKeyAndAnInvalidEnum() {
    assertThat(helmTemplate("--set", "gateway.replicas=2").stderr()).contains("replicas");
    Tools.Result device = helmTemplate("--set", "inference.config.runtime.device=tpu");
    assertThat(device.exitCode()).isNotZero();
    assertThat(device.stderr()).contains("/inference/config/runtime/device");
  }

  @Test
  void gatewayReplicasWithoutALedgerDatabaseFailWithAReason() {
    Tools.Result result = helmTemplate("--set", "gateway.replicaCount=2");
    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stderr()).contains("shared ledger").contains("postgresql");
  }

  private static Tools.Result helmTemplate(String... extra) {
    List<String> command = new ArrayList<>(List.of(Tools.helm().toString(), "template", "rel", Tools.CHART.toString()));
    command.addAll(List.of(extra));
    return Tools.run(command);
  }

  private static final Pattern KEY_LINE = Pattern.compile("^(\\s*)(- )?([A-Za-z0-9_.\\-/]+):(\\s.*)?$");

  @Test
  void everyValueHasAComment() throws IOException {
    List<String> lines = Files.readAllLines(Tools.CHART.resolve("values.yaml"));
    List<String> uncommented = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!KEY_LINE.matcher(lines.get(i)).matches()) {
        continue;
      }
      int previous = i - 1;
      while (previous >= 0 && lines.get(previous).isBlank()) {
        previous--;
      }
      String before = previous >= 0 ? lines.get(previous).strip() : "";
      // A key opening a list item may carry its comment on the "- # ..." line above it.
      if (!before.startsWith("#") && !before.startsWith("- #") && !isCommentContinuation(lines, previous)) {
        uncommented.add((i + 1) + ": " + lines.get(i));
      }
    }
    assertThat(uncommented).as("values.yaml keys without a comment above them").isEmpty();
  }

  private static boolean isCommentContinuation(List<String> lines, int index) {
    return index >= 0 && lines.get(index).strip().startsWith("#");
  }

  @Test
  @SuppressWarnings("unchecked")
  void schemaCoversEveryValue() throws IOException {
    Map<String, Object> values = YAML.unmarshal(Files.readString(Tools.CHART.resolve("values.yaml")), Map.class);
    Map<String, Object> schema = YAML.unmarshal(Files.readString(Tools.CHART.resolve("values.schema.json")), Map.class);
    List<String> uncovered = new ArrayList<>();
    walk("", values, schema, uncovered);
    assertThat(uncovered).as("values without a schema entry").isEmpty();
  }

  @SuppressWarnings("unchecked")
  private static void walk(String path, Object value, Map<String, Object> schema, List<String> uncovered) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> properties = (Map<String, Object>) schema.getOrDefault("properties", Map.of());
      Object additional = schema.get("additionalProperties");
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        String key = String.valueOf(entry.getKey());
        Object child = properties.get(key);
        if (child == null && additional instanceof Map<?, ?>) {
          child = additional;
        }
        if (child == null) {
          uncovered.add(path + "." + key);
        } else {
          walk(path + "." + key, entry.getValue(), (Map<String, Object>) child, uncovered);
        }
      }
    } else if (value instanceof List<?> list && schema.get("items") instanceof Map<?, ?> items) {
      for (Object item : list) {
        walk(path + "[]", item, (Map<String, Object>) items, uncovered);
      }
    }
  }
}
