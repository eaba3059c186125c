package dev.latent.gateway.metering;

import dev.latent.gateway.keys.ApiKey;
import dev.latent.gateway.keys.Budget;
import dev.latent.gateway.ledger.BudgetLedger;
import dev.latent.gateway.ledger.Reservation;
import dev.latent.gateway.pricing.PriceBook;
import dev.latent.support.problem.ProblemException;
import dev.latent.support.requestid.RequestId;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Metering of work that is not priced by tokens.
 *
 * <p><b>Vision</b>, per image per task: each image endpoint takes a fixed number of images (one;
 * two for {@code faces/verify}), so the price is known at admission. That amount is reserved
 * against the budget, captured when the answer is a 2xx and released otherwise.
 *
 * <p><b>Fine-tuning</b>, per trained token: creating a job ({@code POST /v1/fine_tuning/jobs})
 * checks that the key is not over budget (a zero hold), and once the training pool answered with
 * the job, leaves an open reservation named {@code ftjob:<job id>}. The reconciler bills it when
 * the job has finished, from the job's {@code trained_tokens} (a job that trained nothing is
 * released). The cost of a job is not known in advance, so it is not held: the bill that ends a
 * job may take a key past its budget; the next job is then refused.
 */
@Component
class UnitMeteringFilter implements GlobalFilter, Ordered {

  static final String JOB_PREFIX = "ftjob:";
  static final String JOB_MODEL_PREFIX = "fine-tuning/";
  static final String VISION_MODEL_PREFIX = "vision/";
  private static final Logger log = LoggerFactory.getLogger(UnitMeteringFilter.class);
  private static final Pattern ADD_FACE = Pattern.compile("/v1/vision/collections/[^/]+/subjects/[^/]+/faces");
  private static final Pattern IDENTIFY = Pattern.compile("/v1/vision/collections/[^/]+/identify");

  /** A vision task and the images one call of it takes. */
  record VisionTask(String name, int images) {}

  private final BudgetLedger ledger;
  private final PriceBook prices;
  private final Settlement settlement;
  private final JsonMapper json;
  private final Clock clock;
  private final MeterRegistry meters;

  UnitMeteringFilter(BudgetLedger ledger, PriceBook prices, Settlement settlement, JsonMapper json, Clock clock,
      MeterRegistry meters) {
    this.ledger = ledger;
    this.prices = prices;
    this.settlement = settlement;
    this.json = json;
    this.clock = clock;
    this.meters = meters;
  }

  @Override
  public int getOrder() {
    return 400; // with MeteringFilter: after limits, before the proxy
  }

  static @Nullable VisionTask visionTask(String path) {
    return switch (path) {
      case "/v1/vision/faces/detect" -> new VisionTask("faces-detect", 1);
      case "/v1/vision/faces/verify" -> new VisionTask("faces-verify", 2);
      case "/v1/vision/ocr" -> new VisionTask("ocr", 1);
      case "/v1/vision/upscale" -> new VisionTask("upscale", 1);
      case "/v1/vision/detect" -> new VisionTask("detect", 1);
      case "/v1/vision/pose" -> new VisionTask("pose", 1);
      default -> ADD_FACE.matcher(path).matches() ? new VisionTask("collections-add-face", 1)
          : IDENTIFY.matcher(path).matches() ? new VisionTask("collections-identify", 1) : null;
    };
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
    ApiKey key = ApiKey.of(exchange);
    if (key == null || exchange.getRequest().getMethod() != HttpMethod.POST) {
      return chain.filter(exchange);
    }
    String path = exchange.getRequest().getPath().value();
    VisionTask task = visionTask(path);
    if (task != null) {
      return vision(exchange, chain, key, task);
    }
    if (path.equals("/v1/fine_tuning/jobs")) {
      return training(exchange, chain, key);
    }
    return chain.filter(exchange);
  }

