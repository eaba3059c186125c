package dev.latent.training.jobs;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Response shapes of the jobs API (OpenAI's fine_tuning objects). */
public final class JobWire {

  private JobWire() {}

  /** Job states; the last three are final. */
  public enum Status {
    VALIDATING_FILES, QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Status of(String wire) {
      return valueOf(wire.toUpperCase(java.util.Locale.ROOT));
    }

    public boolean finished() {
      return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
  }

  /** {@code error} of a failed job. */
  public record JobError(String code, String message, @Nullable String param) {}

  /** A {@code fine_tuning.job}. */
  public record Job(
      String id,
      String object,
      String model,
      @JsonProperty("created_at") long createdAt,
      @JsonProperty("finished_at") @Nullable Long finishedAt,
      @JsonProperty("fine_tuned_model") @Nullable String fineTunedModel,
      String status,
      @JsonProperty("training_file") String trainingFile,
      @JsonProperty("validation_file") @Nullable String validationFile,
      @Nullable String suffix,
      long seed,
      JobRequest.Method method,
      JobRequest.Hyperparameters hyperparameters,
      @JsonProperty("trained_tokens") @Nullable Long trainedTokens,
      @Nullable JobError error,
      int step,
      @JsonProperty("total_steps") int totalSteps,
      @JsonProperty("result_files") List<String> resultFiles) {

    public Status state() {
      return Status.of(status);
    }
  }

  /** A {@code fine_tuning.job.event}; {@code type} is message, metrics or status. */
  public record Event(
      String id,
      String object,
      @JsonProperty("created_at") long createdAt,
      String level,
      String message,
      @Nullable Map<String, Object> data,
      String type,
      @com.fasterxml.jackson.annotation.JsonIgnore int seq,
      @com.fasterxml.jackson.annotation.JsonIgnore String jobId) {}

  /** A {@code fine_tuning.job.checkpoint}. */
  public record Checkpoint(
      String id,
      String object,
      @JsonProperty("created_at") long createdAt,
      @JsonProperty("fine_tuned_model_checkpoint") String fineTunedModelCheckpoint,
      @JsonProperty("step_number") int stepNumber,
      Map<String, Object> metrics,
      @JsonProperty("fine_tuning_job_id") String fineTuningJobId) {}

  /** A page of a list endpoint. */
  public record Page<T>(String object, List<T> data, @JsonProperty("has_more") boolean hasMore) {}
}
