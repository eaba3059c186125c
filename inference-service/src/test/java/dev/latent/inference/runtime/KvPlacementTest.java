package dev.latent.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import reactor.core.publisher.Flux;

/**
 * A KV budget that 16 running sequences nearly fill, request after request: every decode step
 * reads each sequence as one run of the pool (the engine's fast path), never scattered blocks,
 * though finished sequences stay cached and the free blocks lie between the running ones.
 */
@SpringBootTest(properties = {
    "latent.inference.runtime.kv-cache-budget=560KB", // 70 blocks of 16 tokens (tiny, bf16)
    "latent.inference.runtime.max-batch=16", "latent.inference.runtime.queue=64"})
class KvPlacementTest {

  private static final String MODEL = RuntimeBehaviourTest.MODEL;

  @Autowired
  MeterRegistry meters;

  @Autowired
  ModelRegistry registry;

  @Test
  void sixteenClientsInANearlyFullPoolNeverDecodeScatteredBlocks() {
    ServedModel model = registry.require(MODEL);
    assertThat(model.scheduler().capacityTokens()).isEqualTo(70 * 16);
    var random = new SplittableRandom(7);
    // 16 clients, 5 requests each, back to back: 40 prompt + 24 generated tokens reserve 4 blocks,
    // so 16 running sequences hold 64 of the 70
    List<int[]> prompts = random.ints(80, 0, 1).mapToObj(i -> random.ints(40, 0, 256).toArray())
        .toList();
    long events = Flux.range(0, 16)
        .flatMap(client -> Flux.range(0, 5).concatMap(k -> model.scheduler().submit(
            new GenerationRequest("placement-" + client + "-" + k, model, prompts.get(client * 5 + k),
                new SamplingParams(0, 1, 0, 0, null, 0, 0, 24, List.of(), false, 0), false, false))
            .last()), 16)
        .count().block(Duration.ofSeconds(120));
    assertThat(events).isEqualTo(80); // every request finished
    var batch = meters.find("latent.inference.step.batch").tag("model", MODEL).summary();
    // 16 ran together (the first wave fits 16 runs of 4 in 70 blocks): the pool was nearly full
    assertThat(batch.max()).as("largest batch").isGreaterThanOrEqualTo(14);
    var scattered = meters.find("latent.inference.step.scattered").tag("model", MODEL).counter();
    assertThat(scattered).isNotNull();
    assertThat(scattered.count()).as("decode steps with a scattered sequence").isZero();
  }
}