  private Mono<Void> vision(ServerWebExchange exchange, GatewayFilterChain chain, ApiKey key, VisionTask task) {
    Instant now = clock.instant();
    PriceBook.UnitCharge charge = prices.vision(task.name(), task.images(), now);
    Reservation reservation = reservation(exchange, key, VISION_MODEL_PREFIX + task.name(), "vision",
        charge.cost(), now);
    AtomicBoolean reserved = new AtomicBoolean();
    return reserve(reservation, key)
        .doOnSuccess(ignored -> reserved.set(true)) // before the hop: a cancel during it still releases
        .publishOn(RequestEventLoop.of(exchange))
        .then(Mono.defer(() -> chain.filter(exchange)))
        .doFinally(signal -> {
          if (!reserved.get()) {
            return;
          }
          HttpStatusCode status = exchange.getResponse().getStatusCode();
          Mono<Void> settle = signal == SignalType.ON_COMPLETE && status != null && status.is2xxSuccessful()
              ? settlement.billUnits(reservation, reservation.model(), charge, task.images())
              : ledger.release(reservation).then();
          settle.subscribe(null, e -> log.error("could not settle vision request {}; the reconciler will",
              reservation.requestId(), e));
        });
  }

  private Mono<Void> training(ServerWebExchange exchange, GatewayFilterChain chain, ApiKey key) {
    Instant now = clock.instant();
    Reservation admission = reservation(exchange, key, "fine-tuning", "training", BigDecimal.ZERO, now);
    AtomicBoolean reserved = new AtomicBoolean();
    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    var response = new ServerHttpResponseDecorator(exchange.getResponse()) {
      @Override
      public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
        return super.writeWith(Flux.from(body).doOnNext(buffer -> {
          if (copy.size() < 1024 * 1024) {
            int position = buffer.readPosition();
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            buffer.readPosition(position);
            copy.writeBytes(bytes);
          }
        }));
      }
    };
    ServerWebExchange watched = exchange.mutate().response(response).build();
    return reserve(admission, key)
        .doOnSuccess(ignored -> reserved.set(true)) // before the hop: a cancel during it still releases
        .publishOn(RequestEventLoop.of(exchange))
        .then(Mono.defer(() -> chain.filter(watched)))
        .doFinally(signal -> {
          if (!reserved.get()) {
            return;
          }
          HttpStatusCode status = exchange.getResponse().getStatusCode();
          JsonNode job = status != null && status.is2xxSuccessful() ? parse(copy.toByteArray()) : null;
          String jobId = job == null ? "" : job.path("id").asString("");
          Mono<?> open = Mono.empty();
          if (!jobId.isEmpty()) {
            String model = job.path("model").asString("unknown");
            // The job's own hold, found and billed by the reconciler when the job has finished.
            open = ledger.reserve(new Reservation(JOB_PREFIX + jobId, key.id(), key.tenant(), model, "training",
                admission.periodStart(), BigDecimal.ZERO, now), null);
          }
          open.then(ledger.release(admission)).subscribe(null, e -> log.error(
              "could not record fine-tuning job {} of request {} for billing", jobId, admission.requestId(), e));
        });
  }

  private Mono<Void> reserve(Reservation reservation, ApiKey key) {
    Budget budget = key.budget();
    return ledger.reserve(reservation, budget == null ? null : budget.amount())
        .doOnError(ProblemException.class, e -> {
          if (e.status() == HttpStatus.PAYMENT_REQUIRED) {
            meters.counter("latent.gateway.rejections", "reason", "budget").increment();
          }
        });
  }

  private static Reservation reservation(ServerWebExchange exchange, ApiKey key, String model, String backend,
      BigDecimal amount, Instant now) {
    Budget budget = key.budget();
    return new Reservation(Objects.requireNonNull(RequestId.of(exchange)), key.id(), key.tenant(), model, backend,
        budget == null ? null : budget.period().start(now), amount, now);
  }

  private @Nullable JsonNode parse(byte[] body) {
    try {
      return json.readTree(body);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
