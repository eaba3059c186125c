package dev.latent.support.requestid;

import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Writes access log lines on a thread of its own, so formatting and the appender's I/O never run
 * on an event loop. Requests hand over a small record through a bounded, lock-free queue and never
 * wait: when the queue is full (the log cannot keep up) the line is dropped and counted
 * ({@link #dropped()}, exported as {@code latent_http_access_log_dropped_total}) and the writer
 * says how many it dropped once it catches up. Closing writes what is still queued.
 */
public final class AccessLogWriter implements AutoCloseable {

  /** One finished exchange. */
  public record Line(@Nullable String requestId, String method, String path, int status, long millis,
      boolean cancelled) {}

  static final Logger log = LoggerFactory.getLogger("latent.access");
  private static final Logger self = LoggerFactory.getLogger(AccessLogWriter.class);
  private static final long IDLE_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final int capacity;
  private final Queue<Line> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger size = new AtomicInteger();
  private final AtomicLong dropped = new AtomicLong();
  private final Thread thread;
  private volatile boolean waiting;
  private volatile boolean closed;
  private long droppedReported;

  /** A writer whose thread runs at once. */
  public AccessLogWriter(int capacity) {
    this(capacity, true);
  }

  AccessLogWriter(int capacity, boolean start) {
    if (capacity < 1) {
      throw new IllegalArgumentException("access log queue capacity must be >= 1");
    }
    this.capacity = capacity;
    this.thread = Thread.ofPlatform().daemon().name("access-log").unstarted(this::run);
    if (start) {
      thread.start();
    }
  }

  void start() {
    thread.start();
  }

  /** Queues {@code line}; false (and counted) when the queue is full. Never blocks. */
  public boolean offer(Line line) {
    if (size.incrementAndGet() > capacity) {
      size.decrementAndGet();
      dropped.incrementAndGet();
      return false;
    }
    queue.offer(line);
    if (waiting) {
      LockSupport.unpark(thread);
    }
    return true;
  }

  /** Lines dropped because the queue was full, since start. */
  public long dropped() {
    return dropped.get();
  }

  /** Lines waiting to be written. */
  public int queued() {
    return size.get();
  }

  private void run() {
    while (true) {
      Line line = queue.poll();
      if (line == null) {
        reportDropped();
        if (closed) {
          return;
        }
        waiting = true;
        if (queue.isEmpty() && !closed) { // re-check after announcing: no wake-up is lost
          LockSupport.parkNanos(this, IDLE_PARK_NANOS);
        }
        waiting = false;
        continue;
      }
      size.decrementAndGet();
      write(line);
    }
  }

  private void reportDropped() {
    long now = dropped.get();
    if (now > droppedReported) {
      self.warn("access log queue full: {} lines dropped", now - droppedReported);
      droppedReported = now;
    }
  }

  static void write(Line line) {
    try (var ignored = MDC.putCloseable(RequestId.KEY, line.requestId() == null ? "" : line.requestId())) {
      log.info("{} {} {} {}ms{}", line.method(), line.path(), line.status() < 0 ? "-" : line.status(),
          line.millis(), line.cancelled() ? " (cancelled)" : "");
    } catch (RuntimeException e) {
      self.warn("access log line could not be written: {}", e.toString());
    }
  }

  /** Writes what is queued (waiting at most {@code timeout}), then stops the thread. */
  public void close(Duration timeout) {
    closed = true;
    LockSupport.unpark(thread);
    if (thread.isAlive()) {
      try {
        thread.join(timeout);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }
}
