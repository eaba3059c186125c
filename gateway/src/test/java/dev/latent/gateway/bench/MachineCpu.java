package dev.latent.gateway.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** How busy all CPUs of the machine were between two readings of {@code /proc/stat} (Linux). */
final class MachineCpu {

  private MachineCpu() {}

  /** {busy, total} jiffies since boot, or null where /proc/stat cannot be read. */
  static long[] read() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < f.length; i++) {
        total += Long.parseLong(f[i]);
      }
      long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0); // idle + iowait
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** CPUs of the machine (the {@code cpuN} lines of /proc/stat), whatever this process is pinned to. */
  static int count() {
    try {
      return (int) Files.readAllLines(Path.of("/proc/stat")).stream().filter(l -> l.matches("cpu\\d+ .*")).count();
    } catch (IOException | RuntimeException e) {
      return Runtime.getRuntime().availableProcessors();
    }
  }

  /** Share of CPU time busy between {@code from} and {@code to}; NaN when unknown. */
  static double busy(long[] from, long[] to) {
    if (from == null || to == null || to[1] <= from[1]) {
      return Double.NaN;
    }
    return (double) (to[0] - from[0]) / (to[1] - from[1]);
  }
}
