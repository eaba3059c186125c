package dev.latent.inference.runtime;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

class RuntimePropertiesTest {

  @Test
  void negativeThreadsAreRefusedNamingTheProperty() {
    assertThatThrownBy(() -> new RuntimeProperties(16, 64, 256, DataSize.ofMegabytes(256), 16,
        Duration.ofSeconds(2), "cpu", "f32", List.of(), true, "15m", -1, PrefillMode.FIRST, "auto", true, 64))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("latent.inference.runtime.threads");
  }

  @Test
  void anUnknownKvCacheDtypeIsRefusedNamingTheProperty() {
    assertThatThrownBy(() -> new RuntimeProperties(16, 64, 256, DataSize.ofMegabytes(256), 16,
        Duration.ofSeconds(2), "cpu", "f32", List.of(), true, "15m", 0, PrefillMode.FIRST, "int8", true, 64))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("latent.inference.runtime.kv-cache-dtype");
  }

  @Test
  void aMixedStepBudgetNotAboveTheBatchIsRefusedNamingBoth() {
    assertThatThrownBy(() -> new RuntimeProperties(16, 64, 256, DataSize.ofMegabytes(256), 16,
        Duration.ofSeconds(2), "cpu", "f32", List.of(), true, "15m", 0, PrefillMode.MIXED, "bf16",
        true, 16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("latent.inference.runtime.step-token-budget")
        .hasMessageContaining("max-batch");
  }
}
