package dev.latent.gateway.pricing;

import dev.latent.gateway.ledger.LedgerDatabase;
import io.r2dbc.spi.Readable;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The prices in force: configured ones, overridden by those set through the admin API (kept in
 * the ledger, re-read periodically so every replica converges). Money is {@link BigDecimal}.
 */
@Component
public class PriceBook {

  /** Ledger precision: 10 decimals of the currency unit. */
  public static final int SCALE = 10;
  private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);
  private static final Logger log = LoggerFactory.getLogger(PriceBook.class);

  private final PricingProperties properties;
  private final LedgerDatabase db;
  private final Clock clock;
  private final Map<String, ModelPrice> prices = new ConcurrentHashMap<>();
  private volatile Disposable refresher = () -> {};

  PriceBook(PricingProperties properties, LedgerDatabase db, Clock clock) {
    this.properties = properties;
    this.db = db;
    this.clock = clock;
    properties.models().forEach(p -> prices.put(p.model(), p));
  }

  @EventListener(ApplicationReadyEvent.class)
  void start() {
    refresher = Flux.interval(java.time.Duration.ZERO, properties.refresh())
        .onBackpressureDrop()
        .concatMap(tick -> load().onErrorResume(e -> {
          log.warn("could not read prices from the ledger: {}", e.toString());
          return Mono.empty();
        }))
        .subscribe();
  }

  @jakarta.annotation.PreDestroy
  void stop() {
    refresher.dispose();
  }

  Mono<Void> load() {
    return db.flux(db.client().sql("select model, input_cache_hit, input_cache_miss, output, currency from prices")
            .map(PriceBook::read).all())
        .doOnNext(p -> prices.put(p.model(), p))
        .then();
  }

  /**
   * The model's price; a LoRA adapter served as {@code base:adapter} bills at its base's price
   * unless it has a price of its own; a model without a price costs nothing.
   */
  public ModelPrice price(String model) {
    ModelPrice price = prices.get(model);
    int adapter = model.indexOf(':');
    if (price == null && adapter > 0) {
      price = prices.get(model.substring(0, adapter));
    }
    return price != null ? price : ModelPrice.free(model, Objects.requireNonNull(properties.currency()));
  }

  Collection<ModelPrice> all() {
    return List.copyOf(prices.values());
  }

  Mono<ModelPrice> put(ModelPrice price) {
    return db.inTransaction(client -> client.sql("delete from prices where model = :model")
            .bind("model", price.model()).fetch().rowsUpdated()
            .then(client.sql("insert into prices (model, input_cache_hit, input_cache_miss, output, currency, "
                    + "updated_at) values (:model, :hit, :miss, :output, :currency, :at)")
                .bind("model", price.model()).bind("hit", price.inputCacheHit())
                .bind("miss", price.inputCacheMiss()).bind("output", price.output())
                .bind("currency", price.currency())
                .bind("at", clock.instant().atOffset(ZoneOffset.UTC)).fetch().rowsUpdated()))
        .doOnSuccess(n -> prices.put(price.model(), price))
        .thenReturn(price);
  }

  /** The off-peak multiplier in force at {@code at} (1 outside every window). */
  public BigDecimal multiplier(Instant at) {
    LocalTime time = LocalTime.ofInstant(at, ZoneOffset.UTC);
    for (PricingProperties.OffPeak window : properties.offPeak()) {
      if (window.contains(time)) {
        return window.multiplier();
      }
    }
    return BigDecimal.ONE;
  }

  /** The cost of {@code tokens} of {@code model} for a request admitted at {@code at}. */
  public Charge charge(String model, TokenCounts tokens, Instant at) {
    ModelPrice price = price(model);
    BigDecimal multiplier = multiplier(at);
    BigDecimal perMillion = price.inputCacheHit().multiply(BigDecimal.valueOf(tokens.promptCacheHit()))
        .add(price.inputCacheMiss().multiply(BigDecimal.valueOf(tokens.promptCacheMiss())))
        .add(price.output().multiply(BigDecimal.valueOf(tokens.completion())));
    BigDecimal cost = perMillion.multiply(multiplier).divide(MILLION, SCALE, RoundingMode.HALF_UP);
    return new Charge(price, multiplier, cost);
  }

  /** Unit-priced work: {@code unit} is {@code image} (price per image) or {@code trained_token} (per 1M). */
  public record UnitCharge(String unit, BigDecimal unitPrice, BigDecimal multiplier, BigDecimal cost, String currency) {}

  /** The cost of {@code images} images of vision task {@code task} admitted at {@code at}. */
  public UnitCharge vision(String task, long images, Instant at) {
    BigDecimal price = unitPrice(properties.vision(), task);
    BigDecimal multiplier = multiplier(at);
    BigDecimal cost = price.multiply(BigDecimal.valueOf(images)).multiply(multiplier).setScale(SCALE, RoundingMode.HALF_UP);
    return new UnitCharge("image", price, multiplier, cost, Objects.requireNonNull(properties.currency()));
  }

  /** The cost of {@code tokens} trained tokens of a job on base model {@code model} created at {@code at}. */
  public UnitCharge training(String model, long tokens, Instant at) {
    BigDecimal price = unitPrice(properties.training(), model);
    BigDecimal multiplier = multiplier(at);
    BigDecimal cost = price.multiply(BigDecimal.valueOf(tokens)).multiply(multiplier)
        .divide(MILLION, SCALE, RoundingMode.HALF_UP);
    return new UnitCharge("trained_token", price, multiplier, cost, Objects.requireNonNull(properties.currency()));
  }

  private static BigDecimal unitPrice(Map<String, BigDecimal> prices, String name) {
    BigDecimal price = prices.get(name);
    return price != null ? price : prices.getOrDefault("default", BigDecimal.ZERO);
  }

  /**
   * The most a request can cost: every prompt token at the dearer input price, every allowed
   * output token, over the model and each of its fallbacks.
   */
  public BigDecimal worstCase(List<String> models, long promptTokens, long maxOutputTokens, Instant at) {
    BigDecimal worst = BigDecimal.ZERO;
    for (String model : models) {
      ModelPrice price = price(model);
      TokenCounts tokens = new TokenCounts(0, promptTokens, maxOutputTokens, 0);
      BigDecimal cost = charge(model, tokens, at).cost();
      if (price.inputCacheHit().compareTo(price.inputCacheMiss()) > 0) {
        cost = charge(model, new TokenCounts(promptTokens, 0, maxOutputTokens, 0), at).cost();
      }
      worst = worst.max(cost);
    }
    return worst;
  }

  private static ModelPrice read(Readable row) {
    return new ModelPrice(Objects.requireNonNull(row.get("model", String.class)),
        Objects.requireNonNull(row.get("input_cache_hit", BigDecimal.class)),
        Objects.requireNonNull(row.get("input_cache_miss", BigDecimal.class)),
        Objects.requireNonNull(row.get("output", BigDecimal.class)),
        Objects.requireNonNull(row.get("currency", String.class)));
  }
}
