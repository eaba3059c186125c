package dev.latent.gateway.ledger;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Group commit: ledger writes from many requests go into one transaction per flush. Each write
 * waits in a queue; one flush at a time takes up to {@code maxBatch} of them (after an optional
 * linger), runs them one after the other in a single transaction, and only once that transaction
 * committed does each waiting request learn its own outcome. Records that arrive while a flush
 * runs form the next one, so batches grow with the load and a lone request waits for nothing.
 *
 * <p>A write's outcome (held, over budget, duplicate, captured, already settled) is a value, never
 * an exception, so one request's refusal cannot roll back its neighbours. Should a batch fail
 * anyway (a database error), each of its writes is retried in a transaction of its own, and only
 * the writes that fail alone see the error.
 */
final class GroupCommit {

  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

  /** One write: its statements, run inside the flush's transaction. */
  interface Write<T> {
    String keyId();

    Mono<T> run(DatabaseClient client);

    /** Committed with {@code result} after its requester had gone away (e.g. a hold to give back). */
    default void abandoned(T result) {}
  }

  private record Pending<T>(Write<T> write, MonoSink<T> sink, AtomicBoolean cancelled) {
    Mono<Object> run(DatabaseClient client) {
      return write.run(client).map(Object.class::cast);
    }

    @SuppressWarnings("unchecked")
    void complete(Object value) {
      if (cancelled.get()) {
        write.abandoned((T) value);
      } else {
        sink.success((T) value);
      }
    }
  }

  private final LedgerDatabase db;
  private final LedgerProperties properties;
  private final Queue<Pending<?>> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean flushing = new AtomicBoolean();
  private final DistributionSummary batchSizes;

  GroupCommit(LedgerDatabase db, LedgerProperties properties, MeterRegistry meters) {
    this.db = db;
    this.properties = properties;
    this.batchSizes = DistributionSummary.builder("latent.gateway.ledger.batch.size")
        .description("ledger writes committed per transaction").register(meters);
    Gauge.builder("latent.gateway.ledger.queue", queued, AtomicInteger::get)
        .description("ledger writes waiting for a flush").register(meters);
  }

  int queued() {
    return queued.get();
  }

  /** Queues {@code write}; the Mono completes once it is committed (or failed). */
  <T> Mono<T> submit(Write<T> write) {
    return Mono.create(sink -> {
      AtomicBoolean cancelled = new AtomicBoolean();
      sink.onCancel(() -> cancelled.set(true));
      queue.add(new Pending<>(write, sink, cancelled));
      queued.incrementAndGet();
      drain();
    });
  }

  private void drain() {
    if (queue.isEmpty() || !flushing.compareAndSet(false, true)) {
      return;
    }
    Mono<List<Pending<?>>> batch = properties.linger().isZero() || queued.get() >= properties.maxBatch()
        ? Mono.fromSupplier(this::take)
        : Mono.delay(properties.linger()).map(tick -> take());
    batch.subscribe(this::flush, e -> {
      log.error("ledger flush could not start", e);
      flushing.set(false);
    });
  }

  private List<Pending<?>> take() {
    List<Pending<?>> batch = new ArrayList<>(Math.min(queued.get(), properties.maxBatch()));
    Pending<?> next;
    while (batch.size() < properties.maxBatch() && (next = queue.poll()) != null) {
      queued.decrementAndGet();
      batch.add(next);
    }
    // Rows of budget_usage are locked in key order, so two replicas' batches cannot deadlock on
    // them; the sort is stable, so one key's writes keep their order.
    batch.sort(Comparator.comparing(p -> p.write().keyId()));
    return batch;
  }

  private void flush(List<Pending<?>> batch) {
    if (batch.isEmpty()) {
      done();
      return;
    }
    db.inTransaction(client -> Flux.fromIterable(batch).concatMap(p -> p.run(client)).collectList())
        .subscribe(results -> {
          batchSizes.record(batch.size());
          done();
          for (int i = 0; i < batch.size(); i++) {
            batch.get(i).complete(results.get(i));
          }
        }, e -> {
          log.warn("ledger batch of {} failed ({}); writing them one by one", batch.size(), e.toString());
          Flux.fromIterable(batch)
              .concatMap(p -> db.inTransaction(p::run)
                  .doOnNext(p::complete)
                  .onErrorResume(error -> {
                    p.sink().error(error);
                    return Mono.empty();
                  }))
              .doFinally(signal -> done())
              .subscribe();
        });
  }

  private void done() {
    flushing.set(false);
    drain();
  }
}
