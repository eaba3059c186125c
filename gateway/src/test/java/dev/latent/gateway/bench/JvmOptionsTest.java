package dev.latent.gateway.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The gateway runs with the same JVM options everywhere: {@code gateway/jvm.options} is what the
 * launcher and the bench pass, and the chart's {@code gateway.javaOptions} must say the same.
 */
class JvmOptionsTest {

  private static final Path REPO = Path.of(System.getProperty("latent.repo.dir", "..")).toAbsolutePath().normalize();
  private static final Path FILE = REPO.resolve("gateway/jvm.options");

  @Test
  void aJvmStartsWithTheShippedFileAndItsCollector() throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process jvm = new ProcessBuilder(java, "@" + FILE, "-XX:+PrintFlagsFinal", "-version").redirectErrorStream(true).start();
    String flags = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(jvm.waitFor()).as(flags).isZero();
    assertThat(JvmOptions.readArgumentFile(FILE)).contains("-XX:+UseParallelGC");
    assertThat(flags).containsPattern("bool UseParallelGC\\s+= true");
    assertThat(flags).containsPattern("size_t MetaspaceSize\\s+= 134217728");
  }

  @Test
  void aCollectorChosenForTheBenchReplacesTheShippedOne() {
    List<String> options = JvmOptions.of("@" + FILE + " -Xmx512m", "-XX:+UseZGC -Xlog:gc");

    assertThat(options).contains("-XX:+UseZGC", "-Xlog:gc", "-Xmx512m", "-XX:MetaspaceSize=128m")
        .doesNotContain("-XX:+UseParallelGC");
    assertThat(JvmOptions.of("@" + FILE, "-Xlog:gc")).contains("-XX:+UseParallelGC", "-Xlog:gc");
  }

  @Test
  @SuppressWarnings("unchecked")
  void theChartShipsTheSameOptions() throws IOException {
    Map<String, Object> values = new Yaml().load(Files.readString(REPO.resolve("k8s/latent/values.yaml")));
    String chart = (String) ((Map<String, Object>) values.get("gateway")).get("javaOptions");

    assertThat(List.of(chart.trim().split("\\s+"))).isEqualTo(JvmOptions.readArgumentFile(FILE));
  }

  @Test
  void theLauncherPassesTheFile() throws IOException, InterruptedException {
    Process bash = new ProcessBuilder("bash", "-c", "ROOT=$PWD && . scripts/platform-services.sh && service_java_opts gateway")
        .directory(REPO.toFile()).redirectErrorStream(true).start();
    bash.getOutputStream().close();
    String options = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(bash.waitFor()).as(options).isZero();
    List<String> expanded = new ArrayList<>(JvmOptions.of(options, null));
    assertThat(expanded).containsAll(JvmOptions.readArgumentFile(FILE)).contains("-Xmx512m");
  }
}
