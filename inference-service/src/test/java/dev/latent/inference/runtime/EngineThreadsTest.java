package dev.latent.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.latent.inference.InferenceProperties;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;

/**
 * PyTorch's thread counts in the runtime: a prompt chunk beside a decode step runs on one thread,
 * a chunk alone on the engine's full count, and a model loaded after another model's prefill
 * thread set one thread still decodes and prefills with the full count (PyTorch hands the last
 * count set to threads that start later).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "latent.inference.runtime.prefill-mode=beside")
class EngineThreadsTest {

  private static final String MODEL = RuntimeBehaviourTest.MODEL;
  private static final String SECOND = "threads-second-tiny";

  @LocalServerPort
  int port;

  @Autowired
  ModelRegistry registry;

  @Autowired
  MeterRegistry meters;

  @Autowired
  InferenceProperties inference;

  @AfterEach
  void cleanUp() throws IOException {
    registry.unload(SECOND);
    Path dir = inference.modelStore().resolve(SECOND);
    if (Files.exists(dir)) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private Flux<String> complete(String model, String prompt, int tokens, boolean stream) {
    return WebClient.builder().baseUrl("http://localhost:" + port).build().post()
        .uri("/v1/completions").accept(stream ? MediaType.TEXT_EVENT_STREAM : MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("model", model, "prompt", prompt, "max_tokens", tokens, "stream", stream,
            "temperature", 0))
        .retrieve().bodyToFlux(String.class);
  }

  private DistributionSummary chunkThreads(String model) {
    return meters.find("latent.inference.prefill.chunk.threads").tag("model", model).summary();
  }

  private double engineThreads(String model) {
    return meters.find("latent.inference.engine.threads").tag("model", model).gauge().value();
  }

  @Test
  void chunksBesideDecodeTakeOneThreadAndAModelLoadedLaterStillGetsTheFullCount() throws IOException {
    int full = EngineThreads.full(0);
    assumeThat(full).as("PyTorch's default on this machine").isGreaterThan(1);

    // a prompt alone: the full count
    complete(MODEL, "A prompt with nothing decoding beside it", 2, false).blockLast(Duration.ofSeconds(60));
    DistributionSummary first = chunkThreads(MODEL);
    long chunksBefore = first.count();
    double threadsBefore = first.totalAmount();
    // a prompt while a long stream decodes: one thread, so PyTorch's last count set is now 1
    String longPrompt = Stream.of("Tell me a long story", "Once upon a time", "Keep going")
        .filter(p -> complete(MODEL, p, 1000, false).blockLast(Duration.ofSeconds(60))
            .contains("\"finish_reason\":\"length\""))
        .findFirst().orElseThrow(() -> new AssertionError("every candidate stops within 1000"));
    Flux<String> decoding = complete(MODEL, longPrompt, 1000, true).cache();
    decoding.take(3).blockLast(Duration.ofSeconds(60));
    complete(MODEL, "A prompt that arrives while another stream decodes", 2, false)
        .blockLast(Duration.ofSeconds(60));
    decoding.blockLast(Duration.ofSeconds(120));
    assertThat(first.count()).isGreaterThan(chunksBefore);
    assertThat(first.totalAmount() - threadsBefore).as("some chunk ran on one thread beside decode")
        .isLessThan((first.count() - chunksBefore) * (double) full);

    // a model loaded now: its decode thread and its lone chunks use the full count, not that 1
    copy(inference.modelStore().resolve(MODEL), inference.modelStore().resolve(SECOND));
    registry.load(SECOND);
    complete(SECOND, "The first prompt of the second model", 4, false).blockLast(Duration.ofSeconds(60));
    complete(SECOND, "And its second prompt", 4, false).blockLast(Duration.ofSeconds(60));
    DistributionSummary second = chunkThreads(SECOND);
    assertThat(second.count()).isPositive();
    assertThat(second.totalAmount()).isEqualTo(second.count() * (double) full);
    assertThat(engineThreads(SECOND)).isEqualTo(full);
    assertThat(engineThreads(MODEL)).isEqualTo(full);
  }

  private static void copy(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
  }
}
