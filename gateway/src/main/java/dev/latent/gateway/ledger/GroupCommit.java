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
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Group commit: ledger writes from many requests go into one transaction per flush. Each write
 * waits in a queue; one flush at a time takes up to {@code maxBatch} of them (after an optional
 * linger) and hands them to the {@link Writer} at once, which runs them in a single transaction
 * with a few statements for the whole batch; only once that transaction committed does each
 * waiting request learn its own outcome. Records that arrive while a flush runs form the next
 * one, so batches grow with the load and a lone request waits for nothing.
 *
 * <p>A write's outcome (held, over budget, duplicate, captured, already settled) is a value, never
 * an exception, so one request's refusal cannot roll back its neighbours. Should a batch fail
 * anyway (a database error), each of its writes is retried as a batch of one in a transaction of
 * its own, and only the writes that fail alone see the error.
 *
 * <p>Outcomes are delivered on the thread that finished the transaction (the ledger's own thread
 * on H2): a requester that has more work to do moves it elsewhere itself, so a flush costs no
 * scheduler hop.
 */
final class GroupCommit<W extends GroupCommit.Write, R> {

  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

  /** One write; what it does is up to the {@link Writer}. */
  interface Write {
    String keyId();
  }

  /** Runs a whole batch inside the flush's transaction; one result per write, in order. */
  interface Writer<W, R> {
    Mono<List<R>> write(BatchStatements statements, List<W> batch);

    /** {@code write} committed with {@code result} after its requester had gone away (e.g. a hold to give back). */
    default void abandoned(W write, R result) {}
  }

  private record Pending<W, R>(W write, MonoSink<R> sink, AtomicBoolean cancelled) {}

  private final LedgerDatabase db;
  private final LedgerProperties properties;
  private final Writer<W, R> writer;
  private final Queue<Pending<W, R>> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean flushing = new AtomicBoolean();
  private final DistributionSummary batchSizes;

  GroupCommit(LedgerDatabase db, LedgerProperties properties, MeterRegistry meters, Writer<W, R> writer) {
    this.db = db;
    this.properties = properties;
    this.writer = writer;
    this.batchSizes = DistributionSummary.builder("latent.gateway.ledger.batch.size")
        .description("ledger writes committed per transaction").register(meters);
    Gauge.builder("latent.gateway.ledger.queue", queued, AtomicInteger::get)
        .description("ledger writes waiting for a flush").register(meters);
  }

  int queued() {
    return queued.get();
  }

  /** Queues {@code write}; the Mono completes once it is committed (or failed). */
  Mono<R> submit(W write) {
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
    Mono<List<Pending<W, R>>> batch = properties.linger().isZero() || queued.get() >= properties.maxBatch()
        ? Mono.fromSupplier(this::take)
        : Mono.delay(properties.linger()).map(tick -> take());
    batch.subscribe(this::flush, e -> {
      log.error("ledger flush could not start", e);
      flushing.set(false);
    });
  }

  private List<Pending<W, R>> take() {
    List<Pending<W, R>> batch = new ArrayList<>(Math.min(queued.get(), properties.maxBatch()));
    Pending<W, R> next;
    while (batch.size() < properties.maxBatch() && (next = queue.poll()) != null) {
      queued.decrementAndGet();
      batch.add(next);
    }
    // Rows of budget_usage are locked in key order, so two replicas' batches cannot deadlock on
    // them; the sort is stable, so one key's writes keep their order.
    batch.sort(Comparator.comparing(p -> p.write().keyId()));
    return batch;
  }

  private void flush(List<Pending<W, R>> batch) {
    if (batch.isEmpty()) {
      done();
      return;
    }
    List<W> writes = batch.stream().map(Pending::write).toList();
    db.inBatchTransaction(statements -> writer.write(statements, writes))
        .subscribe(results -> {
          batchSizes.record(batch.size());
          done();
          for (int i = 0; i < batch.size(); i++) {
            complete(batch.get(i), results.get(i));
          }
        }, e -> {
          log.warn("ledger batch of {} failed ({}); writing them one by one", batch.size(), e.toString());
          Flux.fromIterable(batch)
              .concatMap(p -> db.inBatchTransaction(statements -> writer.write(statements, List.of(p.write())))
                  .doOnNext(results -> complete(p, results.getFirst()))
                  .onErrorResume(error -> {
                    p.sink().error(error);
                    return Mono.empty();
                  }))
              .doFinally(signal -> done())
              .subscribe();
        });
  }

  private void complete(Pending<W, R> p, R result) {
    if (p.cancelled().get()) {
      writer.abandoned(p.write(), result);
    } else {
      p.sink().success(result);
    }
  }

  private void done() {
    flushing.set(false);
    drain();
  }
}
