package dev.latent.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** {@code helm template} of each scenario, parsed into typed fabric8 objects and checked. */
class RenderedChartTest {

  static final List<String> SCENARIOS = Tools.SCENARIOS;
  private static final List<String> SERVICES = List.of("gateway", "inference", "vision", "training");
  private static final List<String> MODEL_USERS = List.of("inference", "vision", "training");
  private static final String GPU = "nvidia.com/gpu";
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  @ParameterizedTest
  @FieldSource("SCENARIOS")
  void everyServiceRunsNonRootReadOnlyWithoutCapabilities(String scenario) {
    Manifests manifests = Manifests.render(scenario);
    for (String service : SERVICES) {
      PodSpec pod = manifests.deployment(service).getSpec().getTemplate().getSpec();
      assertThat(pod.getSecurityContext().getRunAsNonRoot()).as(service).isTrue();
      assertThat(pod.getSecurityContext().getRunAsUser()).as(service).isEqualTo(10001L);
      assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
      Container container = pod.getContainers().getFirst();
      assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).as(service).isTrue();
      assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).as(service).isFalse();
      assertThat(container.getSecurityContext().getCapabilities().getDrop()).as(service).containsExactly("ALL");
      // A read-only root needs writable scratch where the JVM and DJL write.
      assertThat(mountPath(container, "tmp")).isEqualTo("/tmp");
      assertThat(mountPath(container, "djl-cache")).isEqualTo("/tmp/djl");
      assertThat(volume(pod, "tmp").getEmptyDir()).isNotNull();
      assertThat(volume(pod, "djl-cache").getEmptyDir()).isNotNull();
      assertThat(env(container, "DJL_CACHE_DIR")).contains("/tmp/djl");
      assertThat(env(container, "HOME")).contains("/tmp");
      assertThat(pod.getTopologySpreadConstraints()).as(service).isNotEmpty()
          .allSatisfy(c -> assertThat(c.getLabelSelector().getMatchLabels()).containsEntry("app.kubernetes.io/component", service));
    }
  }

  @ParameterizedTest
  @FieldSource("SCENARIOS")
  void everyServiceHasActuatorProbesAndResourcesAndTcpPorts(String scenario) {
    Manifests manifests = Manifests.render(scenario);
    for (String service : SERVICES) {
      Container container = manifests.deployment(service).getSpec().getTemplate().getSpec().getContainers().getFirst();
      assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
      assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/readiness");
      assertThat(container.getStartupProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
      assertThat(container.getStartupProbe().getFailureThreshold()).isGreaterThanOrEqualTo(20);
      assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
      assertThat(container.getResources().getLimits()).containsKey("memory");
      assertThat(container.getPorts()).allSatisfy(p -> assertThat(p.getProtocol()).isEqualTo("TCP"));
    }
    for (Service service : manifests.all(Service.class)) {
      assertThat(service.getSpec().getPorts()).extracting(ServicePort::getProtocol).containsOnly("TCP");
    }
    assertThat(manifests.kind("PodDisruptionBudget")).hasSize(4);
  }

  @Test
  void gpuLimitsExactlyWhereEnabled() {
    Manifests gpu = Manifests.render("gpu");
    assertThat(gpuLimit(gpu, "inference")).contains(new Quantity("2"));
    assertThat(gpuLimit(gpu, "vision")).contains(new Quantity("1"));
    assertThat(gpuLimit(gpu, "training")).contains(new Quantity("1"));
    assertThat(gpuLimit(gpu, "gateway")).isEmpty();

    PodSpec inference = gpu.deployment("inference").getSpec().getTemplate().getSpec();
    assertThat(inference.getRuntimeClassName()).isEqualTo("nvidia");
    assertThat(inference.getNodeSelector()).containsEntry("nvidia.com/gpu.present", "true");
    assertThat(inference.getTolerations()).anySatisfy(t -> {
      assertThat(t.getKey()).isEqualTo(GPU);
      assertThat(t.getEffect()).isEqualTo("NoSchedule");
    });
    Container container = inference.getContainers().getFirst();
    assertThat(env(container, "PYTORCH_FLAVOR")).contains("cu128");
    assertThat(env(container, "PYTORCH_VERSION")).contains("2.7.1");
    assertThat(container.getResources().getRequests()).containsEntry("memory", new Quantity("16Gi"));
    // An empty runtimeClassName leaves the node's default runtime.
    assertThat(gpu.deployment("training").getSpec().getTemplate().getSpec().getRuntimeClassName()).isNull();
    assertThat(gpu.deployment("gateway").getSpec().getTemplate().getSpec().getTolerations()).isNullOrEmpty();

    for (String scenario : List.of("cpu-only", "external-db-and-redis")) {
      Manifests cpu = Manifests.render(scenario);
      for (String service : SERVICES) {
        PodSpec pod = cpu.deployment(service).getSpec().getTemplate().getSpec();
        assertThat(gpuLimit(cpu, service)).as(scenario + "/" + service).isEmpty();
        assertThat(pod.getRuntimeClassName()).isNull();
        assertThat(env(pod.getContainers().getFirst(), "PYTORCH_FLAVOR")).isEmpty();
      }
    }
    Manifests ha = Manifests.render("high-availability");
    assertThat(gpuLimit(ha, "inference")).contains(new Quantity("1"));
    assertThat(gpuLimit(ha, "vision")).isEmpty();
  }

  @ParameterizedTest
  @FieldSource("SCENARIOS")
  void modelStoreIsMountedAtDataModelsWithLatentHomeData(String scenario) {
    Manifests manifests = Manifests.render(scenario);
    String claim = scenario.equals("external-db-and-redis") ? "shared-models" : "rel-latent-models";
    assertThat(manifests.has("PersistentVolumeClaim", "rel-latent-models")).isEqualTo(!claim.equals("shared-models"));
    for (String service : MODEL_USERS) {
      PodSpec pod = manifests.deployment(service).getSpec().getTemplate().getSpec();
      Container container = pod.getContainers().getFirst();
      assertThat(mountPath(container, "models")).as(service).isEqualTo("/data/models");
      assertThat(volume(pod, "models").getPersistentVolumeClaim().getClaimName()).isEqualTo(claim);
      assertThat(env(container, "LATENT_HOME")).contains("/data");
      assertThat(serviceConfig(manifests, service)).containsEntry("model-store", "/data/models");
    }
    assertThat(manifests.deployment("gateway").getSpec().getTemplate().getSpec().getContainers().getFirst().getVolumeMounts())
        .extracting(VolumeMount::getName).doesNotContain("models");
  }

  @Test
  void modelStoreClaimIsReadWriteManyByDefault() {
    PersistentVolumeClaim claim = Manifests.render("gpu").one(PersistentVolumeClaim.class, "rel-latent-models");
    assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
    assertThat(claim.getSpec().getResources().getRequests()).containsEntry("storage", new Quantity("100Gi"));
  }

  @ParameterizedTest
  @FieldSource("SCENARIOS")
  void noSecretValueReachesAConfigMap(String scenario) {
    Manifests manifests = Manifests.render(scenario);
    List<String> secrets = new java.util.ArrayList<>(List.of("ci-admin-key-cpu", "ci-admin-key-gpu", "ci-admin-key-ha",
        "ci-db-password", "ci-redis-password"));
    for (Secret secret : manifests.all(Secret.class)) {
      secret.getData().values().forEach(v -> secrets.add(new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    }
    for (ConfigMap configMap : manifests.all(ConfigMap.class)) {
      String data = String.join("\n", configMap.getData().values());
      for (String secret : secrets) {
        assertThat(data).as(configMap.getMetadata().getName()).doesNotContain(secret);
      }
      assertThat(data.toLowerCase(java.util.Locale.ROOT)).doesNotContain("password:").doesNotContain("admin-key:");
    }
    // Every secret-looking variable is a reference, never a literal.
    for (Deployment deployment : manifests.all(Deployment.class)) {
      for (EnvVar var : deployment.getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv()) {
        if (var.getName().contains("PASSWORD") || var.getName().contains("ADMIN_KEY")) {
          assertThat(var.getValue()).as(var.getName()).isNull();
          assertThat(var.getValueFrom().getSecretKeyRef()).as(var.getName()).isNotNull();
        }
      }
    }
  }

  @Test
  void gatewayTalksToTheChartsServicesAndItsDatabases() {
    Manifests cpu = Manifests.render("cpu-only");
    Map<String, Object> gateway = serviceConfig(cpu, "gateway");
    assertThat(at(gateway, "routing", "backends", "inference", "urls")).isEqualTo(List.of("http://rel-latent-inference:8081"));
    assertThat(at(gateway, "routing", "backends", "training", "urls")).isEqualTo(List.of("http://rel-latent-training:8083"));
    assertThat(at(gateway, "limits", "store")).isEqualTo("redis");
    Map<String, Object> spring = springConfig(cpu, "gateway");
    assertThat(at(spring, "r2dbc", "url")).isEqualTo("r2dbc:postgresql://rel-latent-postgresql:5432/latent");
    assertThat(at(spring, "data", "redis", "host")).isEqualTo("rel-latent-redis");
    Container container = cpu.deployment("gateway").getSpec().getTemplate().getSpec().getContainers().getFirst();
    assertThat(container.getEnv()).extracting(EnvVar::getName)
        .contains("LATENT_ADMIN_KEY", "SPRING_R2DBC_PASSWORD", "SPRING_FLYWAY_PASSWORD", "SPRING_DATA_REDIS_PASSWORD");
    // The gateway's collector replaces the image's G1 (one -XX:+Use…GC only), after its memory flags.
    assertThat(env(container, "JAVA_TOOL_OPTIONS")).hasValueSatisfying(options -> assertThat(options)
        .contains("-XX:MaxRAMPercentage=50", "-XX:+UseParallelGC", "-XX:MetaspaceSize=128m").doesNotContain("UseG1GC"));
    assertThat(cpu.all(StatefulSet.class)).extracting(s -> s.getMetadata().getName())
        .containsExactlyInAnyOrder("rel-latent-postgresql", "rel-latent-redis");

    Manifests external = Manifests.render("external-db-and-redis");
    Map<String, Object> externalSpring = springConfig(external, "gateway");
    assertThat(at(externalSpring, "flyway", "url")).isEqualTo("jdbc:postgresql://postgres.db.svc.cluster.local:5432/latent_prod");
    assertThat(at(externalSpring, "data", "redis", "ssl", "enabled")).isEqualTo(true);
    assertThat(external.all(StatefulSet.class)).isEmpty();
    assertThat(external.all(Secret.class)).as("every credential comes from an existing Secret").isEmpty();
    Container gw = external.deployment("gateway").getSpec().getTemplate().getSpec().getContainers().getFirst();
    assertThat(gw.getEnv()).filteredOn(e -> e.getName().equals("SPRING_R2DBC_PASSWORD")).singleElement()
        .satisfies(e -> {
          assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("latent-db");
          assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("password");
        });
    assertThat(external.deployment("gateway").getSpec().getReplicas()).isEqualTo(2);
  }

  @Test
  void trainingKeepsItsDataOnAVolumeAndItsTablesInItsOwnSchema() {
    Manifests cpu = Manifests.render("cpu-only");
    Deployment deployment = cpu.deployment("training");
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    Container container = pod.getContainers().getFirst();
    assertThat(mountPath(container, "training-data")).isEqualTo("/data/training");
    assertThat(volume(pod, "training-data").getPersistentVolumeClaim().getClaimName()).isEqualTo("rel-latent-training-data");
    assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("Recreate");
    assertThat(cpu.one(PersistentVolumeClaim.class, "rel-latent-training-data").getSpec().getAccessModes())
        .containsExactly("ReadWriteOnce");
    Map<String, Object> spring = springConfig(cpu, "training");
    assertThat(at(spring, "r2dbc", "url")).isEqualTo("r2dbc:postgresql://rel-latent-postgresql:5432/latent?schema=training");
    assertThat(at(spring, "flyway", "url")).isEqualTo("jdbc:postgresql://rel-latent-postgresql:5432/latent?currentSchema=training");
    assertThat(at(spring, "flyway", "default-schema")).isEqualTo("training");
    assertThat(container.getEnv()).extracting(EnvVar::getName).contains("SPRING_R2DBC_PASSWORD", "SPRING_FLYWAY_PASSWORD");
    // Uploads are single large requests: training's own body limit wins over the global one.
    assertThat(at(latentConfig(cpu, "training"), "http", "max-request-body")).isEqualTo("128MB");
    assertThat(at(latentConfig(cpu, "inference"), "http", "max-request-body")).isEqualTo("16MB");

    assertThat(at(serviceConfig(cpu, "training"), "jobs", "inference-url")).isEqualTo("http://rel-latent-inference:8081");
    assertThat(at(serviceConfig(cpu, "training"), "jobs", "slots")).isEqualTo(1);

    Manifests defaults = Manifests.parse(Tools.template(null));
    assertThat(springConfig(defaults, "training")).isEmpty();
    Manifests noInference = Manifests.render("cpu-only", "--set", "inference.enabled=false");
    assertThat(((Map<?, ?>) at(serviceConfig(noInference, "training"), "jobs")).containsKey("inference-url")).isFalse();
  }

  @Test
  void defaultsRunWithTheEmbeddedLedgerAndNoSecret() {
    Manifests defaults = Manifests.parse(Tools.template(null));
    assertThat(springConfig(defaults, "gateway")).isEmpty();
    assertThat(at(serviceConfig(defaults, "gateway"), "limits", "store")).isEqualTo("memory");
    assertThat(defaults.all(Secret.class)).isEmpty();
    assertThat(at(serviceConfig(defaults, "inference"), "runtime", "device")).isEqualTo("auto");
  }

  @Test
  @SuppressWarnings("unchecked")
  void valuesReachTheServicePropertiesOneToOne() {
    Manifests gpu = Manifests.render("gpu");
    Map<String, Object> runtime = (Map<String, Object>) at(serviceConfig(gpu, "inference"), "runtime");
    assertThat(runtime).containsEntry("device", "gpu").containsEntry("dtype", "bf16")
        .containsEntry("max-batch", 64).containsEntry("kv-cache-budget", "8GB");
    Map<String, Object> latent = latentConfig(gpu, "vision");
    assertThat(at(latent, "http", "max-request-body")).isEqualTo("16MB");
    Manifests custom = Manifests.render("cpu-only", "--set", "http.access-log=false", "--set", "vision.config.extra-flag=x");
    assertThat(at(latentConfig(custom, "training"), "http", "access-log")).isEqualTo(false);
    assertThat(serviceConfig(custom, "vision")).containsEntry("extra-flag", "x");
  }

  @Test
  void aChangedConfigRollsOnlyThatServicesPods() {
    Manifests before = Manifests.render("cpu-only");
    Manifests after = Manifests.render("cpu-only", "--set", "inference.config.runtime.max-batch=8");
    assertThat(checksum(after, "inference")).isNotEqualTo(checksum(before, "inference"));
    assertThat(checksum(after, "vision")).isEqualTo(checksum(before, "vision"));
    assertThat(checksum(after, "gateway")).isEqualTo(checksum(before, "gateway"));
  }

  private static String checksum(Manifests manifests, String service) {
    return manifests.deployment(service).getSpec().getTemplate().getMetadata().getAnnotations().get("checksum/config");
  }

  @Test
  void trainingRunsWithAServiceAccountAllowedToManageJobs() {
    Manifests manifests = Manifests.render("cpu-only");
    PodSpec training = manifests.deployment("training").getSpec().getTemplate().getSpec();
    assertThat(training.getServiceAccountName()).isEqualTo("rel-latent-training");
    assertThat(training.getAutomountServiceAccountToken()).isTrue();
    assertThat(manifests.deployment("inference").getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isFalse();
    Role role = manifests.one(Role.class, "rel-latent-training-jobs");
    assertThat(role.getRules()).anySatisfy(rule -> {
      assertThat(rule.getApiGroups()).containsExactly("batch");
      assertThat(rule.getResources()).containsExactly("jobs");
      assertThat(rule.getVerbs()).contains("create", "watch");
    });
    assertThat(manifests.has("RoleBinding", "rel-latent-training-jobs")).isTrue();
  }

  @Test
  void onlyTheGatewayAcceptsTrafficFromOutside() {
    Manifests manifests = Manifests.render("high-availability");
    NetworkPolicy gateway = manifests.one(NetworkPolicy.class, "rel-latent-gateway");
    assertThat(gateway.getSpec().getIngress()).singleElement().satisfies(rule -> assertThat(rule.getFrom()).isNullOrEmpty());
    for (String service : MODEL_USERS) {
      NetworkPolicy policy = manifests.one(NetworkPolicy.class, "rel-latent-" + service);
      assertThat(policy.getSpec().getIngress()).singleElement().satisfies(rule -> {
        assertThat(rule.getFrom()).isNotEmpty();
        assertThat(rule.getFrom().getFirst().getPodSelector().getMatchLabels()).containsEntry("app.kubernetes.io/instance", "rel");
        // The extra peer is the monitoring namespace from the scenario.
        assertThat(rule.getFrom()).anySatisfy(peer -> assertThat(peer.getNamespaceSelector()).isNotNull());
      });
    }
    assertThat(manifests.kind("Ingress")).singleElement();
  }

  @Test
  void autoscalersAndServiceMonitorFollowTheCluster() {
    Manifests ha = Manifests.render("high-availability");
    assertThat(ha.kind("HorizontalPodAutoscaler")).hasSize(3)
        .allSatisfy(h -> assertThat(h.getApiVersion()).isEqualTo("autoscaling/v2"));
    assertThat(ha.deployment("gateway").getSpec().getReplicas()).as("the HPA owns replicas").isNull();
    assertThat(ha.kind("ServiceMonitor")).isEmpty();

    Manifests withOperator = Manifests.render("high-availability", "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor");
    assertThat(withOperator.kind("ServiceMonitor")).singleElement()
        .satisfies(m -> assertThat(m.getMetadata().getLabels()).containsEntry("release", "prometheus"));
  }

  private static Optional<Quantity> gpuLimit(Manifests manifests, String service) {
    Map<String, Quantity> limits = manifests.deployment(service).getSpec().getTemplate().getSpec()
        .getContainers().getFirst().getResources().getLimits();
    return Optional.ofNullable(limits == null ? null : limits.get(GPU));
  }

  private static String mountPath(Container container, String volume) {
    return container.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).findFirst()
        .map(VolumeMount::getMountPath).orElseThrow(() -> new AssertionError("no mount " + volume));
  }

  private static Volume volume(PodSpec pod, String name) {
    return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }

  private static Optional<String> env(Container container, String name) {
    return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().map(EnvVar::getValue);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> applicationYaml(Manifests manifests, String service) {
    return YAML.unmarshal(manifests.configMap(service).getData().get("application.yaml"), Map.class);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> latentConfig(Manifests manifests, String service) {
    return (Map<String, Object>) applicationYaml(manifests, service).get("latent");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> serviceConfig(Manifests manifests, String service) {
    return (Map<String, Object>) latentConfig(manifests, service).get(service);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> springConfig(Manifests manifests, String service) {
    return (Map<String, Object>) applicationYaml(manifests, service).getOrDefault("spring", Map.of());
  }

  @SuppressWarnings("unchecked")
  private static Object at(Map<String, Object> tree, String... path) {
    Object node = tree;
    for (String key : path) {
      node = ((Map<String, Object>) node).get(key);
      if (node == null) {
        throw new AssertionError("no " + String.join(".", path) + " in " + tree);
      }
    }
    return node;
  }
}
