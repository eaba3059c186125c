package dev.latent.training.jobs;

import dev.latent.training.TrainingProperties;
import dev.latent.training.files.FileRepository;
import dev.latent.training.files.FileStore;
import dev.latent.training.files.TrainingFile;
import dev.latent.training.jobs.JobWire.Job;
import dev.latent.training.jobs.JobWire.JobError;
import dev.latent.training.jobs.JobWire.Status;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.latent.training.kubernetes.KubernetesJobLauncher;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The in-process runner: {@code latent.training.jobs.slots} platform threads of its own (never
 * Netty's) run queued jobs. Cancellation is a flag read before every optimizer step. On shutdown
 * running jobs stop at the next step and stay {@code running} in the database; on start every
 * unfinished job is queued again and resumes from its last checkpoint.
 */
@Component
public class JobRunner implements DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(JobRunner.class);

  private final JobRepository jobs;
  private final JobEvents events;
  private final FileRepository files;
  private final FileStore store;
  private final JobsProperties props;
  private final Path modelStore;
  private final InferenceNotifier notifier;
  private final TrainingProperties training;
  private final @Nullable KubernetesJobLauncher kubernetes;
  private final TrainingMethods methods;
  private final ExecutorService pool;
  private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
  private volatile boolean shuttingDown;

  public JobRunner(JobRepository jobs, JobEvents events, FileRepository files, FileStore store, JobsProperties props,
      TrainingProperties training, InferenceNotifier notifier, ObjectProvider<KubernetesJobLauncher> kubernetes,
      TrainingMethods methods) {
    this.methods = methods;
    this.notifier = notifier;
    this.training = training;
    this.kubernetes = training.kubernetes() ? kubernetes.getObject() : null;
    this.jobs = jobs;
    this.events = events;
    this.files = files;
    this.store = store;
    this.props = props;
    this.modelStore = training.modelStore();
    AtomicInteger n = new AtomicInteger();
    this.pool = Executors.newFixedThreadPool(props.slots(), r -> {
      Thread t = new Thread(r, "training-slot-" + n.incrementAndGet());
      t.setDaemon(true);
      // The application's loader, whichever thread first submits (DJL looks engines up with it).
      t.setContextClassLoader(JobRunner.class.getClassLoader());
      return t;
    });
  }

  /** Runs the job here, or launches its Kubernetes Job (blocking: call off the event loop). */
  public void submit(String jobId) {
    if (kubernetes != null) {
      kubernetes.launch(jobId);
      events.append(jobId, "info", "message", "Kubernetes Job " + KubernetesJobLauncher.name(jobId) + " created", null);
    } else {
      pool.execute(() -> run(jobId));
    }
  }

  /**
   * Asks a queued or running job to stop: in process it stops before its next step; on
   * Kubernetes its Job and pods are deleted (blocking: call off the event loop).
   */
  public void cancel(String jobId) {
    if (kubernetes != null) {
      kubernetes.delete(jobId);
      finish(jobId, Status.CANCELLED, "Fine-tuning job cancelled");
    } else {
      cancelled.add(jobId);
    }
  }

  /**
   * In process: every unfinished job is queued again (and resumes from its checkpoint). Worker
   * mode: runs its one job, then the process exits. Kubernetes: the Jobs retry by themselves.
   */
  @EventListener(ApplicationReadyEvent.class)
  public void resumeUnfinished(ApplicationReadyEvent ready) {
    String worker = training.workerJobId();
    if (worker != null) {
      pool.execute(() -> {
        run(worker);
        Job job = jobs.find(worker).block();
        int code = job != null && job.state().finished() ? 0 : 1;
        System.exit(SpringApplication.exit(ready.getApplicationContext(), () -> code));
      });
    } else if (kubernetes == null) {
      jobs.unfinished().map(Job::id).doOnNext(this::submit).subscribe();
    }
  }

  private void run(String jobId) {
    Job job = jobs.find(jobId).block();
    if (job == null || job.state().finished() || shuttingDown) {
      return;
    }
    if (cancelled.contains(jobId)) {
      finish(jobId, Status.CANCELLED, "Fine-tuning job cancelled");
      return;
    }
    boolean resumed = job.state() == Status.RUNNING;
    if (!resumed) {
      jobs.transition(jobId, Status.RUNNING).block();
      events.append(jobId, "info", JobEvents.STATUS, "Fine-tuning job started", Map.of("status", "running"));
    }
    try {
      String model = methods.get(job.method().type()) != null ? runMethod(job) : runLlm(job);
      if (jobs.succeed(jobId, model).block() == Boolean.TRUE) {
        if (notifier.enabled() && job.method().builtIn()) {
          String problem = notifier.load(model);
          events.append(jobId, problem == null ? "info" : "warn", "message", problem == null
              ? "The inference-service loaded " + model : "The inference-service did not load " + model + ": " + problem, null);
        }
        events.append(jobId, "info", JobEvents.STATUS, "Fine-tuning job succeeded: " + model,
            Map.of("status", "succeeded", "fine_tuned_model", model));
      }
    } catch (TrainingMethod.Stopped stopped) {
      if (!shuttingDown) {
        finish(jobId, Status.CANCELLED, "Fine-tuning job cancelled");
      }
    } catch (RuntimeException | Error e) {
      log.warn("job {} failed", jobId, e);
      String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      if (jobs.fail(jobId, new JobError("training_failed", message, null)).block() == Boolean.TRUE) {
        events.append(jobId, "error", JobEvents.STATUS, "Fine-tuning job failed: " + message, Map.of("status", "failed"));
      }
    } finally {
      cancelled.remove(jobId);
    }
  }

  /** An LLM job (supervised, dpo, pretrain). */
  private String runLlm(Job job) {
    TrainingFile training = files.find(job.trainingFile()).blockOptional()
        .orElseThrow(() -> new IllegalArgumentException("training file " + job.trainingFile() + " was deleted"));
    Path validation = job.validationFile() == null ? null : store.path(job.validationFile());
    TrainingRun run = new TrainingRun(job, modelStore.resolve(job.model()), store.path(training.id()), validation,
        training.dataFormat(), modelStore, props);
    TrainingRun.Resume resume = jobs.checkpoints(job.id()).next()
        .map(c -> new TrainingRun.Resume(c.stepNumber(), Path.of(c.fineTunedModelCheckpoint()),
            job.trainedTokens() == null ? 0 : job.trainedTokens()))
        .block();
    String from = job.hyperparameters().optimizerStateFrom();
    TrainingRun.OptimizerStart optimizer = from == null ? null : jobs.checkpoints(from).next()
        .map(c -> new TrainingRun.OptimizerStart(from, c.stepNumber(), Path.of(c.fineTunedModelCheckpoint())))
        .blockOptional().orElseThrow(() -> new IllegalArgumentException("job " + from + " has no checkpoint with its optimizer state"));
    return run.execute(resume, optimizer, listener(job.id()));
  }

  /** A registered {@link TrainingMethod}'s job. */
  private String runMethod(Job job) {
    TrainingMethod method = methods.get(job.method().type());
    TrainingMethod.Resume resume = jobs.checkpoints(job.id()).next()
        .map(c -> new TrainingMethod.Resume(c.stepNumber(), Path.of(c.fineTunedModelCheckpoint()))).block();
    Path file = job.trainingFile().isEmpty() ? null : store.path(job.trainingFile());
    return method.execute(new TrainingMethod.Context(job, job.method().block(), modelStore, props, resume, file),
        listener(job.id()));
  }

  private void finish(String jobId, Status status, String message) {
    if (jobs.transition(jobId, status).block() == Boolean.TRUE) {
      events.append(jobId, "info", JobEvents.STATUS, message, Map.of("status", status.wire()));
    }
  }

  private TrainingRun.Listener listener(String jobId) {
    return new TrainingRun.Listener() {
      @Override
      public @Nullable String stop() {
        return shuttingDown ? "shutting down" : cancelled.contains(jobId) ? "cancelled" : null;
      }

      @Override
      public void event(String type, String message, @Nullable Map<String, Object> data) {
        events.append(jobId, "info", type, message, data);
      }

      @Override
      public void progress(int step, int totalSteps, long trainedTokens) {
        jobs.progress(jobId, step, totalSteps, trainedTokens).block();
      }

      @Override
      public void checkpoint(int step, Path dir, Map<String, Object> metrics) {
        jobs.insertCheckpoint(jobId, step, dir.toString(), metrics).block();
      }
    };
  }

  /**
   * The first shutdown signal, published before the web server and the database pool stop: running
   * jobs stop at their next step from here on, so a job cannot run to its end while the rest shuts down.
   */
  @EventListener(ContextClosedEvent.class)
  public void contextClosing() {
    shuttingDown = true;
  }

  @Override
  public void destroy() throws InterruptedException {
    shuttingDown = true;
    pool.shutdown();
    if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
      pool.shutdownNow();
    }
  }
}
