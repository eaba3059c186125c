package dev.latent.training.kubernetes;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code latent.training.kubernetes.*}, used when {@code latent.training.runner=kubernetes}.
 *
 * @param namespace where the Jobs are created
 * @param image the training-service image the worker pods run
 * @param serviceAccount the pods' service account
 * @param modelStoreClaim PVC holding {@code $LATENT_HOME} (models, files, checkpoints), shared with the service
 * @param gpus {@code nvidia.com/gpu} per job (0: none)
 * @param cpu CPU request and limit
 * @param memory memory request and limit
 * @param databaseSecret secret whose keys become the worker's environment (SPRING_R2DBC_URL,
 *     SPRING_FLYWAY_URL, credentials): state and events go through the shared database
 * @param backoffLimit pod retries; each retry resumes from the last checkpoint
 */
@ConfigurationProperties("latent.training.kubernetes")
public record KubernetesRunnerProperties(
    @DefaultValue("default") String namespace,
    @DefaultValue("latent/training-service:latest") String image,
    @DefaultValue("latent-training") String serviceAccount,
    @DefaultValue("latent-data") String modelStoreClaim,
    @DefaultValue("0") int gpus,
    @DefaultValue("2") String cpu,
    @DefaultValue("8Gi") String memory,
    @Nullable String databaseSecret,
    @DefaultValue("3") int backoffLimit) {}
