package dev.latent.gateway.metering;

import dev.latent.gateway.pricing.TokenCounts;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import tools.jackson.databind.json.JsonMapper;

/**
 * The client's response, watched on its way out. Streams pass event by event through
 * {@link SseTap}; JSON bodies pass untouched while a copy is kept to read {@code usage} at the end.
 * When the body ends — completed, broken, or cancelled by a client that went away — the
 * {@link Outcome} is handed over exactly once.
 */
final class MeteredResponse extends ServerHttpResponseDecorator {

  /** What the response revealed about the request's usage. */
  record Outcome(SignalType signal, boolean success, @Nullable TokenCounts usage, long delivered) {}

  private static final int MAX_COPY = 16 * 1024 * 1024;

  private final JsonMapper json;
  private final UsageScan usage;
  private final boolean dropUsageChunk;
  private final Consumer<Outcome> onDone;
  private volatile boolean started;

  MeteredResponse(ServerHttpResponse delegate, JsonMapper json, UsageScan usage, boolean dropUsageChunk,
      Consumer<Outcome> onDone) {
    super(delegate);
    this.json = json;
    this.usage = usage;
    this.dropUsageChunk = dropUsageChunk;
    this.onDone = onDone;
  }

  boolean started() {
    return started;
  }

  @Override
  public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
    started = true;
    return super.writeWith(watch(Flux.from(body)));
  }

  @Override
  public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
    started = true;
    Flux<DataBuffer> flat = Flux.from(body).concatMap(inner -> Flux.from(inner));
    return super.writeAndFlushWith(watch(flat).map(Flux::just));
  }

  private Flux<DataBuffer> watch(Flux<? extends DataBuffer> body) {
    HttpStatusCode status = getStatusCode();
    boolean success = status == null || status.is2xxSuccessful();
    if (!success) {
      return Flux.<DataBuffer>from(body).doFinally(signal -> onDone.accept(new Outcome(signal, false, null, 0)));
    }
    MediaType type = getHeaders().getContentType();
    if (type != null && MediaType.TEXT_EVENT_STREAM.isCompatibleWith(type)) {
      SseTap tap = new SseTap(json, dropUsageChunk);
      return Flux.<DataBuffer>from(body)
          .map(buffer -> bufferFactory().wrap(tap.accept(take(buffer))))
          .concatWith(Mono.fromSupplier(() -> bufferFactory().wrap(tap.finish())))
          .filter(buffer -> buffer.readableByteCount() > 0)
          .doFinally(signal -> onDone.accept(new Outcome(signal, true, tap.usage(), tap.delivered())));
    }
    BodyCopy copy = new BodyCopy();
    return Flux.<DataBuffer>from(body)
        .doOnNext(copy::add)
        .doFinally(signal -> onDone.accept(new Outcome(signal, true,
            signal == SignalType.ON_COMPLETE ? usage.of(copy.bytes, copy.size) : null, 0)));
  }

  /** The bytes of a JSON body as they pass (up to {@link #MAX_COPY}), copied once. */
  private static final class BodyCopy {
    private byte[] bytes = new byte[1024];
    private int size;
    private boolean full;

    void add(DataBuffer buffer) {
      int n = buffer.readableByteCount();
      if (full || size + n > MAX_COPY) {
        full = true; // what is kept stays a prefix of the body
        return;
      }
      if (size + n > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(size + n, 2 * bytes.length));
      }
      buffer.toByteBuffer(buffer.readPosition(), ByteBuffer.wrap(bytes), size, n);
      size += n;
    }
  }

  private static byte[] take(DataBuffer buffer) {
    try {
      byte[] bytes = new byte[buffer.readableByteCount()];
      buffer.read(bytes);
      return bytes;
    } finally {
      DataBufferUtils.release(buffer);
    }
  }
}
