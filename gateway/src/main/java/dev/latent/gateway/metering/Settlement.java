package dev.latent.gateway.metering;

import dev.latent.gateway.ledger.BudgetLedger;
import dev.latent.gateway.ledger.Reservation;
import dev.latent.gateway.ledger.UsageRecord;
import dev.latent.gateway.limits.RateLimiter;
import dev.latent.gateway.pricing.Charge;
import dev.latent.gateway.pricing.ModelPrice;
import dev.latent.gateway.pricing.PriceBook;
import dev.latent.gateway.pricing.TokenCounts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Turns what is known about a finished request into one ledger entry: the usage the stream or
 * body reported; else the backend's own record; else the gateway's count of what it delivered
 * ({@code estimated}); and nothing at all when nothing was delivered and no backend billed it.
 */
@Component
class Settlement {

  private static final Logger log = LoggerFactory.getLogger(Settlement.class);

  private final BudgetLedger ledger;
  private final PriceBook prices;
  private final BackendUsageClient backends;
  private final RateLimiter limiter;
  private final MeterRegistry meters;
  private final Map<BillKey, BillMeters> billMeters = new ConcurrentHashMap<>();

  Settlement(BudgetLedger ledger, PriceBook prices, BackendUsageClient backends, RateLimiter limiter,
      MeterRegistry meters) {
    this.ledger = ledger;
    this.prices = prices;
    this.backends = backends;
    this.limiter = limiter;
    this.meters = meters;
  }

  /**
   * @param reported usage the backend sent with the answer, if any
   * @param instances where to ask when nothing was reported (the one that served it, if known)
   * @param estimate what to bill when nobody can say; null → release unbilled
   */
  Mono<Void> settle(Reservation r, String model, @Nullable TokenCounts reported, List<URI> instances,
      @Nullable TokenCounts estimate) {
    if (reported != null) {
      return bill(r, model, reported, UsageRecord.FINAL);
    }
    return ask(instances, r.requestId())
        .flatMap(answer -> {
          if (answer.known() && answer.running()) {
            log.info("request {} still running on its backend; the reconciler will bill it", r.requestId());
            return Mono.<Void>empty();
          }
          if (answer.known() && answer.tokens() != null) {
            return bill(r, model, answer.tokens(), UsageRecord.FINAL);
          }
          return fallback(r, model, estimate);
        })
        .onErrorResume(e -> {
          log.warn("usage of {} unavailable from its backend ({}); billing what was delivered", r.requestId(), e.toString());
          return fallback(r, model, estimate);
        });
  }

  /** The first instance that knows the request; UNKNOWN when none does. */
  private Mono<BackendUsageClient.Answer> ask(List<URI> instances, String requestId) {
    Mono<BackendUsageClient.Answer> result = Mono.just(BackendUsageClient.Answer.UNKNOWN);
    Throwable[] lastError = new Throwable[1];
    for (URI instance : instances) {
      result = result.flatMap(previous -> previous.known() ? Mono.just(previous)
          : backends.awaitFinal(instance, requestId).onErrorResume(e -> {
            lastError[0] = e;
            return Mono.just(BackendUsageClient.Answer.UNKNOWN);
          }));
    }
    return result.flatMap(answer -> !answer.known() && lastError[0] != null
        ? Mono.error(lastError[0]) : Mono.just(answer));
  }

  private Mono<Void> fallback(Reservation r, String model, @Nullable TokenCounts estimate) {
    if (estimate == null) {
      return ledger.release(r).then();
    }
    return bill(r, model, estimate, UsageRecord.ESTIMATED);
  }

  Mono<Void> bill(Reservation r, String model, TokenCounts tokens, String status) {
    Charge charge = prices.charge(model, tokens, r.createdAt());
    UsageRecord usage = new UsageRecord(r.requestId(), r.keyId(), r.tenant(), model, tokens, charge, status,
        r.createdAt());
    return ledger.capture(r, usage).flatMap(captured -> {
      if (!captured) {
        return Mono.<Void>empty();
      }
      record(r.tenant(), model, tokens, charge);
      return limiter.charge(r.keyId(), tokens.total()).onErrorResume(e -> {
        log.warn("could not charge {} tokens to the TPM of {}: {}", tokens.total(), r.keyId(), e.toString());
        return Mono.empty();
      });
    });
  }

  /**
   * Bills work priced per unit (vision images, trained tokens) against reservation {@code r}:
   * the ledger row is named {@code model} and keeps the unit, the count and the unit price.
   */
  Mono<Void> billUnits(Reservation r, String model, PriceBook.UnitCharge charge, long units) {
    UsageRecord usage = new UsageRecord(r.requestId(), r.keyId(), r.tenant(), model, TokenCounts.ZERO,
        new Charge(ModelPrice.free(model, charge.currency()), charge.multiplier(), charge.cost()), UsageRecord.FINAL,
        r.createdAt(), charge.unit(), units, charge.unitPrice());
    return ledger.capture(r, usage).flatMap(captured -> {
      if (captured) {
        meters.counter("latent.gateway.units", "tenant", r.tenant(), "model", model, "unit", charge.unit())
            .increment(units);
        meters.counter("latent.gateway.spend", "tenant", r.tenant(), "model", model, "currency", charge.currency())
            .increment(charge.cost().doubleValue());
      }
      return Mono.<Void>empty();
    });
  }

  private void record(String tenant, String model, TokenCounts tokens, Charge charge) {
    // Looked up once per tenant, model and currency: five registry lookups per bill otherwise.
    BillMeters m = billMeters.computeIfAbsent(new BillKey(tenant, model, charge.price().currency()), k -> new BillMeters(
        tokens(k, "hit"), tokens(k, "miss"), tokens(k, "output"), tokens(k, "reasoning"),
        meters.counter("latent.gateway.spend", "tenant", k.tenant(), "model", k.model(), "currency", k.currency())));
    m.hit().increment(tokens.promptCacheHit());
    m.miss().increment(tokens.promptCacheMiss());
    m.output().increment(tokens.completion());
    m.reasoning().increment(tokens.reasoning());
    // The metric is a double for Prometheus; the ledger keeps the exact amount.
    m.spend().increment(charge.cost().doubleValue());
  }

  private Counter tokens(BillKey k, String type) {
    return meters.counter("latent.gateway.tokens", "tenant", k.tenant(), "model", k.model(), "type", type);
  }

  private record BillKey(String tenant, String model, String currency) {}

  private record BillMeters(Counter hit, Counter miss, Counter output, Counter reasoning, Counter spend) {}
}
