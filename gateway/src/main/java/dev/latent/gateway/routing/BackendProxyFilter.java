package dev.latent.gateway.routing;

import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR;
import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.isAlreadyRouted;
import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.setAlreadyRouted;

import dev.latent.support.problem.ProblemException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.ConnectException;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.NettyPipeline;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.PrematureCloseException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Sends a request on a {@code backend://pool} route to one instance and streams the answer back.
 * The pool is the model's (or the route's); the instance is the least loaded one whose circuit is
 * closed. Connect failures and 502/503 are retried on another instance, and only then does the
 * model's fallback list get its turn — all before a single byte went to the client, so a client
 * never sees two half answers. Open circuits everywhere → 503 with {@code Retry-After}.
 */
@Component
class BackendProxyFilter implements GlobalFilter, Ordered {

  static final String SCHEME = "backend";
  private static final Logger log = LoggerFactory.getLogger(BackendProxyFilter.class);

  private final BackendPools pools;
  private final HttpClient baseClient;
  private final JsonMapper json;
  private final RequestMetricsFilter metrics;
  private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();

  BackendProxyFilter(BackendPools pools, HttpClient httpClient, JsonMapper json,
      RequestMetricsFilter metrics) {
    this.pools = pools;
    this.baseClient = httpClient;
    this.json = json;
    this.metrics = metrics;
  }

  @Override
  public int getOrder() {
    return Ordered.LOWEST_PRECEDENCE - 10; // where NettyRoutingFilter would run, just before it
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
    Route route = exchange.getAttribute(GATEWAY_ROUTE_ATTR);
    if (route == null || !SCHEME.equals(route.getUri().getScheme()) || isAlreadyRouted(exchange)) {
      return chain.filter(exchange);
    }
    setAlreadyRouted(exchange);
    String routePool = route.getUri().getHost();
    JsonRequest request = JsonRequest.of(exchange);
    List<@Nullable String> models = request == null ? java.util.Collections.singletonList(null)
        : List.copyOf(pools.candidates(request.model()));
    var call = new Call(exchange, route.getId());
    return tryModel(call, request, routePool, models, 0)
        .flatMap(upstream -> write(call, upstream))
        .doFinally(signal -> call.finish());
  }

  /** Tries the model at {@code index}, and on "no instance could answer" the next fallback. */
  private Mono<Upstream> tryModel(Call call, @Nullable JsonRequest request, String routePool,
      List<@Nullable String> models, int index) {
    String model = models.get(index);
    BackendPool pool = pools.poolFor(model, routePool);
    byte @Nullable [] body = null;
    if (request != null && index == 0 && !JsonRequest.isRewritten(call.exchange)) {
      body = request.raw(); // untouched: no need to serialise it again
    } else if (request != null) {
      ObjectNode payload = request.body();
      if (index > 0) {
        payload = payload.deepCopy();
        payload.put("model", model);
        call.exchange.getAttributes().put(JsonRequest.SERVED_MODEL_ATTR, model);
      }
      body = json.writeValueAsBytes(payload);
    }
    if (!pool.bulkhead().tryAcquirePermission()) {
      return next(call, request, routePool, models, index, ProblemException.overloaded(
          HttpStatus.SERVICE_UNAVAILABLE, "Backend " + pool.name() + " is at its concurrency limit",
          Duration.ofSeconds(1)));
    }
    call.holdBulkhead(pool);
    return attempt(call, pool, body, 0, new HashSet<>())
        .onErrorResume(Unavailable.class, e -> next(call, request, routePool, models, index, e.problem));
  }

  private Mono<Upstream> next(Call call, @Nullable JsonRequest request, String routePool,
      List<@Nullable String> models, int index, ProblemException failure) {
    if (index + 1 >= models.size()) {
      return Mono.error(failure);
    }
    log.info("model {} unavailable ({}); falling back to {}", models.get(index),
        failure.getMessage(), models.get(index + 1));
    call.releaseBulkhead();
    return tryModel(call, request, routePool, models, index + 1);
  }

