package dev.latent.gateway.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The JVM options the bench starts a gateway with: the ones it ships with (the launcher's
 * {@code service_java_opts gateway}, which names {@code @gateway/jvm.options}), argument files
 * expanded, then {@code LATENT_BENCH_GATEWAY_OPTS}. A collector chosen there replaces the shipped
 * one (two {@code -XX:+Use…GC} flags would stop the JVM), so a GC A/B needs no edit of the file.
 */
final class JvmOptions {

  private static final Pattern GC_CHOICE = Pattern.compile("-XX:\\+Use\\w+GC");

  private JvmOptions() {}

  static List<String> of(String shipped, String extra) {
    List<String> options = new ArrayList<>();
    for (String option : split(shipped)) {
      if (option.startsWith("@")) {
        options.addAll(readArgumentFile(Path.of(option.substring(1))));
      } else {
        options.add(option);
      }
    }
    List<String> added = split(extra);
    if (added.stream().anyMatch(o -> GC_CHOICE.matcher(o).matches())) {
      options.removeIf(o -> GC_CHOICE.matcher(o).matches());
    }
    options.addAll(added);
    return options;
  }

  /** The options of a java argument file ({@code @file}): whitespace-separated, {@code #} starts a comment. */
  static List<String> readArgumentFile(Path file) {
    try {
      List<String> options = new ArrayList<>();
      for (String line : Files.readAllLines(file)) {
        int hash = line.indexOf('#');
        options.addAll(split(hash < 0 ? line : line.substring(0, hash)));
      }
      return options;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the gateway's JVM options " + file, e);
    }
  }

  private static List<String> split(String text) {
    return text == null || text.isBlank() ? List.of() : List.of(text.trim().split("\\s+"));
  }
}
