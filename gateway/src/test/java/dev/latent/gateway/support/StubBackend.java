package dev.latent.gateway.support;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real HTTP backend speaking the inference-service contract: OpenAI chat completions (JSON or
 * SSE, one token per chunk), embeddings, and {@code GET /internal/usage/{requestId}} holding what
 * each request really generated — also after the client went away mid-stream.
 *
 * <p>Steered per request by headers the gateway forwards: {@code X-Stub-Chunks} (tokens to
 * generate, default 5), {@code X-Stub-Interval-Ms} (between tokens, default 5), {@code X-Stub-Die-After}
 * (close the connection after that many tokens and forget the request, as a crashed backend
 * would), {@code X-Stub-Status} (answer that status), {@code X-Stub-Prompt} and {@code X-Stub-Cached}
 * (prompt tokens and how many of them were cache hits; defaults 20 and 0), {@code X-Stub-Delay-Ms}
 * (wait that long before answering at all).
 */
public final class StubBackend implements AutoCloseable {

  /** What the backend knows about a request. */
  public record Record(String model, String status, long prompt, long cached, long completion) {}

  private final JsonMapper json = JsonMapper.builder().build();
  private final DisposableServer server;
  // Its own event loops: a gateway context that closes disposes Reactor Netty's global ones.
  private final reactor.netty.resources.LoopResources loops =
      reactor.netty.resources.LoopResources.create("stub-backend", 2, true);
  private final Map<String, Record> usage = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
  private final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
  private final AtomicLong requests = new AtomicLong();

  private final int forcedStatus;

  public StubBackend() {
    this(200);
  }

  /** A backend whose chat completions all answer {@code forcedStatus} (e.g. 503: overloaded). */
  public StubBackend(int forcedStatus) {
    this.forcedStatus = forcedStatus;
    server = HttpServer.create().runOn(loops).host("127.0.0.1").port(0)
        .route(routes -> routes
            .post("/v1/chat/completions", this::chat)
            .post("/v1/completions", this::chat)
            .post("/v1/embeddings", this::embeddings)
            .get("/v1/models", (req, res) -> res.header("content-type", "application/json")
                .sendString(Mono.just("{\"object\":\"list\",\"data\":[{\"id\":\"stub-model\",\"object\":\"model\","
                    + "\"created\":0,\"owned_by\":\"latent\"}]}")))
            .get("/internal/usage/{id}", this::internalUsage)
            .post("/v1/vision/faces/detect", this::vision)
            .post("/v1/vision/faces/verify", this::vision)
            .post("/v1/fine_tuning/jobs", this::createJob)
            .get("/v1/fine_tuning/jobs/{id}", this::job))
        .bindNow();
  }

  /** Runs the stub alone (for poking at a gateway by hand): prints its URL, serves until killed. */
  public static void main(String[] args) throws InterruptedException {
    StubBackend stub = new StubBackend();
    System.out.println(stub.url());
    Thread.currentThread().join();
  }

  public String url() {
    return "http://127.0.0.1:" + server.port();
  }

  public @Nullable Record usage(String requestId) {
    return usage.get(requestId);
  }

  /** Pretend the backend served {@code requestId} (to test the reconciler). */
  public void remember(String requestId, Record record) {
    usage.put(requestId, record);
  }

  public int timesSeen(String requestId) {
    AtomicInteger n = seen.get(requestId);
    return n == null ? 0 : n.get();
  }

  public List<JsonNode> bodies() {
    return bodies;
  }

  public long requests() {
    return requests.get();
  }

