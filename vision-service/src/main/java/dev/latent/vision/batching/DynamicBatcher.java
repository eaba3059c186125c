package dev.latent.vision.batching;

import dev.latent.support.problem.ProblemException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Mono;

/**
 * Collects single requests for one model into batches: the first waiting request opens a batch
 * that closes after {@code maxDelay} or at {@code maxBatch} requests, whichever comes first, and
 * one dedicated thread runs it (models are not shared between threads, so no predictor is ever
 * used concurrently). The queue is bounded: a full queue answers 429 with {@code Retry-After}.
 * Metrics, tagged {@code model}: latency (enqueue to answer), batch size, queue depth, rejections.
 */
public final class DynamicBatcher<I, O> implements AutoCloseable {

  private record Job<I, O>(I input, CompletableFuture<O> result, long enqueuedNanos) {}

  private final String model;
  private final Function<List<I>, List<O>> handler;
  private final BatchingProperties properties;
  private final BlockingQueue<Job<I, O>> queue;
  private final Thread worker;
  private final Timer latency;
  private final DistributionSummary batchSize;
  private final Counter rejected;
  private volatile boolean running = true;

  public DynamicBatcher(String model, Function<List<I>, List<O>> handler, BatchingProperties properties,
      MeterRegistry registry) {
    this.model = model;
    this.handler = handler;
    this.properties = properties;
    this.queue = new ArrayBlockingQueue<>(properties.queueCapacity());
    this.latency = Timer.builder("latent.vision.model.latency").tag("model", model)
        .publishPercentileHistogram().register(registry);
    this.batchSize = DistributionSummary.builder("latent.vision.model.batch.size").tag("model", model)
        .register(registry);
    this.rejected = Counter.builder("latent.vision.model.rejected").tag("model", model).register(registry);
    Gauge.builder("latent.vision.model.queue.depth", queue, BlockingQueue::size).tag("model", model)
        .register(registry);
    this.worker = Thread.ofPlatform().name("vision-batch-" + model).daemon().start(this::loop);
  }

  public Mono<O> submit(I input) {
    return Mono.defer(() -> {
      var job = new Job<I, O>(input, new CompletableFuture<>(), System.nanoTime());
      if (!running || !queue.offer(job)) {
        rejected.increment();
        return Mono.error(ProblemException.overloaded(HttpStatus.TOO_MANY_REQUESTS,
            "Model '" + model + "' has " + properties.queueCapacity() + " requests waiting; try again shortly",
            properties.retryAfter()));
      }
      return Mono.fromFuture(job.result(), true);
    });
  }

  public int queueDepth() {
    return queue.size();
  }

  private void loop() {
    while (running) {
      List<Job<I, O>> batch = new ArrayList<>(properties.maxBatch());
      try {
        Job<I, O> first = queue.take();
        batch.add(first);
        long deadline = first.enqueuedNanos() + properties.maxDelay().toNanos();
        while (batch.size() < properties.maxBatch()) {
          long wait = deadline - System.nanoTime();
          Job<I, O> next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
          if (next == null) {
            break;
          }
          batch.add(next);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        batch.forEach(j -> j.result().completeExceptionally(e));
        return;
      }
      run(batch);
    }
  }

  private void run(List<Job<I, O>> batch) {
    batchSize.record(batch.size());
    try {
      List<O> outputs = handler.apply(batch.stream().map(Job::input).toList());
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).result().complete(outputs.get(i));
      }
    } catch (RuntimeException e) {
      batch.forEach(j -> j.result().completeExceptionally(e));
    } finally {
      long now = System.nanoTime();
      batch.forEach(j -> latency.record(now - j.enqueuedNanos(), TimeUnit.NANOSECONDS));
    }
  }

  @Override
  public void close() {
    running = false;
    worker.interrupt();
  }
}
