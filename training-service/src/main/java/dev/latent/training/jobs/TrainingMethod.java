package dev.latent.training.jobs;

import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A job type beyond the LLM ones (supervised, dpo, pretrain): the extension point of the jobs API.
 * A Spring bean implementing this is found by {@link TrainingMethods} and runs every job whose
 * {@code method.type} equals {@link #type()}. The request carries the method's own block as
 * {@code method.<type>} (conventionally {@code {"hyperparameters": {...}}}), handed over raw in
 * {@link Context#block()}; {@code model} names what is trained (an architecture or an output
 * name, not necessarily a base model in the store), and {@code training_file} is optional.
 *
 * <p>The method runs on a runner thread; it asks {@link Listener#checkStop()} before every step,
 * reports metrics with {@link Listener#event}, progress with {@link Listener#progress}, and
 * checkpoints with {@link Listener#checkpoint}; on resume it gets the last checkpoint. It writes
 * the result under the model store and returns its name ({@code fine_tuned_model}).
 */
public interface TrainingMethod {

  /** The {@code method.type} this method answers, e.g. {@code detection}. */
  String type();

  /**
   * Checks the request before the job is created; throw a {@code ProblemException} (400 naming
   * the parameter) when it is not acceptable. {@code block} is {@code method.<type>}, or empty.
   */
  default void validate(@Nullable String model, @Nullable String trainingFile, Map<String, Object> block) {}

  /** Trains to the end and returns the name of the model written to the store. */
  String execute(Context context, Listener listener);

  /**
   * What a run gets: the job, its own block, the model store, the runner's properties, a
   * checkpoint to resume from (or null), and the path of the training file when one was given.
   */
  record Context(JobWire.Job job, Map<String, Object> block, Path modelStore, JobsProperties props,
      @Nullable Resume resume, @Nullable Path trainingFile) {

    /** {@code block.hyperparameters}, or empty. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> hyperparameters() {
      Object h = block.get("hyperparameters");
      return h instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** Where checkpoint {@code step} of this job goes. */
    public Path checkpointDir(int step) {
      return props.checkpointDir().resolve(job.id()).resolve("step-" + step);
    }
  }

  /** A checkpoint to resume from: its step and directory. */
  record Resume(int step, Path dir) {}

  /** Where a run reports to. */
  interface Listener {
    /** A reason to stop (cancelled, shutting down), or null to go on. */
    @Nullable String stop();

    /** Throws {@link Stopped} when {@link #stop()} gives a reason: call before every step. */
    default void checkStop() {
      String reason = stop();
      if (reason != null) {
        throw new Stopped(reason);
      }
    }

    /** An event: type {@code message} or {@code metrics} (data: step, total_steps, train_loss, …). */
    void event(String type, String message, @Nullable Map<String, Object> data);

    void progress(int step, int totalSteps, long trainedTokens);

    /** Records a checkpoint written to {@code dir}; a resumed job gets the newest one. */
    void checkpoint(int step, Path dir, Map<String, Object> metrics);
  }

  /** Thrown when the listener says stop (cancelled, shutting down). */
  class Stopped extends RuntimeException {
    public Stopped(String reason) {
      super(reason, null, false, false);
    }
  }
}