  private Mono<Void> chat(HttpServerRequest req, HttpServerResponse res) {
    requests.incrementAndGet();
    String id = req.requestHeaders().get("X-Request-Id", "none");
    seen.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
    int status = header(req, "X-Stub-Status", forcedStatus);
    long chunks = header(req, "X-Stub-Chunks", 5);
    long interval = header(req, "X-Stub-Interval-Ms", 5);
    long dieAfter = header(req, "X-Stub-Die-After", -1);
    long prompt = header(req, "X-Stub-Prompt", 20);
    long cached = header(req, "X-Stub-Cached", 0);
    long delay = header(req, "X-Stub-Delay-Ms", 0);
    return req.receive().aggregate().asString().defaultIfEmpty("{}")
        .delayUntil(text -> delay > 0 ? Mono.delay(Duration.ofMillis(delay)) : Mono.empty())
        .flatMap(text -> {
      JsonNode body = json.readTree(text);
      bodies.add(body);
      String model = body.path("model").asString("stub-model");
      if (status != 200) {
        return res.status(status).header("content-type", "application/json")
            .sendString(Mono.just("{\"error\":{\"message\":\"stub says " + status + "\"}}")).then();
      }
      if (!body.path("stream").asBoolean(false)) {
        usage.put(id, new Record(model, "final", prompt, cached, chunks));
        return res.header("content-type", "application/json")
            .sendString(Mono.just(completion(id, model, prompt, cached, chunks))).then();
      }
      boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
      AtomicLong generated = new AtomicLong();
      usage.put(id, new Record(model, "running", prompt, cached, 0));
      long limit = dieAfter >= 0 ? dieAfter : chunks;
      Flux<String> tokens = Flux.interval(Duration.ofMillis(Math.max(1, interval)))
          .take(limit)
          .map(i -> {
            generated.incrementAndGet();
            return "data: " + chunk(id, model, "t" + i + " ", i == chunks - 1 ? "\"stop\"" : "null") + "\n\n";
          });
      if (dieAfter >= 0) {
        // A crashed backend: the stream breaks off and the record is gone with the process.
        // Close only once the tokens are out (a close discards writes not yet flushed).
        Flux<String> dying = tokens.concatWith(Flux.<String>never().doOnSubscribe(s -> {
          usage.remove(id);
          Mono.delay(Duration.ofMillis(50)).subscribe(x -> res.withConnection(c -> c.channel().close()));
        }));
        return res.header("content-type", "text/event-stream").sendString(dying).then();
      }
      Flux<String> tail = Flux.defer(() -> {
        usage.put(id, new Record(model, "final", prompt, cached, generated.get()));
        return includeUsage
            ? Flux.just("data: {\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\""
                + model + "\",\"choices\":[],\"usage\":" + usageJson(prompt, cached, generated.get()) + "}\n\n",
                "data: [DONE]\n\n")
            : Flux.just("data: [DONE]\n\n");
      });
      return res.header("content-type", "text/event-stream")
          .sendString(tokens.concatWith(tail)
              .doOnCancel(() -> usage.put(id, new Record(model, "final", prompt, cached, generated.get()))))
          .then();
    });
  }

  private Mono<Void> embeddings(HttpServerRequest req, HttpServerResponse res) {
    requests.incrementAndGet();
    String id = req.requestHeaders().get("X-Request-Id", "none");
    long prompt = header(req, "X-Stub-Prompt", 20);
    return req.receive().aggregate().asString().flatMap(text -> {
      String model = json.readTree(text).path("model").asString("stub-model");
      usage.put(id, new Record(model, "final", prompt, 0, 0));
      return res.header("content-type", "application/json").sendString(Mono.just(
          "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.1,0.2]}],"
              + "\"model\":\"" + model + "\",\"usage\":{\"prompt_tokens\":" + prompt + ",\"total_tokens\":" + prompt + "}}"))
          .then();
    });
  }

  /** A vision answer (the images are not looked at); {@code X-Stub-Status} applies. */
  private Mono<Void> vision(HttpServerRequest req, HttpServerResponse res) {
    requests.incrementAndGet();
    int status = header(req, "X-Stub-Status", forcedStatus);
    return req.receive().aggregate().asString().defaultIfEmpty("").flatMap(ignored -> status != 200
        ? res.status(status).header("content-type", "application/json")
            .sendString(Mono.just("{\"error\":{\"message\":\"stub says " + status + "\"}}")).then()
        : res.header("content-type", "application/json")
            .sendString(Mono.just("{\"similarity\":0.9,\"same_person\":true,\"faces\":[]}")).then());
  }

