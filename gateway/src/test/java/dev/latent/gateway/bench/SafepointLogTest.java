package dev.latent.gateway.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafepointLogTest {

  @TempDir
  Path home;

  @Test
  void countsThePausesAfterTheMarkOnly() throws IOException {
    Path log = home.resolve(SafepointLog.FILE);
    Files.writeString(log, line("ParallelCollectForAllocation", 40_000_000));
    int mark = SafepointLog.mark(home);
    Files.writeString(log, line("ZMarkStartYoung", 300_000) + line("ICBufferFull", 50_000)
        + line("ShenandoahFinalMarkStartEvac", 2_000_000) + line("G1CollectForAllocation", 5_000_000),
        StandardOpenOption.APPEND);

    SafepointLog phase = SafepointLog.since(home, mark);

    assertThat(phase.count()).isEqualTo(4);
    assertThat(phase.gcCount()).isEqualTo(3);
    assertThat(phase.totalMs()).isEqualTo(7.35, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(phase.maxMs()).isEqualTo(5.0);
  }

  @Test
  void noLogIsNoPause() {
    assertThat(SafepointLog.since(home, SafepointLog.mark(home))).isEqualTo(new SafepointLog(0, 0, 0, 0));
  }

  /** A line as JDK 25 writes it with {@code -Xlog:safepoint=info:file=…:uptime}. */
  private static String line(String operation, long totalNanos) {
    return "[5.727s] Safepoint \"" + operation + "\", Time since last: 5486996224 ns, Reaching safepoint: 9547 ns, "
        + "At safepoint: 95070771 ns, Leaving safepoint: 3877 ns, Total: " + totalNanos + " ns, Threads: 0 runnable, 10 total\n";
  }
}
