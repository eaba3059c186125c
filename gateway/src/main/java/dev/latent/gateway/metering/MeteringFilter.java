package dev.latent.gateway.metering;

import static org.springframework.cloud.gateway.support.ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR;

import dev.latent.gateway.keys.ApiKey;
import dev.latent.gateway.keys.Budget;
import dev.latent.gateway.ledger.BudgetLedger;
import dev.latent.gateway.ledger.Reservation;
import dev.latent.gateway.pricing.PriceBook;
import dev.latent.gateway.pricing.TokenCounts;
import dev.latent.gateway.routing.BackendInstance;
import dev.latent.gateway.routing.BackendPools;
import dev.latent.gateway.routing.JsonRequest;
import dev.latent.support.problem.ProblemException;
import dev.latent.support.requestid.RequestId;
import io.micrometer.core.instrument.MeterRegistry;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Admission and billing of model requests made with a key. Reserves the worst case (every byte of
 * the body a prompt token — a tokenizer never makes more tokens than bytes of text — plus
 * {@code max_tokens × n} output tokens, at the dearest of the model and its fallbacks), then lets
 * the request through with its response watched, and settles when the response is over.
 */
@Component
class MeteringFilter implements GlobalFilter, Ordered {

  private static final Logger log = LoggerFactory.getLogger(MeteringFilter.class);

  private final BudgetLedger ledger;
  private final PriceBook prices;
  private final BackendPools pools;
  private final Settlement settlement;
  private final MeteringProperties properties;
  private final JsonMapper json;
  private final UsageScan usage;
  private final Clock clock;
  private final MeterRegistry meters;

  MeteringFilter(BudgetLedger ledger, PriceBook prices, BackendPools pools, Settlement settlement,
      MeteringProperties properties, JsonMapper json, Clock clock, MeterRegistry meters) {
    this.ledger = ledger;
    this.prices = prices;
    this.pools = pools;
    this.settlement = settlement;
    this.properties = properties;
    this.json = json;
    this.usage = new UsageScan(json.tokenStreamFactory());
    this.clock = clock;
    this.meters = meters;
  }

  @Override
  public int getOrder() {
    return 400; // after limits (300): a request over its RPM never holds budget
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
    ApiKey key = ApiKey.of(exchange);
    JsonRequest request = JsonRequest.of(exchange);
    Route route = exchange.getAttribute(GATEWAY_ROUTE_ATTR);
    if (key == null || request == null || route == null) {
      return chain.filter(exchange);
    }
    // Members read from the scanned body: the tree is built only for the stream rewrite below.
    boolean embeddings = exchange.getRequest().getPath().value().endsWith("/embeddings");
    long maxTokens = embeddings ? 0 : maxTokens(request) * choices(request);
    JsonNode streamOptions = request.member("stream_options");
    boolean clientWantsUsage = streamOptions != null && streamOptions.path("include_usage").asBoolean(false);
    boolean stream = request.stream();
    if (stream && !clientWantsUsage) {
      // The usage chunk is how a stream is billed; the client gets the stream it asked for.
      ObjectNode body = request.body();
      JsonNode options = body.get("stream_options");
      ObjectNode writable = options instanceof ObjectNode o ? o : body.putObject("stream_options");
      writable.put("include_usage", true);
      JsonRequest.rewritten(exchange);
    }
    Instant now = clock.instant();
    List<String> models = pools.candidates(request.model());
    BigDecimal worst = prices.worstCase(models, request.size(), maxTokens, now);
    Budget budget = key.budget();
    Reservation reservation = new Reservation(Objects.requireNonNull(RequestId.of(exchange)), key.id(),
        key.tenant(), request.model(), pools.poolFor(request.model(), route.getUri().getHost()).name(),
        budget == null ? null : budget.period().start(now), worst, now);

    AtomicBoolean reserved = new AtomicBoolean();
    AtomicBoolean settled = new AtomicBoolean();
    ServerWebExchange[] metered = new ServerWebExchange[1];
    MeteredResponse response = new MeteredResponse(exchange.getResponse(), json, usage, stream && !clientWantsUsage,
        outcome -> {
          if (settled.compareAndSet(false, true)) {
            settle(metered[0], request, reservation, outcome);
          }
        });
    metered[0] = exchange.mutate().response(response).build();
    return ledger.reserve(reservation, budget == null ? null : budget.amount())
        .doOnSuccess(ignored -> reserved.set(true)) // before the hop: a cancel during it still releases
        .publishOn(RequestEventLoop.of(exchange))
        .doOnError(ProblemException.class, e -> {
          if (e.status() == HttpStatus.PAYMENT_REQUIRED) {
            meters.counter("latent.gateway.rejections", "reason", "budget").increment();
          }
        })
        .then(Mono.defer(() -> chain.filter(metered[0])))
        .doFinally(signal -> {
          // No body ever started (refused, unreachable, timed out, client gone while waiting).
          if (reserved.get() && !response.started() && settled.compareAndSet(false, true)) {
            settle(metered[0], request, reservation, new MeteredResponse.Outcome(signal, true, null, 0));
          }
        });
  }

  private void settle(ServerWebExchange exchange, JsonRequest request, Reservation reservation,
      MeteredResponse.Outcome outcome) {
    BackendInstance instance = BackendInstance.of(exchange);
    List<URI> ask = instance == null || !outcome.success() ? List.of() : List.of(instance.url());
    TokenCounts estimate = outcome.delivered() == 0 ? null
        : new TokenCounts(0, Math.max(1, request.size() / 4), outcome.delivered(), 0);
    settlement.settle(reservation, JsonRequest.servedModel(exchange, request), outcome.usage(), ask, estimate)
        .subscribe(null, e -> log.error("could not settle request {}; the reconciler will", reservation.requestId(), e));
  }

  private long maxTokens(JsonRequest request) {
    JsonNode completion = request.member("max_completion_tokens");
    JsonNode value = completion != null ? completion : request.member("max_tokens");
    if (value == null || value.isNull()) {
      return properties.defaultMaxTokens();
    }
    if (!value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < 1) {
      throw ProblemException.invalidParameter(completion != null ? "max_completion_tokens" : "max_tokens",
          "max_tokens must be an integer >= 1");
    }
    return value.asLong();
  }

  private static long choices(JsonRequest request) {
    JsonNode n = request.member("n");
    if (n == null || n.isNull()) {
      return 1;
    }
    if (!n.isIntegralNumber() || n.asLong() < 1 || n.asLong() > 128) {
      throw ProblemException.invalidParameter("n", "n must be an integer between 1 and 128");
    }
    return n.asLong();
  }
}