  /** Fine-tuning jobs: created queued; {@link #finishJob} ends one with its trained tokens. */
  private final Map<String, String> jobs = new ConcurrentHashMap<>();
  private final AtomicLong jobIds = new AtomicLong();

  public void finishJob(String id, String status, @Nullable Long trainedTokens) {
    String model = json.readTree(jobs.get(id)).path("model").asString();
    jobs.put(id, jobJson(id, model, status, trainedTokens));
  }

  private static String jobJson(String id, String model, String status, @Nullable Long trainedTokens) {
    return "{\"id\":\"" + id + "\",\"object\":\"fine_tuning.job\",\"model\":\"" + model + "\",\"status\":\""
        + status + "\",\"trained_tokens\":" + trainedTokens + "}";
  }

  private Mono<Void> createJob(HttpServerRequest req, HttpServerResponse res) {
    requests.incrementAndGet();
    return req.receive().aggregate().asString().defaultIfEmpty("{}").flatMap(text -> {
      String id = "ftjob-" + jobIds.incrementAndGet();
      String job = jobJson(id, json.readTree(text).path("model").asString("stub-model"), "queued", null);
      jobs.put(id, job);
      return res.header("content-type", "application/json").sendString(Mono.just(job)).then();
    });
  }

  private Mono<Void> job(HttpServerRequest req, HttpServerResponse res) {
    String job = jobs.get(req.param("id"));
    return job == null
        ? res.status(404).header("content-type", "application/problem+json").sendString(Mono.just("{\"status\":404}")).then()
        : res.header("content-type", "application/json").sendString(Mono.just(job)).then();
  }

  private Mono<Void> internalUsage(HttpServerRequest req, HttpServerResponse res) {
    String id = req.param("id");
    Record r = id == null ? null : usage.get(id);
    if (r == null) {
      return res.status(404).header("content-type", "application/problem+json")
          .sendString(Mono.just("{\"status\":404,\"title\":\"Not Found\"}")).then();
    }
    return res.header("content-type", "application/json").sendString(Mono.just(
        "{\"request_id\":\"" + id + "\",\"model\":\"" + r.model() + "\",\"status\":\"" + r.status()
            + "\",\"finish_reason\":\"stop\",\"usage\":" + usageJson(r.prompt(), r.cached(), r.completion()) + "}"))
        .then();
  }

  private static String chunk(String id, String model, String content, String finish) {
    return "{\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"" + model
        + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":" + finish + "}]}";
  }

  private static String completion(String id, String model, long prompt, long cached, long completion) {
    return "{\"id\":\"" + id + "\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"" + model
        + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hello\"},"
        + "\"finish_reason\":\"stop\"}],\"usage\":" + usageJson(prompt, cached, completion) + "}";
  }

  static String usageJson(long prompt, long cached, long completion) {
    return "{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":" + completion + ",\"total_tokens\":"
        + (prompt + completion) + ",\"prompt_tokens_details\":{\"cached_tokens\":" + cached + "},"
        + "\"prompt_cache_hit_tokens\":" + cached + ",\"prompt_cache_miss_tokens\":" + (prompt - cached) + ","
        + "\"completion_tokens_details\":{\"reasoning_tokens\":0}}";
  }

  private static long header(HttpServerRequest req, String name, long fallback) {
    String value = req.requestHeaders().get(name);
    return value == null ? fallback : Long.parseLong(value);
  }

  private static int header(HttpServerRequest req, String name, int fallback) {
    String value = req.requestHeaders().get(name);
    return value == null ? fallback : Integer.parseInt(value);
  }

  @Override
  public void close() {
    server.disposeNow();
    loops.dispose();
  }
}
