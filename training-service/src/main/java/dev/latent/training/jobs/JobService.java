package dev.latent.training.jobs;

import dev.latent.support.problem.ProblemException;
import dev.latent.training.TrainingProperties;
import dev.latent.training.files.DataFormat;
import dev.latent.training.files.FileRepository;
import dev.latent.training.files.TrainingFile;
import dev.latent.training.jobs.JobWire.Job;
import dev.latent.training.jobs.JobWire.Status;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** Creates jobs (checking model, files and formats), cancels them, and reads them. */
@Service
public class JobService {

  private static final Map<String, List<DataFormat>> FORMATS = Map.of(
      "supervised", List.of(DataFormat.ALPACA, DataFormat.CHAT),
      "pretrain", List.of(DataFormat.TEXT),
      "dpo", List.of(DataFormat.DPO));

  private final JobRepository jobs;
  private final FileRepository files;
  private final JobEvents events;
  private final JobRunner runner;
  private final TrainingProperties training;
  private final TrainingMethods methods;

  public JobService(JobRepository jobs, FileRepository files, JobEvents events, JobRunner runner,
      TrainingProperties training, TrainingMethods methods) {
    this.methods = methods;
    this.jobs = jobs;
    this.files = files;
    this.events = events;
    this.runner = runner;
    this.training = training;
  }

  public Mono<Job> create(JobRequest req) {
    String type = req.method().type();
    TrainingMethod custom = methods.require(type);
    if (custom != null) {
      custom.validate(req.model(), req.trainingFile(), req.method().block());
    }
    JobRequest.Hyperparameters h = req.method().hyperparameters();
    String id = "ftjob-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    long seed = req.seed() != null ? req.seed() : Math.abs(UUID.randomUUID().getLeastSignificantBits() % 1_000_000_007L);
    Job job = new Job(id, "fine_tuning.job", req.model(), Instant.now().getEpochSecond(), null, null,
        Status.VALIDATING_FILES.wire(), req.trainingFile() == null ? "" : req.trainingFile(), req.validationFile(), req.suffix(), seed, req.method(), h,
        null, null, 0, 0, List.of());
    Mono<Void> checks = custom != null
        ? (req.trainingFile() == null ? Mono.<Void>empty() : files.find(req.trainingFile())
            .switchIfEmpty(Mono.error(() -> ProblemException.notFound("file_not_found", "No file with id "
                + req.trainingFile()).with("param", "training_file"))).then())
        : baseModelExists(req.model())
            .then(file(req.trainingFile(), "training_file", type))
            .then(req.validationFile() == null ? Mono.empty() : file(req.validationFile(), "validation_file", type))
            .then(h.optimizerStateFrom() == null ? Mono.empty() : optimizerSource(h.optimizerStateFrom(), req.model()))
            .then();
    return checks
        .then(jobs.insert(job))
        .then(Mono.fromRunnable(() -> {
          events.append(id, "info", JobEvents.STATUS, "Validating training file: " + req.trainingFile(),
              Map.of("status", "validating_files"));
          jobs.transition(id, Status.QUEUED).block();
          events.append(id, "info", JobEvents.STATUS, "Fine-tuning job queued", Map.of("status", "queued"));
        }).subscribeOn(Schedulers.boundedElastic()))
        .then(Mono.fromRunnable(() -> runner.submit(id)).subscribeOn(Schedulers.boundedElastic()))
        .then(jobs.find(id));
  }

  private Mono<Void> baseModelExists(String model) {
    return Mono.fromCallable(() -> model.matches("[A-Za-z0-9._-]+") && !model.startsWith(".")
            && Files.isRegularFile(training.modelStore().resolve(model).resolve("config.json")))
        .subscribeOn(Schedulers.boundedElastic())
        .flatMap(ok -> ok ? Mono.<Void>empty() : Mono.error(ProblemException.notFound("model_not_found",
            "The base model " + model + " is not in the model store").with("param", "model")));
  }

  /** {@code optimizer_state_from}: a succeeded job whose fine-tuned model is this job's base model. */
  private Mono<Void> optimizerSource(String jobId, String model) {
    String param = "hyperparameters.optimizer_state_from";
    return jobs.find(jobId)
        .switchIfEmpty(Mono.error(() -> ProblemException.invalidParameter(param, "No fine-tuning job with id " + jobId)))
        .flatMap(source -> source.state() == Status.SUCCEEDED && model.equals(source.fineTunedModel()) ? Mono.<Void>empty()
            : Mono.error(ProblemException.invalidParameter(param, "job " + jobId + " must have succeeded with model "
                + model + " as its fine_tuned_model (it is " + source.status() + ", " + source.fineTunedModel() + ")")));
  }

  private Mono<TrainingFile> file(String id, String param, String type) {
    return files.find(id)
        .switchIfEmpty(Mono.error(() -> ProblemException.notFound("file_not_found", "No file with id " + id)
            .with("param", param)))
        .flatMap(f -> FORMATS.get(type).contains(f.dataFormat()) ? Mono.just(f)
            : Mono.error(ProblemException.invalidParameter(param, "file " + id + " is " + f.format()
                + " data; method " + type + " needs " + FORMATS.get(type).stream().map(DataFormat::wireName).toList())));
  }

  public Mono<Job> find(String id) {
    return jobs.find(id).switchIfEmpty(Mono.error(() -> ProblemException.notFound("job_not_found",
        "No fine-tuning job with id " + id)));
  }

  public Mono<Job> cancel(String id) {
    return find(id).flatMap(job -> {
      if (job.state().finished()) {
        return Mono.error(ProblemException.conflict("Job " + id + " has already finished (" + job.status() + ")"));
      }
      return Mono.fromRunnable(() -> runner.cancel(id)).subscribeOn(Schedulers.boundedElastic()).then(jobs.find(id));
    });
  }

  static @Nullable Integer seqOf(@Nullable String eventId) {
    if (eventId == null) {
      return null;
    }
    int dash = eventId.lastIndexOf('-');
    try {
      return Integer.parseInt(eventId.substring(dash + 1));
    } catch (NumberFormatException e) {
      throw ProblemException.invalidParameter("after", "after must be an event id");
    }
  }
}
