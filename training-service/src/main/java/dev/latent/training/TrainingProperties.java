package dev.latent.training;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code latent.training.*}: the training service's settings.
 *
 * @param modelStore directory of models in Hugging Face layout, shared with the other services
 * @param runner {@code in-process} (jobs run on this service's threads) or {@code kubernetes}
 *     (each job becomes a Kubernetes Job running this image in worker mode)
 * @param workerJobId set in worker mode: run this one job, then exit
 */
@ConfigurationProperties("latent.training")
public record TrainingProperties(Path modelStore, @DefaultValue("in-process") String runner,
    @Nullable String workerJobId) {

  public TrainingProperties {
    if (!runner.equals("in-process") && !runner.equals("kubernetes")) {
      throw new IllegalArgumentException("latent.training.runner must be in-process or kubernetes");
    }
  }

  public boolean kubernetes() {
    return runner.equals("kubernetes") && workerJobId == null;
  }
}
