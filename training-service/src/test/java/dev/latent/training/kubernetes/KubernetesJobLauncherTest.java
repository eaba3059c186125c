package dev.latent.training.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import dev.latent.training.TestHomes;
import dev.latent.training.TrainingApplication;
import dev.latent.training.files.FilesApiTest;
import dev.latent.training.files.TrainingFile;
import dev.latent.training.jobs.JobWire;
import dev.latent.training.jobs.TinyBaseModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Job objects are created in a real kube-apiserver + etcd (kube-api-test; offline from
 * {@code KUBE_API_TEST_DIR} when set). Pods never run there: the in-process path is what trains.
 */
class KubernetesJobLauncherTest {

  static KubeAPIServer server;
  static KubernetesClient client;

  @BeforeAll
  static void start() {
    KubeAPIServerConfigBuilder config = KubeAPIServerConfigBuilder.anAPIServerConfig().withUpdateKubeConfig(false);
    String offline = System.getenv("KUBE_API_TEST_DIR");
    if (offline != null && !offline.isBlank()) {
      config.withTestDir(offline).withOfflineMode(true).withApiServerVersion("1.20.2");
    }
    server = new KubeAPIServer(config.build());
    server.start();
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(server.getKubeConfigYaml())).build();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.stop();
    }
  }

  @Test
  void aGpuJobHasImageArgsResourcesVolumeAndServiceAccount() {
    var props = new KubernetesRunnerProperties("default", "registry.local/latent/training-service:1.2", "trainer-sa",
        "latent-data", 1, "4", "16Gi", "latent-db", 2);
    KubernetesJobLauncher launcher = new KubernetesJobLauncher(client, props);
    launcher.launch("ftjob-abc123");
    Job job = client.batch().v1().jobs().inNamespace("default").withName("latent-train-ftjob-abc123").get();
    assertThat(job).isNotNull();
    assertThat(job.getMetadata().getLabels()).containsEntry(KubernetesJobLauncher.LABEL, "ftjob-abc123");
    assertThat(job.getSpec().getBackoffLimit()).isEqualTo(2);
    var pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getServiceAccountName()).isEqualTo("trainer-sa");
    assertThat(pod.getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getVolumes()).singleElement()
        .satisfies(v -> assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("latent-data"));
    Container c = pod.getContainers().getFirst();
    assertThat(c.getImage()).isEqualTo("registry.local/latent/training-service:1.2");
    assertThat(c.getArgs()).contains("--latent.training.worker-job-id=ftjob-abc123", "--latent.training.jobs.device=gpu");
    assertThat(c.getVolumeMounts()).singleElement().satisfies(m -> assertThat(m.getMountPath()).isEqualTo("/data"));
    assertThat(c.getEnv()).anySatisfy(e -> assertThat(e.getName() + "=" + e.getValue()).isEqualTo("LATENT_HOME=/data"));
    assertThat(c.getEnvFrom()).singleElement().satisfies(e -> assertThat(e.getSecretRef().getName()).isEqualTo("latent-db"));
    assertThat(c.getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"))
        .containsEntry("cpu", new Quantity("4")).containsEntry("memory", new Quantity("16Gi"));
    assertThat(c.getResources().getRequests()).containsEntry("nvidia.com/gpu", new Quantity("1"));

    launcher.delete("ftjob-abc123");
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() ->
        client.batch().v1().jobs().inNamespace("default").withName("latent-train-ftjob-abc123").get() == null);
  }

  @Test
  void withTheKubernetesRunnerAJobBecomesAKubernetesJobAndCancelDeletesIt() throws Exception {
    Path home = Path.of("target/test-home/kubernetes");
    TestHomes.wipe(home);
    TinyBaseModel.write(home.resolve("models"), "tiny");
    Path kubeconfig = home.resolve("kubeconfig.yaml");
    Files.writeString(kubeconfig, server.getKubeConfigYaml());
    System.setProperty("kubeconfig", kubeconfig.toAbsolutePath().toString());
    try (ConfigurableApplicationContext ctx = SpringApplication.run(TrainingApplication.class, "--server.port=0",
        "--latent.home=" + home, "--latent.training.runner=kubernetes",
        "--latent.training.kubernetes.image=latent/training-service:test")) {
      int port = ((WebServerApplicationContext) ctx).getWebServer().getPort();
      WebTestClient web = WebTestClient.bindToServer().baseUrl("http://localhost:" + port).build();
      String file = web.post().uri("/v1/files").contentType(MediaType.MULTIPART_FORM_DATA)
          .body(BodyInserters.fromMultipartData(FilesApiTest.upload("{\"text\":\"hello\"}\n", "fine-tune").build()))
          .exchange().expectStatus().isOk().expectBody(TrainingFile.class).returnResult().getResponseBody().id();
      JobWire.Job job = web.post().uri("/v1/fine_tuning/jobs").contentType(MediaType.APPLICATION_JSON)
          .bodyValue(Map.of("model", "tiny", "training_file", file, "method", Map.of("type", "pretrain")))
          .exchange().expectStatus().isOk().expectBody(JobWire.Job.class).returnResult().getResponseBody();
      assertThat(job.status()).isEqualTo("queued");
      Job k8s = client.batch().v1().jobs().inNamespace("default").withName(KubernetesJobLauncher.name(job.id())).get();
      assertThat(k8s.getSpec().getTemplate().getSpec().getContainers().getFirst().getImage())
          .isEqualTo("latent/training-service:test");
      web.post().uri("/v1/fine_tuning/jobs/" + job.id() + "/cancel").exchange().expectStatus().isOk()
          .expectBody().jsonPath("$.status").isEqualTo("cancelled");
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() ->
          client.batch().v1().jobs().inNamespace("default").withName(KubernetesJobLauncher.name(job.id())).get() == null);
    } finally {
      System.clearProperty("kubeconfig");
    }
  }

  @Test
  void aCpuJobAsksForNoGpu() {
    var props = new KubernetesRunnerProperties("default", "latent/training-service:latest", "latent-training",
        "latent-data", 0, "2", "8Gi", null, 3);
    Job job = new KubernetesJobLauncher(client, props).launch("ftjob-cpu1");
    Container c = job.getSpec().getTemplate().getSpec().getContainers().getFirst();
    assertThat(c.getResources().getLimits()).doesNotContainKey("nvidia.com/gpu");
    assertThat(c.getArgs()).contains("--latent.training.jobs.device=cpu");
    assertThat(c.getEnvFrom()).isEmpty();
  }
}
