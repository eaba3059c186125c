package dev.latent.vision.image;

import dev.latent.support.problem.ProblemException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The bounded pool for blocking CPU work outside the models (decoding, URL fetches, alignment):
 * never Netty's event loop, never an unbounded elastic pool. A full queue is a 503 + Retry-After.
 */
@Component
public class VisionExecutor implements AutoCloseable {

  private final ThreadPoolExecutor pool;

  public VisionExecutor(ImageProperties properties) {
    AtomicInteger n = new AtomicInteger();
    pool = new ThreadPoolExecutor(properties.workers(), properties.workers(), 0, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(properties.queueCapacity()), r -> {
          Thread t = new Thread(r, "vision-cpu-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
  }

  public <T> Mono<T> call(Callable<T> work) {
    return Mono.create(sink -> {
      try {
        var future = pool.submit(() -> {
          try {
            sink.success(work.call());
          } catch (Throwable e) {
            sink.error(e);
          }
        });
        sink.onCancel(() -> future.cancel(false));
      } catch (RejectedExecutionException e) {
        sink.error(ProblemException.overloaded(HttpStatus.SERVICE_UNAVAILABLE,
            "The vision service is busy decoding images; try again shortly", Duration.ofSeconds(1)));
      }
    });
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
