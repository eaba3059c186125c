package dev.latent.gateway.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's safepoints during a phase, from its {@code -Xlog:safepoint} file: every
 * stop-the-world pause of any collector (and the JVM's other stops), so the time the event loops
 * stood still can be compared across collectors. A request that arrives during one waits for it.
 *
 * @param count safepoints in the phase
 * @param totalMs their time from the VM's request to the threads' release, summed
 * @param maxMs the longest of them
 * @param gcCount those whose operation is a collector's
 */
record SafepointLog(int count, double totalMs, double maxMs, int gcCount) {

  static final String FILE = "safepoint.log";
  private static final Pattern LINE = Pattern.compile("Safepoint \"(\\w+)\".*Total: (\\d+) ns");
  // Parallel/Serial/G1 collections, ZGC's and Shenandoah's pauses
  private static final Pattern GC = Pattern.compile("(?i).*(collect|gc|^Z[A-Z]|^Shenandoah).*");

  /** Lines in the log now: where a phase starts. */
  static int mark(Path home) {
    return lines(home).size();
  }

  static SafepointLog since(Path home, int mark) {
    List<String> lines = lines(home);
    int count = 0;
    int gc = 0;
    double total = 0;
    double max = 0;
    for (String line : lines.subList(Math.min(mark, lines.size()), lines.size())) {
      Matcher m = LINE.matcher(line);
      if (!m.find()) {
        continue;
      }
      double ms = Long.parseLong(m.group(2)) / 1e6;
      count++;
      total += ms;
      max = Math.max(max, ms);
      if (GC.matcher(m.group(1)).matches()) {
        gc++;
      }
    }
    return new SafepointLog(count, total, max, gc);
  }

  private static List<String> lines(Path home) {
    if (home == null) {
      return List.of();
    }
    try {
      return Files.readAllLines(home.resolve(FILE));
    } catch (IOException e) {
      return List.of(); // not written yet
    }
  }
}