  private Mono<Upstream> attempt(Call call, BackendPool pool, byte @Nullable [] body, int attempt,
      Set<BackendInstance> failed) {
    BackendInstance instance = pool.pick(failed);
    if (instance == null) {
      return Mono.error(new Unavailable(new ProblemException(HttpStatus.SERVICE_UNAVAILABLE,
          "backend-unavailable", "Backend " + pool.name() + " is unavailable (circuit open)",
          "backend_unavailable", null).retryAfter(pool.retryAfter())));
    }
    call.use(instance);
    HttpMethod method = call.exchange.getRequest().getMethod();
    boolean replayable = body != null || call.exchange.getRequest().getHeaders().getContentLength() == 0
        || method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.DELETE
        || method == HttpMethod.OPTIONS;
    boolean canRetry = replayable && attempt < pool.settings().retries();
    long started = System.nanoTime();
    CircuitBreaker breaker = instance.breaker();
    metrics.recordAdded(call.exchange, call.routeId);
    return send(call.exchange, pool, instance, body)
        .doOnCancel(breaker::releasePermission)
        .materialize()
        .flatMap(signal -> {
          if (signal.isOnError()) {
            return failed(call, pool, instance, body, attempt, failed, canRetry, started,
                java.util.Objects.requireNonNull(signal.getThrowable()));
          }
          Upstream upstream = signal.get();
          if (upstream == null) {
            return Mono.error(new IllegalStateException("backend answered nothing"));
          }
          long took = System.nanoTime() - started;
          if (upstream.status() == 502 || upstream.status() == 503) {
            breaker.onError(took, TimeUnit.NANOSECONDS, new IllegalStateException("status " + upstream.status()));
            if (canRetry) {
              upstream.discard();
              failed.add(instance);
              return attempt(call, pool, body, attempt + 1, failed);
            }
          } else if (upstream.status() >= 500) {
            breaker.onError(took, TimeUnit.NANOSECONDS, new IllegalStateException("status " + upstream.status()));
          } else {
            breaker.onSuccess(took, TimeUnit.NANOSECONDS);
          }
          return Mono.just(upstream);
        });
  }

  private Mono<Upstream> failed(Call call, BackendPool pool, BackendInstance instance,
      byte @Nullable [] body, int attempt, Set<BackendInstance> failed, boolean canRetry,
      long started, Throwable e) {
          CircuitBreaker breaker = instance.breaker();
          long took = System.nanoTime() - started;
          breaker.onError(took, TimeUnit.NANOSECONDS, e);
          if (e instanceof ReadTimeoutException || e instanceof TimeoutException) {
            return Mono.error(new ProblemException(HttpStatus.GATEWAY_TIMEOUT, "gateway-timeout",
                "Backend " + pool.name() + " did not answer within " + pool.settings().firstByteTimeout(),
                "backend_timeout", null));
          }
          if (canRetry && isConnectFailure(e)) {
            failed.add(instance);
            return attempt(call, pool, body, attempt + 1, failed);
          }
          log.warn("{} failed: {}", instance, e.toString());
          return Mono.error(new Unavailable(new ProblemException(HttpStatus.BAD_GATEWAY, "bad-gateway",
              "Backend " + pool.name() + " could not be reached", "backend_unreachable", null)));
  }

