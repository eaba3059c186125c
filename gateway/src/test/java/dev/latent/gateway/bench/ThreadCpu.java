package dev.latent.gateway.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of one process split by what its threads do, from {@code /proc/<pid>/task/<tid>/stat}
 * (Linux; clock ticks of 10 ms). The gateway's CPU per request alone mixes its request work with
 * the JIT compiling it (still busy tens of seconds after start, more so on a starved machine) and
 * the garbage collector; this says which. A thread that ends between two readings loses its time
 * (the JVM's pools keep theirs alive).
 */
record ThreadCpu(Map<String, Long> ticksByGroup) {

  /** The groups, in the order they are printed. */
  static final String[] GROUPS = {"event_loop", "ledger", "jit", "gc", "other"};

  private static final double TICK_MS = 10; // USER_HZ is 100 on every Linux this runs on

  static ThreadCpu read(ProcessHandle process) {
    Map<String, Long> ticks = new LinkedHashMap<>();
    for (String group : GROUPS) {
      ticks.put(group, 0L);
    }
    if (process == null) {
      return new ThreadCpu(ticks);
    }
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(process.pid()), "task"))) {
      for (Path task : tasks) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          // pid (comm) state ppid ... : comm may hold spaces and parentheses, so split after the last ')'
          int open = stat.indexOf('(');
          int close = stat.lastIndexOf(')');
          String[] fields = stat.substring(close + 2).trim().split("\\s+");
          long cpu = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
          ticks.merge(group(stat.substring(open + 1, close)), cpu, Long::sum);
        } catch (IOException | RuntimeException e) {
          // the thread ended while being read
        }
      }
    } catch (IOException e) {
      // not Linux, or the process is gone: all zero
    }
    return new ThreadCpu(ticks);
  }

  /** A thread's group from its name as the kernel keeps it (the first 15 characters). */
  static String group(String comm) {
    if (comm.startsWith("reactor-http-")) {
      return "event_loop";
    }
    // H2: the ledger's own thread and H2's; PostgreSQL: r2dbc-postgresql's connections run on
    // Reactor Netty's TCP loops (the gateway's HTTP client uses the reactor-http ones)
    if (comm.startsWith("ledger-") || comm.startsWith("H2 ") || comm.startsWith("H2-") || comm.startsWith("MVStore")
        || comm.startsWith("reactor-tcp-")) {
      return "ledger";
    }
    if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
      return "jit";
    }
    // Parallel/G1 workers, the VM thread (Serial collects there), G1's concurrent threads, every
    // ZGC thread (ZDirector, ZDriver*, ZWorker*, …) and Shenandoah's
    if (comm.startsWith("GC Thread") || comm.startsWith("VM Thread") || comm.startsWith("G1 ")
        || comm.startsWith("ParGC") || comm.matches("Z[A-Z].*") || comm.startsWith("Shenandoah")) {
      return "gc";
    }
    return "other";
  }

  /** Milliseconds per request of each group between {@code before} and this reading. */
  Map<String, Double> msPerRequestSince(ThreadCpu before, long requests) {
    Map<String, Double> ms = new LinkedHashMap<>();
    for (String group : GROUPS) {
      long ticks = ticksByGroup.get(group) - before.ticksByGroup.get(group);
      ms.put(group, ticks * TICK_MS / Math.max(1, requests));
    }
    return ms;
  }

  long totalTicks() {
    return ticksByGroup.values().stream().mapToLong(Long::longValue).sum();
  }
}
