package dev.latent.training.jobs;

import dev.latent.support.problem.ProblemException;
import dev.latent.training.jobs.JobWire.Checkpoint;
import dev.latent.training.jobs.JobWire.Event;
import dev.latent.training.jobs.JobWire.Job;
import dev.latent.training.jobs.JobWire.Page;
import dev.latent.training.jobs.JobWire.Status;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** {@code /v1/fine_tuning/jobs}: create, list, get, cancel, events (paged or live SSE), checkpoints. */
@RestController
@RequestMapping("/v1/fine_tuning/jobs")
public class JobsController {

  private final JobService service;
  private final JobRepository jobs;
  private final JobEvents events;

  public JobsController(JobService service, JobRepository jobs, JobEvents events) {
    this.service = service;
    this.jobs = jobs;
    this.events = events;
  }

  @PostMapping
  public Mono<Job> create(@RequestBody JobRequest request) {
    return service.create(request);
  }

  @GetMapping
  public Mono<Page<Job>> list(@RequestParam(required = false) @Nullable String after,
      @RequestParam(defaultValue = "20") int limit) {
    int n = limit(limit);
    return jobs.list(after, n + 1).collectList().map(l -> page(l, n));
  }

  @GetMapping("/{id}")
  public Mono<Job> get(@PathVariable String id) {
    return service.find(id);
  }

  @PostMapping("/{id}/cancel")
  public Mono<Job> cancel(@PathVariable String id) {
    return service.cancel(id);
  }

  /** Newest first; {@code after} is the last event id of the previous page. */
  @GetMapping(value = "/{id}/events", produces = MediaType.APPLICATION_JSON_VALUE)
  public Mono<Page<Event>> events(@PathVariable String id, @RequestParam(required = false) @Nullable String after,
      @RequestParam(defaultValue = "20") int limit) {
    int n = limit(limit);
    Integer before = JobService.seqOf(after);
    return service.find(id).flatMap(job -> jobs.events(id, before == null ? Integer.MAX_VALUE : before, n + 1)
        .collectList().map(l -> page(l, n)));
  }

  /**
   * Live: every event so far, oldest first, then new ones as they happen until the job finishes.
   * Subscribes to live events before reading history, so nothing falls in between.
   */
  @GetMapping(value = "/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  public Flux<ServerSentEvent<Event>> stream(@PathVariable String id) {
    return service.find(id).flatMapMany(job -> {
      Flux<Event> live = events.live(id).replay().autoConnect(0);
      return jobs.allEvents(id).collectList().flatMapMany(history -> {
        int last = history.isEmpty() ? 0 : history.getLast().seq();
        boolean done = history.stream().anyMatch(JobsController::isFinal);
        Flux<Event> rest = done ? Flux.empty() : live.filter(e -> e.seq() > last).takeUntil(JobsController::isFinal);
        return Flux.fromIterable(history).concatWith(rest);
      });
    }).map(e -> ServerSentEvent.builder(e).id(e.id()).event(e.type()).build());
  }

  @GetMapping("/{id}/checkpoints")
  public Mono<Page<Checkpoint>> checkpoints(@PathVariable String id) {
    return service.find(id).flatMap(job -> jobs.checkpoints(id).collectList().map(l -> new Page<>("list", l, false)));
  }

  private static boolean isFinal(Event e) {
    return JobEvents.STATUS.equals(e.type()) && e.data() != null && e.data().get("status") instanceof String s
        && Status.of(s).finished();
  }

  private static int limit(int limit) {
    if (limit < 1 || limit > 100) {
      throw ProblemException.invalidParameter("limit", "limit must be in [1, 100]");
    }
    return limit;
  }

  private static <T> Page<T> page(List<T> rows, int n) {
    return new Page<>("list", rows.size() > n ? rows.subList(0, n) : rows, rows.size() > n);
  }
}