  private static boolean isConnectFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof PrematureCloseException
          || t instanceof io.netty.channel.ConnectTimeoutException) {
        return true;
      }
    }
    return false;
  }

  private Mono<Upstream> send(ServerWebExchange exchange, BackendPool pool, BackendInstance instance,
      byte @Nullable [] body) {
    ServerHttpRequest request = exchange.getRequest();
    String query = request.getURI().getRawQuery();
    URI uri = URI.create(stripSlash(instance.url().toString()) + request.getURI().getRawPath()
        + (query == null ? "" : "?" + query));
    HttpClient client = clients.computeIfAbsent(pool.name(), name -> baseClient
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) pool.settings().connectTimeout().toMillis()));
    return client
        .request(io.netty.handler.codec.http.HttpMethod.valueOf(request.getMethod().name()))
        .uri(uri)
        .send((req, out) -> {
          // Headers go straight onto the outgoing request (no HttpClient config copy per request).
          ProxyHeaders.copyRequest(request.getHeaders(), req.requestHeaders());
          // First byte: a read timeout on the connection, run by its own event loop. Reactor's
          // Mono.timeout cost ~8 % of the event loop (a name built per subscription, a shared
          // scheduler whose lock event loops waited on).
          req.responseTimeout(pool.settings().firstByteTimeout());
          if (body != null) {
            req.requestHeaders().set(HttpHeaders.CONTENT_LENGTH, body.length);
            return out.send(Mono.just(Unpooled.wrappedBuffer(body)));
          }
          return out.send(request.getBody().map(NettyDataBufferFactory::toByteBuf));
        })
        .responseConnection((res, connection) -> {
          idleTimeout(connection, pool.settings().idleTimeout());
          return Mono.just(new Upstream(res.status().code(), res.responseHeaders(), connection));
        })
        .next();
  }

  /** Headers are in: from now on the longest silence allowed between two body reads. */
  private static void idleTimeout(Connection connection, Duration idle) {
    ChannelPipeline pipeline = connection.channel().pipeline();
    if (pipeline.get(NettyPipeline.ResponseTimeoutHandler) != null) {
      pipeline.replace(NettyPipeline.ResponseTimeoutHandler, NettyPipeline.ResponseTimeoutHandler,
          new ReadTimeoutHandler(idle.toMillis(), TimeUnit.MILLISECONDS));
    }
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private Mono<Void> write(Call call, Upstream upstream) {
    ServerWebExchange exchange = call.exchange;
    ServerHttpResponse response = exchange.getResponse();
    boolean stream = ProxyHeaders.isEventStream(upstream.headers());
    response.setStatusCode(HttpStatusCode.valueOf(upstream.status()));
    ProxyHeaders.copyResponse(upstream.headers(), response.getHeaders(), stream);
    NettyDataBufferFactory factory = response.bufferFactory() instanceof NettyDataBufferFactory netty
        ? netty : new NettyDataBufferFactory(io.netty.buffer.ByteBufAllocator.DEFAULT);
    // The idle timeout is the connection's read timeout (see idleTimeout).
    Flux<DataBuffer> body = upstream.connection().inbound().receive().retain()
        .map(buffer -> (DataBuffer) factory.wrap(buffer))
        .doOnCancel(upstream::discard)
        .doOnError(e -> upstream.discard());
    if (stream) {
      // The SSE contract: an error after the stream began is one final error event, then close.
      Flux<DataBuffer> events = body.onErrorResume(e -> {
        log.warn("stream from {} broke: {}", call.instance(), e.toString());
        exchange.getAttributes().put(UPSTREAM_BROKEN_ATTR, e);
        String event = "data: {\"error\":{\"message\":\"The backend stream ended unexpectedly\","
            + "\"type\":\"server_error\",\"code\":\"backend_stream_broken\"}}\n\n";
        return Mono.just(factory.wrap(event.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      });
      return response.writeAndFlushWith(events.map(Flux::just));
    }
    return response.writeWith(body);
  }

  /** Set (to the cause) when a backend's stream broke off after it began. */
  static final String UPSTREAM_BROKEN_ATTR = BackendProxyFilter.class.getName() + ".broken";

  /** No instance of this pool could answer: the next fallback model may. */
  private static final class Unavailable extends RuntimeException {
    final ProblemException problem;

    Unavailable(ProblemException problem) {
      super(problem.getMessage(), null, false, false);
      this.problem = problem;
    }
  }

  /** One proxied exchange's hold on an instance and a bulkhead slot, released exactly once. */
  private static final class Call {
    final ServerWebExchange exchange;
    final String routeId;
    private final AtomicReference<@Nullable BackendInstance> instance = new AtomicReference<>();
    private final AtomicReference<@Nullable BackendPool> bulkhead = new AtomicReference<>();

    Call(ServerWebExchange exchange, String routeId) {
      this.exchange = exchange;
      this.routeId = routeId;
    }

    void use(BackendInstance next) {
      next.begin();
      BackendInstance previous = instance.getAndSet(next);
      if (previous != null) {
        previous.end();
      }
      exchange.getAttributes().put(BackendInstance.ATTR, next);
    }

    BackendInstance instance() {
      BackendInstance current = instance.get();
      if (current == null) {
        throw new IllegalStateException("no instance picked");
      }
      return current;
    }

    void holdBulkhead(BackendPool pool) {
      bulkhead.set(pool);
    }

    void releaseBulkhead() {
      BackendPool pool = bulkhead.getAndSet(null);
      if (pool != null) {
        pool.bulkhead().onComplete();
      }
    }

    void finish() {
      BackendInstance current = instance.getAndSet(null);
      if (current != null) {
        current.end();
      }
      releaseBulkhead();
    }
  }
}
