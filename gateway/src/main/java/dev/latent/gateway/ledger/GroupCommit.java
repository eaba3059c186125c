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
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
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
 * <p>Writes nobody waits on ({@link Write#urgent} false: settlements, whose answer has already
 * gone out) do not start a flush of their own at once: they wait up to {@code settleLinger} for an
 * urgent write (a reservation, which a request waits on) and then share its flush — one
 * transaction per request instead of two at a steady load. An urgent write that arrives during
 * that wait starts the flush at once.
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

    /** Whether a request waits on this write (else it may wait for company, see settleLinger). */
    default boolean urgent() {
      return true;
    }
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
  private final AtomicInteger urgent = new AtomicInteger(); // urgent writes queued
  private final AtomicBoolean flushing = new AtomicBoolean();
  // The flush that waits for company (it holds `flushing`), or null.
  private final AtomicReference<@Nullable Linger> lingering = new AtomicReference<>();
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
      if (write.urgent()) {
        urgent.incrementAndGet();
      }
      drain(write.urgent());
    });
  }

  private void drain(boolean urgentArrived) {
    if (queue.isEmpty()) {
      return;
    }
    if (!flushing.compareAndSet(false, true)) {
      if (urgentArrived) {
        endLinger(); // a flush of settlements is waiting for company: here it is
      }
      return;
    }
    if (urgent.get() == 0 && !properties.settleLinger().isZero() && queued.get() < properties.maxBatch()) {
      Linger linger = new Linger();
      lingering.set(linger);
      linger.timer = Mono.delay(properties.settleLinger()).subscribe(tick -> {
        if (lingering.compareAndSet(linger, null)) {
          start();
        }
      });
      if (urgent.get() > 0) {
        endLinger(); // an urgent write came between the check and the set, and found no linger to end
      }
      return;
    }
    start();
  }

  /** Starts the waiting flush now, if one waits. */
  private void endLinger() {
    Linger linger = lingering.getAndSet(null);
    if (linger != null) {
      Disposable timer = linger.timer;
      if (timer != null) {
        timer.dispose();
      }
      start();
    }
  }

  /** Takes a batch (after the optional linger) and flushes it; the caller holds {@code flushing}. */
  private void start() {
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
      if (next.write().urgent()) {
        urgent.decrementAndGet();
      }
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
    drain(false);
  }

  /** A flush waiting for company; its timer starts it when none came. */
  private static final class Linger {
    volatile @Nullable Disposable timer;
  }
}
