package dev.latent.training.jobs;

import dev.latent.training.jobs.JobWire.Event;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * Appends job events (persisted, numbered per job) and publishes them to live streams. Blocking
 * ({@link #append} waits for the insert): call it from runner threads or wrap it.
 */
@Component
public class JobEvents {

  /** Events of type {@code status} carrying a final status end a live stream. */
  public static final String STATUS = "status";

  private final JobRepository repository;
  private final Sinks.Many<Event> live = Sinks.many().multicast().directBestEffort();
  private final Map<String, AtomicInteger> seqs = new ConcurrentHashMap<>();

  public JobEvents(JobRepository repository) {
    this.repository = repository;
  }

  public Event append(String jobId, String level, String type, String message, @Nullable Map<String, Object> data) {
    AtomicInteger seq = seqs.computeIfAbsent(jobId, id -> {
      Integer last = repository.lastEventSeq(id).block();
      return new AtomicInteger(last == null ? 0 : last);
    });
    int n = seq.incrementAndGet();
    Event e = new Event("ftevent-" + jobId.substring(6) + "-" + n, "fine_tuning.job.event",
        Instant.now().getEpochSecond(), level, message, data, type, n, jobId);
    repository.insertEvent(e).block();
    synchronized (live) {
      live.tryEmitNext(e);
    }
    return e;
  }

  public void forget(String jobId) {
    seqs.remove(jobId);
  }

  public Flux<Event> live(String jobId) {
    return live.asFlux().filter(e -> e.jobId().equals(jobId));
  }
}
