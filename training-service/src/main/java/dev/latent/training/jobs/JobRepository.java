package dev.latent.training.jobs;

import dev.latent.training.jobs.JobWire.Checkpoint;
import dev.latent.training.jobs.JobWire.Event;
import dev.latent.training.jobs.JobWire.Job;
import dev.latent.training.jobs.JobWire.JobError;
import dev.latent.training.jobs.JobWire.Status;
import io.r2dbc.spi.Readable;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Jobs, their events and checkpoints in the database. Final-state transitions are conditional. */
@Repository
public class JobRepository {

  private static final String UNFINISHED = "('validating_files', 'queued', 'running')";
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private final DatabaseClient db;
  private final JsonMapper json;

  public JobRepository(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  public Mono<Void> insert(Job j) {
    return db.sql("insert into fine_tuning_job (id, model, training_file, validation_file, suffix, seed, method, "
            + "status, created_at, step, total_steps) values (:id, :model, :tf, :vf, :suffix, :seed, :method, "
            + ":status, :created, 0, 0)")
        .bind("id", j.id()).bind("model", j.model()).bind("tf", j.trainingFile())
        .bindNull("vf", String.class).bindNull("suffix", String.class)
        .bind("seed", j.seed()).bind("method", json.writeValueAsString(j.method()))
        .bind("status", j.status()).bind("created", j.createdAt())
        .then()
        .then(j.validationFile() == null ? Mono.empty() : db.sql("update fine_tuning_job set validation_file = :vf where id = :id")
            .bind("vf", j.validationFile()).bind("id", j.id()).then())
        .then(j.suffix() == null ? Mono.empty() : db.sql("update fine_tuning_job set suffix = :s where id = :id")
            .bind("s", j.suffix()).bind("id", j.id()).then());
  }

  public Mono<Job> find(String id) {
    return db.sql("select * from fine_tuning_job where id = :id").bind("id", id).map(this::job).one();
  }

  /** Newest first; {@code after} is the id of the last job of the previous page. */
  public Flux<Job> list(@Nullable String after, int limit) {
    String where = after == null ? "" : " where created_at < (select created_at from fine_tuning_job where id = :after)"
        + " or (created_at = (select created_at from fine_tuning_job where id = :after) and id < :after)";
    var spec = db.sql("select * from fine_tuning_job" + where + " order by created_at desc, id desc limit " + limit);
    return (after == null ? spec : spec.bind("after", after)).map(this::job).all();
  }

  public Flux<Job> unfinished() {
    return db.sql("select * from fine_tuning_job where status in " + UNFINISHED + " order by created_at, id")
        .map(this::job).all();
  }

  /** Moves an unfinished job to {@code to}; false when it had already finished. */
  public Mono<Boolean> transition(String id, Status to) {
    String finished = to.finished() ? ", finished_at = :now" : "";
    var spec = db.sql("update fine_tuning_job set status = :s" + finished + " where id = :id and status in " + UNFINISHED)
        .bind("s", to.wire()).bind("id", id);
    if (to.finished()) {
      spec = spec.bind("now", java.time.Instant.now().getEpochSecond());
    }
    return spec.fetch().rowsUpdated().map(n -> n > 0);
  }

  public Mono<Boolean> succeed(String id, String fineTunedModel) {
    return db.sql("update fine_tuning_job set fine_tuned_model = :m where id = :id and status = 'running'")
        .bind("m", fineTunedModel).bind("id", id).then().then(transition(id, Status.SUCCEEDED));
  }

  public Mono<Boolean> fail(String id, JobError error) {
    return db.sql("update fine_tuning_job set error = :e where id = :id and status in " + UNFINISHED)
        .bind("e", json.writeValueAsString(error)).bind("id", id).then().then(transition(id, Status.FAILED));
  }

  public Mono<Void> progress(String id, int step, int totalSteps, long trainedTokens) {
    return db.sql("update fine_tuning_job set step = :step, total_steps = :total, trained_tokens = :tokens where id = :id")
        .bind("step", step).bind("total", totalSteps).bind("tokens", trainedTokens).bind("id", id).then();
  }

  public Mono<Void> insertEvent(Event e) {
    var spec = db.sql("insert into fine_tuning_event (job_id, seq, created_at, level, type, message, data) "
            + "values (:job, :seq, :created, :level, :type, :message, :data)")
        .bind("job", e.jobId()).bind("seq", e.seq()).bind("created", e.createdAt()).bind("level", e.level())
        .bind("type", e.type()).bind("message", e.message());
    spec = e.data() == null ? spec.bindNull("data", String.class) : spec.bind("data", json.writeValueAsString(e.data()));
    return spec.then();
  }

  public Mono<Integer> lastEventSeq(String jobId) {
    return db.sql("select coalesce(max(seq), 0) as m from fine_tuning_event where job_id = :job").bind("job", jobId)
        .map(r -> ((Number) r.get("m")).intValue()).one();
  }

  /** Newest first, events older than {@code beforeSeq}. */
  public Flux<Event> events(String jobId, int beforeSeq, int limit) {
    return db.sql("select * from fine_tuning_event where job_id = :job and seq < :before order by seq desc limit " + limit)
        .bind("job", jobId).bind("before", beforeSeq).map(this::event).all();
  }

  /** Oldest first, for replay on a live stream. */
  public Flux<Event> allEvents(String jobId) {
    return db.sql("select * from fine_tuning_event where job_id = :job order by seq").bind("job", jobId)
        .map(this::event).all();
  }

  public Mono<Void> insertCheckpoint(String jobId, int step, String path, Map<String, Object> metrics) {
    return db.sql("insert into fine_tuning_checkpoint (job_id, step, path, metrics, created_at) "
            + "values (:job, :step, :path, :metrics, :created)")
        .bind("job", jobId).bind("step", step).bind("path", path).bind("metrics", json.writeValueAsString(metrics))
        .bind("created", java.time.Instant.now().getEpochSecond()).then();
  }

  /** Newest first. */
  public Flux<Checkpoint> checkpoints(String jobId) {
    return db.sql("select * from fine_tuning_checkpoint where job_id = :job order by step desc").bind("job", jobId)
        .map(r -> new Checkpoint("ftckpt-" + jobId.substring(6) + "-" + r.get("step", Integer.class),
            "fine_tuning.job.checkpoint", r.get("created_at", Long.class), r.get("path", String.class),
            r.get("step", Integer.class), json.readValue(r.get("metrics", String.class), MAP), jobId))
        .all();
  }

  private Job job(Readable r) {
    JobRequest.Method method = json.readValue(r.get("method", String.class), JobRequest.Method.class);
    String error = r.get("error", String.class);
    return new Job(r.get("id", String.class), "fine_tuning.job", r.get("model", String.class),
        r.get("created_at", Long.class), r.get("finished_at", Long.class), r.get("fine_tuned_model", String.class),
        r.get("status", String.class), r.get("training_file", String.class), r.get("validation_file", String.class),
        r.get("suffix", String.class), r.get("seed", Long.class), method, method.hyperparameters(),
        r.get("trained_tokens", Long.class), error == null ? null : json.readValue(error, JobError.class),
        r.get("step", Integer.class), r.get("total_steps", Integer.class), List.of());
  }

  private Event event(Readable r) {
    String data = r.get("data", String.class);
    String job = r.get("job_id", String.class);
    int seq = r.get("seq", Integer.class);
    return new Event("ftevent-" + job.substring(6) + "-" + seq, "fine_tuning.job.event", r.get("created_at", Long.class),
        r.get("level", String.class), r.get("message", String.class), data == null ? null : json.readValue(data, MAP),
        r.get("type", String.class), seq, job);
  }
}
