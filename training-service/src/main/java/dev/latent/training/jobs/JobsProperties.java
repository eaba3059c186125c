package dev.latent.training.jobs;

import java.net.URI;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code latent.training.jobs.*}.
 *
 * @param slots jobs that run at once on the in-process runner (each on its own thread)
 * @param device DJL device for training: cpu, gpu or auto
 * @param maxSeqLen longest training sequence in tokens (longer ones are truncated)
 * @param checkpointEvery optimizer steps between checkpoints (the last step always checkpoints)
 * @param checkpointDir where checkpoints are written, one directory per job and step
 * @param inferenceUrl base URL of the inference-service, told to load each finished model
 *     ({@code POST /admin/models/{name}/load}); unset: nobody is told
 */
@ConfigurationProperties("latent.training.jobs")
public record JobsProperties(@DefaultValue("1") int slots, @DefaultValue("auto") String device,
    @DefaultValue("512") int maxSeqLen, @DefaultValue("50") int checkpointEvery, Path checkpointDir,
    @Nullable URI inferenceUrl) {

  public JobsProperties {
    if (slots < 1 || maxSeqLen < 2 || checkpointEvery < 1) {
      throw new IllegalArgumentException("latent.training.jobs: slots >= 1, max-seq-len >= 2, checkpoint-every >= 1");
    }
  }
}
