package dev.latent.k8s;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The command-line tools the chart is tested with: {@code helm} (3.14+ or 4) and {@code kubectl}.
 * They are the same binaries users run, so the tests exercise exactly the install path users take.
 */
final class Tools {

  /** What a finished command printed. */
  record Result(int exitCode, String stdout, String stderr) {
    Result requireSuccess(List<String> command) {
      if (exitCode != 0) {
        throw new AssertionError("`" + String.join(" ", command) + "` exited " + exitCode + "\n" + stderr + stdout);
      }
      return this;
    }
  }

  static final Path CHART = Path.of(System.getProperty("latent.chart.dir", "latent")).toAbsolutePath().normalize();
  static final Path WORK = Path.of(System.getProperty("latent.work.dir", "target/chart-tests")).toAbsolutePath();

  /** The ci/ scenarios, each a values file that must lint, render and install. */
  static final List<String> SCENARIOS =
      List.of("cpu-only", "gpu", "external-db-and-redis", "high-availability");

  private Tools() {}

  static Path scenario(String name) {
    return CHART.resolve("ci").resolve(name + "-values.yaml");
  }

  static Path helm() {
    return find("helm", "HELM_BIN").or(Tools::besideKubeApiTest).orElseThrow(() -> new AssertionError(
        "helm is not on PATH (nor HELM_BIN set). The chart tests run the real helm binary: install helm 3.14+ or 4 "
            + "(on the CI machines ../shared/recipes/k8s-tools.sh provides it; .ci/run puts it on PATH)."));
  }

  /** kubectl from PATH, else the one kube-api-test keeps beside its kube-apiserver. */
  static Path kubectl(@Nullable Path fallback) {
    return find("kubectl", "KUBECTL_BIN")
        .or(() -> Optional.ofNullable(fallback).filter(Files::isExecutable))
        .orElseThrow(() -> new AssertionError("kubectl is not on PATH (nor KUBECTL_BIN set)"));
  }

  /** k8s-tools.sh puts helm in DIR/bin next to DIR/kube-api-test. */
  private static Optional<Path> besideKubeApiTest() {
    String dir = System.getenv("KUBE_API_TEST_DIR");
    if (dir == null || dir.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(Path.of(dir).toAbsolutePath().resolveSibling("bin").resolve("helm")).filter(Files::isExecutable);
  }

  static Optional<Path> find(String name, String override) {
    String explicit = System.getenv(override);
    if (explicit != null && !explicit.isBlank()) {
      return Optional.of(Path.of(explicit)).filter(Files::isExecutable);
    }
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  static Result run(List<String> command) {
    return run(command, null);
  }

  /** Runs a command with a 2-minute ceiling; output goes through files so neither pipe can block. */
  static Result run(List<String> command, @Nullable String stdin) {
    try {
      Files.createDirectories(WORK);
      Path out = Files.createTempFile(WORK, "out", ".txt");
      Path err = Files.createTempFile(WORK, "err", ".txt");
      ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command))
          .redirectOutput(out.toFile())
          .redirectError(err.toFile());
      // helm keeps its cache and repository config here, never in the user's home.
      builder.environment().put("HELM_CACHE_HOME", WORK.resolve("helm/cache").toString());
      builder.environment().put("HELM_CONFIG_HOME", WORK.resolve("helm/config").toString());
      builder.environment().put("HELM_DATA_HOME", WORK.resolve("helm/data").toString());
      Process process = builder.start();
      if (stdin != null) {
        try (var in = process.getOutputStream()) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      } else {
        process.getOutputStream().close();
      }
      if (!process.waitFor(2, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new AssertionError("`" + String.join(" ", command) + "` ran past 2 minutes");
      }
      Result result = new Result(process.exitValue(), Files.readString(out), Files.readString(err));
      Files.delete(out);
      Files.delete(err);
      return result;
    } catch (IOException e) {
      throw new AssertionError("could not run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted running " + command, e);
    }
  }

  /** {@code helm template} of one scenario (null: the chart's defaults), with extra arguments. */
  static String template(@Nullable String scenario, String... extra) {
    List<String> command = new ArrayList<>(List.of(helm().toString(), "template", "rel", CHART.toString(), "--namespace", "latent"));
    if (scenario != null) {
      command.addAll(List.of("-f", scenario(scenario).toString()));
    }
    command.addAll(List.of(extra));
    return run(command).requireSuccess(command).stdout();
  }
}
