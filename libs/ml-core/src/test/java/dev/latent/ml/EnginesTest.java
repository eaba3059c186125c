package dev.latent.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class EnginesTest {

  @Test
  void cpuAndAutoResolveOfflineAndComputeWithPyTorch() {
    Device device = Engines.device("auto");
    assertThat(Engines.device("cpu")).isEqualTo(Device.cpu());
    try (NDManager manager = NDManager.newBaseManager(device, "PyTorch")) {
      var sum = manager.create(new float[] {1, 2, 3}).sum().getFloat();
      assertThat(sum).isEqualTo(6f);
    }
  }

  @Test
  void unknownSettingIsRejected() {
    assertThatThrownBy(() -> Engines.device("tpu")).hasMessageContaining("cpu, gpu or auto");
  }
}
