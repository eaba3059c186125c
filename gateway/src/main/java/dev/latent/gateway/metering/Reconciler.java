package dev.latent.gateway.metering;

import dev.latent.gateway.ledger.BudgetLedger;
import dev.latent.gateway.ledger.Reservation;
import dev.latent.gateway.pricing.PriceBook;
import dev.latent.gateway.routing.BackendInstance;
import dev.latent.gateway.routing.BackendPool;
import dev.latent.gateway.routing.BackendPools;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Finalizes reservations nobody is going to settle — left by a gateway that crashed, or whose
 * backend was still running when the request ended. On start it looks at every open reservation,
 * then periodically at those older than {@code reconcile-after}. For each it asks the backend
 * pool: a final record is billed; a running one is left for the next round; one no instance knows
 * is released unbilled once it is old enough that no replica can still be sending it.
 */
@Component
class Reconciler {

  private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

  private final BudgetLedger ledger;
  private final BackendPools pools;
  private final BackendUsageClient backends;
  private final Settlement settlement;
  private final MeteringProperties properties;
  private final Clock clock;
  private final PriceBook prices;
  private volatile Disposable periodic = () -> {};

  Reconciler(BudgetLedger ledger, BackendPools pools, BackendUsageClient backends, Settlement settlement,
      MeteringProperties properties, Clock clock, PriceBook prices) {
    this.prices = prices;
    this.ledger = ledger;
    this.pools = pools;
    this.backends = backends;
    this.settlement = settlement;
    this.properties = properties;
    this.clock = clock;
  }

  @EventListener(ApplicationReadyEvent.class)
  void start() {
    Instant started = clock.instant();
    periodic = reconcile(started)
        .thenMany(Flux.interval(properties.reconcileInterval())
            .onBackpressureDrop()
            .concatMap(tick -> reconcile(clock.instant().minus(properties.reconcileAfter()))))
        .subscribe(null, e -> log.error("reconciler stopped", e));
  }

  @jakarta.annotation.PreDestroy
  void stop() {
    periodic.dispose();
  }

  /** Settles what can be settled among the reservations admitted before {@code before}. */
  Mono<Long> reconcile(Instant before) {
    // Open fine-tuning jobs are asked about on every round: they are billed once they finished.
    return ledger.openBefore(before, UnitMeteringFilter.JOB_PREFIX)
        .concatMap(r -> reconcileOne(r).thenReturn(1L).onErrorResume(e -> {
          log.warn("could not reconcile {}: {}", r.requestId(), e.toString());
          return Mono.just(0L);
        }))
        .reduce(0L, Long::sum)
        .doOnNext(n -> {
          if (n > 0) {
            log.info("reconciled {} open reservations", n);
          }
        })
        .onErrorResume(e -> {
          log.warn("reconciliation failed: {}", e.toString());
          return Mono.just(0L);
        });
  }

  private Mono<Void> reconcileOne(Reservation r) {
    BackendPool pool = pools.pool(r.backend());
    List<URI> instances = pool == null ? List.of() : pool.instances().stream().map(BackendInstance::url).toList();
    if (r.requestId().startsWith(UnitMeteringFilter.JOB_PREFIX)) {
      return reconcileJob(r, instances);
    }
    return Flux.fromIterable(instances)
        .concatMap(url -> backends.ask(url, r.requestId()).onErrorResume(e -> {
          log.debug("{} did not answer for {}: {}", url, r.requestId(), e.toString());
          return Mono.just(UNREACHABLE);
        }))
        .filter(answer -> answer.known() || answer == UNREACHABLE)
        .collectList()
        .flatMap(answers -> {
          log.debug("reconciling {}: backends say {}", r.requestId(), answers);
          var known = answers.stream().filter(BackendUsageClient.Answer::known).findFirst();
          if (known.isPresent()) {
            var answer = known.get();
            if (answer.running() || answer.tokens() == null) {
              return Mono.<Void>empty();
            }
            return settlement.bill(r, r.model(), answer.tokens(), dev.latent.gateway.ledger.UsageRecord.FINAL);
          }
          boolean someUnreachable = !answers.isEmpty();
          boolean old = r.createdAt().isBefore(clock.instant().minus(properties.reconcileAfter()));
          if (!someUnreachable && old) {
            log.info("no backend knows request {}; releasing its reservation", r.requestId());
            return ledger.release(r).then();
          }
          return Mono.<Void>empty();
        });
  }

  /** A fine-tuning job's hold: billed per trained token once the job finished. */
  private Mono<Void> reconcileJob(Reservation r, List<URI> instances) {
    String jobId = r.requestId().substring(UnitMeteringFilter.JOB_PREFIX.length());
    return Flux.fromIterable(instances)
        .concatMap(url -> backends.job(url, jobId).map(java.util.Optional::of).onErrorResume(e -> {
          log.debug("{} did not answer for job {}: {}", url, jobId, e.toString());
          return Mono.just(java.util.Optional.empty());
        }))
        .collectList()
        .flatMap(answers -> {
          var known = answers.stream().flatMap(java.util.Optional::stream).filter(BackendUsageClient.JobAnswer::known)
              .findFirst();
          if (known.isPresent()) {
            var job = known.get();
            if (!job.finished()) {
              return Mono.<Void>empty();
            }
            if (job.trainedTokens() == 0) {
              return ledger.release(r).then();
            }
            return settlement.billUnits(r, UnitMeteringFilter.JOB_MODEL_PREFIX + r.model(),
                prices.training(r.model(), job.trainedTokens(), r.createdAt()), job.trainedTokens());
          }
          boolean someUnreachable = answers.stream().anyMatch(java.util.Optional::isEmpty);
          if (!someUnreachable && r.createdAt().isBefore(clock.instant().minus(properties.reconcileAfter()))) {
            log.info("no training instance knows job {}; releasing its reservation", jobId);
            return ledger.release(r).then();
          }
          return Mono.<Void>empty();
        });
  }

  private static final BackendUsageClient.Answer UNREACHABLE = new BackendUsageClient.Answer(false, false, null);
}
