package dev.latent.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The chart on a real kube-apiserver + etcd (kube-api-test): install, upgrade to another scenario
 * and uninstall each scenario, and server-side validation of everything it renders. No nodes or
 * controllers run there, so pods never start and nothing waits for them.
 *
 * <p>Binaries: with {@code KUBE_API_TEST_DIR} set (CI: {@code k8s-tools.sh}) kube-api-test runs
 * offline from that directory; without it, it downloads kube-apiserver and etcd itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiServerInstallTest {

  static final List<String> SCENARIOS = Tools.SCENARIOS;
  /** The version k8s-tools.sh lays out for offline use; the oldest the chart supports. */
  private static final String OFFLINE_VERSION = "1.20.2";

  private @Nullable KubeAPIServer server;
  private Path kubeconfig = Path.of("unset");
  private @Nullable Path bundledKubectl;
  private boolean servesAutoscalingV2;

  @BeforeAll
  void startApiServer() throws IOException {
    KubeAPIServerConfigBuilder config = KubeAPIServerConfigBuilder.anAPIServerConfig()
        // Never touch the user's ~/.kube/config: helm and kubectl get their own file.
        .withUpdateKubeConfig(false);
    String offlineDir = System.getenv("KUBE_API_TEST_DIR");
    Path binaries;
    if (offlineDir != null && !offlineDir.isBlank()) {
      config.withTestDir(offlineDir).withOfflineMode(true).withApiServerVersion(OFFLINE_VERSION);
      binaries = Path.of(offlineDir);
    } else {
      // Online: kube-api-test downloads its default (latest) kube-apiserver, etcd and kubectl here.
      binaries = Path.of(System.getProperty("user.home"), ".kube-api-test");
    }
    server = new KubeAPIServer(config.build());
    server.start();
    bundledKubectl = findKubectl(binaries.resolve("k8s"));
    Files.createDirectories(Tools.WORK);
    kubeconfig = Tools.WORK.resolve("kubeconfig.yaml");
    Files.writeString(kubeconfig, server.getKubeConfigYaml());
    servesAutoscalingV2 = kubectl("api-versions").lines().anyMatch("autoscaling/v2"::equals);
  }

  private static @Nullable Path findKubectl(Path versions) throws IOException {
    if (!Files.isDirectory(versions)) {
      return null;
    }
    try (Stream<Path> dirs = Files.list(versions)) {
      return dirs.map(d -> d.resolve("kubectl")).filter(Files::isExecutable).sorted().reduce((a, b) -> b).orElse(null);
    }
  }

  @AfterAll
  void stopApiServer() {
    if (server != null) {
      server.stop();
    }
  }

  @ParameterizedTest
  @FieldSource("SCENARIOS")
  void installUpgradeToTheNextScenarioAndUninstall(String scenario) {
    String next = SCENARIOS.get((SCENARIOS.indexOf(scenario) + 1) % SCENARIOS.size());
    String namespace = "it-" + scenario;
    String release = "lat";

    String notes = helm("install", release, Tools.CHART.toString(), "-n", namespace, "--create-namespace",
        "-f", Tools.scenario(scenario).toString(), "--timeout", "60s");
    assertThat(notes).contains("Latent").contains("/v1/models");
    assertThat(helm("status", release, "-n", namespace)).contains("STATUS: deployed");
    List<String> installed = kubectl("get", "deployments,services,configmaps", "-n", namespace, "-o", "name").lines().toList();
    assertThat(installed).contains("deployment.apps/lat-latent-gateway", "service/lat-latent-gateway");

    helm("upgrade", release, Tools.CHART.toString(), "-n", namespace,
        "-f", Tools.scenario(next).toString(), "--timeout", "60s");
    assertThat(helm("history", release, "-n", namespace)).contains("Upgrade complete");
    String manifest = helm("get", "manifest", release, "-n", namespace);
    if (next.equals("high-availability")) {
      // 1.20 serves no autoscaling/v2: the chart must fall back to v2beta2 by itself.
      assertThat(manifest).contains(servesAutoscalingV2 ? "apiVersion: autoscaling/v2\n" : "apiVersion: autoscaling/v2beta2\n");
      assertThat(kubectl("get", "hpa", "-n", namespace, "-o", "name")).contains("lat-latent-gateway");
    }

    helm("uninstall", release, "-n", namespace, "--timeout", "60s");
    assertThat(kubectl("get", "deployments", "-n", namespace, "-o", "name")).isBlank();
  }

  @ParameterizedTest
  @FieldSource("SCENARIOS")
  void everyRenderedObjectPassesServerSideDryRun(String scenario) {
    String namespace = "dry-" + scenario;
    kubectl("create", "namespace", namespace);
    // Rendered against this server's API versions (as an install would), then validated by it.
    String rendered = helm("template", "dry", Tools.CHART.toString(), "-n", namespace,
        "-f", Tools.scenario(scenario).toString(), "--validate");
    Manifests objects = Manifests.parse(rendered);
    assertThat(objects.objects()).hasSizeGreaterThan(10);
    String applied = kubectlWithInput(rendered, "apply", "--dry-run=server", "-n", namespace, "-f", "-");
    assertThat(applied.lines().filter(l -> l.contains("(server dry run)")).count())
        .isEqualTo(objects.objects().size());
  }

  @Test
  void trainingServiceAccountMayCreateAndWatchJobsAndNothingMore() {
    String namespace = "it-rbac";
    helm("install", "rb", Tools.CHART.toString(), "-n", namespace, "--create-namespace", "--timeout", "60s");
    String subject = "system:serviceaccount:" + namespace + ":rb-latent-training";
    for (String verb : List.of("create", "watch", "get", "list", "delete")) {
      assertThat(kubectl("auth", "can-i", verb, "jobs.batch", "-n", namespace, "--as", subject).strip())
          .as(verb + " jobs").isEqualTo("yes");
    }
    assertThat(canI("create", "jobs.batch", "default", subject)).isEqualTo("no");
    assertThat(canI("get", "secrets", namespace, subject)).isEqualTo("no");
    // What the runner does in kubernetes mode, done as the ServiceAccount itself: create a Job,
    // read it back, delete it.
    assertThat(kubectl("create", "job", "ft-probe", "--image=latent/training-service", "-n", namespace,
        "--as", subject, "--", "java", "-version")).contains("job.batch/ft-probe created");
    assertThat(kubectl("get", "job", "ft-probe", "-n", namespace, "--as", subject, "-o", "name"))
        .isEqualTo("job.batch/ft-probe\n");
    assertThat(kubectl("delete", "job", "ft-probe", "-n", namespace, "--as", subject)).contains("deleted");
    helm("uninstall", "rb", "-n", namespace);
  }

  @Test
  void generatedPasswordsSurviveAnUpgrade() {
    String namespace = "it-sticky";
    helm("install", "st", Tools.CHART.toString(), "-n", namespace, "--create-namespace",
        "--set", "postgresql.enabled=true", "--set", "redis.enabled=true");
    String before = kubectl("get", "secret", "st-latent", "-n", namespace, "-o", "jsonpath={.data}");
    assertThat(before).contains("postgres-password").contains("redis-password");
    helm("upgrade", "st", Tools.CHART.toString(), "-n", namespace,
        "--set", "postgresql.enabled=true", "--set", "redis.enabled=true", "--set", "gateway.replicaCount=2");
    assertThat(kubectl("get", "secret", "st-latent", "-n", namespace, "-o", "jsonpath={.data}")).isEqualTo(before);
    assertThat(kubectl("get", "deployment", "st-latent-gateway", "-n", namespace, "-o", "jsonpath={.spec.replicas}")).isEqualTo("2");
    helm("uninstall", "st", "-n", namespace);
  }

  private String canI(String verb, String resource, String namespace, String subject) {
    List<String> command = Stream.concat(
        Stream.of(Tools.kubectl(bundledKubectl).toString(), "--kubeconfig", kubeconfig.toString()),
        Stream.of("auth", "can-i", verb, resource, "-n", namespace, "--as", subject)).toList();
    // can-i exits 1 with "no".
    return Tools.run(command).stdout().strip();
  }

  private String helm(String... args) {
    List<String> command = new ArrayList<>(List.of(Tools.helm().toString(), "--kubeconfig", kubeconfig.toString()));
    command.addAll(List.of(args));
    return Tools.run(command).requireSuccess(command).stdout();
  }

  private String kubectl(String... args) {
    return kubectlWithInput(null, args);
  }

  private String kubectlWithInput(@Nullable String stdin, String... args) {
    List<String> command = new ArrayList<>(List.of(Tools.kubectl(bundledKubectl).toString(), "--kubeconfig", kubeconfig.toString()));
    command.addAll(List.of(args));
    return Tools.run(command, stdin).requireSuccess(command).stdout();
  }
}
