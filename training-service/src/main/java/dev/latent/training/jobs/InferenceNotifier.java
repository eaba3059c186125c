package dev.latent.training.jobs;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * Tells the inference-service to load a finished model ({@code POST /admin/models/{name}/load},
 * adapters as {@code base:adapter}). Called from runner threads; blocking with a timeout.
 */
@Component
public class InferenceNotifier {

  private final @Nullable WebClient client;

  public InferenceNotifier(JobsProperties props) {
    this.client = props.inferenceUrl() == null ? null : WebClient.builder().filter(dev.latent.support.requestid.RequestIdPropagation.filter())
        .baseUrl(props.inferenceUrl().toString()).build();
  }

  /** Null when loaded (or nobody to tell), else why it was not. */
  public @Nullable String load(String model) {
    if (client == null) {
      return null;
    }
    try {
      client.post()
          .uri(UriComponentsBuilder.fromPath("/admin/models/{name}/load").buildAndExpand(model).encode().toUriString())
          .retrieve().toBodilessEntity().block(Duration.ofSeconds(120));
      return null;
    } catch (RuntimeException e) {
      return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
  }

  public boolean enabled() {
    return client != null;
  }
}
