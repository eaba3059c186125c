package dev.latent.training.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvFromSourceBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a fine-tuning job into a Kubernetes Job: the training-service image in worker mode
 * ({@code --latent.training.worker-job-id=<id>}), {@code $LATENT_HOME} on the shared PVC, the
 * database from a secret, CPU/memory (and GPUs when configured) as requests and limits. Deleting
 * it (with its pods) is how a job is cancelled.
 */
public class KubernetesJobLauncher {

  static final String LABEL = "latent.dev/fine-tuning-job";

  private final KubernetesClient client;
  private final KubernetesRunnerProperties props;

  public KubernetesJobLauncher(KubernetesClient client, KubernetesRunnerProperties props) {
    this.client = client;
    this.props = props;
  }

  public static String name(String jobId) {
    return ("latent-train-" + jobId).toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public Job launch(String jobId) {
    return client.batch().v1().jobs().inNamespace(props.namespace()).resource(job(jobId)).create();
  }

  public void delete(String jobId) {
    client.batch().v1().jobs().inNamespace(props.namespace()).withName(name(jobId))
        .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND).delete();
  }

  Job job(String jobId) {
    Map<String, Quantity> resources = new LinkedHashMap<>();
    resources.put("cpu", new Quantity(props.cpu()));
    resources.put("memory", new Quantity(props.memory()));
    if (props.gpus() > 0) {
      resources.put("nvidia.com/gpu", new Quantity(Integer.toString(props.gpus())));
    }
    List<EnvFromSource> envFrom = props.databaseSecret() == null ? List.of()
        : List.of(new EnvFromSourceBuilder().withNewSecretRef().withName(props.databaseSecret()).endSecretRef().build());
    var container = new ContainerBuilder()
        .withName("trainer")
        .withImage(props.image())
        .withArgs("--latent.training.worker-job-id=" + jobId, "--latent.training.runner=in-process",
            "--latent.training.jobs.device=" + (props.gpus() > 0 ? "gpu" : "cpu"), "--server.port=8083")
        .addNewEnv().withName("LATENT_HOME").withValue("/data").endEnv()
        .withEnvFrom(envFrom)
        .withResources(new ResourceRequirementsBuilder().withRequests(resources).withLimits(resources).build())
        .addNewVolumeMount().withName("data").withMountPath("/data").endVolumeMount()
        .build();
    return new JobBuilder()
        .withNewMetadata().withName(name(jobId)).addToLabels(LABEL, jobId)
            .addToLabels("app.kubernetes.io/name", "latent-training-worker").endMetadata()
        .withNewSpec()
            .withBackoffLimit(props.backoffLimit())
            .withNewTemplate()
                .withNewMetadata().addToLabels(LABEL, jobId).endMetadata()
                .withNewSpec()
                    .withServiceAccountName(props.serviceAccount())
                    .withRestartPolicy("Never")
                    .withContainers(container)
                    .addNewVolume().withName("data").withNewPersistentVolumeClaim()
                        .withClaimName(props.modelStoreClaim()).endPersistentVolumeClaim().endVolume()
                .endSpec()
            .endTemplate()
        .endSpec()
        .build();
  }
}
