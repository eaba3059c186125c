package dev.latent.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every {@code config} value of the chart names a property the service really binds: the chart
 * maps values one-to-one onto {@code @ConfigurationProperties} records, and a typo or a renamed
 * property would otherwise be ignored silently by Spring at runtime.
 */
class PropertyMappingTest {

  private static final Path REPO = Path.of(System.getProperty("latent.repo.dir", "..")).toAbsolutePath().normalize();
  private static final Map<String, String> MODULES = Map.of(
      "gateway", "gateway", "inference", "inference-service", "vision", "vision-service", "training", "training-service");
  private static final Pattern PREFIX = Pattern.compile("@ConfigurationProperties\\(\"([a-z0-9.\\-]+)\"\\)\\s*(?:public\\s+)?record\\s+(\\w+)\\s*\\(");
  private static final Pattern RECORD = Pattern.compile("record\\s+(\\w+)\\s*\\(");
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  /** A properties record: its prefix and its components' kebab-case names. */
  private record Bound(String prefix, Set<String> components) {}

  @Test
  @SuppressWarnings("unchecked")
  void everyConfigValueIsABoundProperty() throws IOException {
    Map<String, Object> values = YAML.unmarshal(Files.readString(Tools.CHART.resolve("values.yaml")), Map.class);
    List<String> unknown = new ArrayList<>();
    for (Map.Entry<String, String> module : MODULES.entrySet()) {
      Map<String, Object> component = (Map<String, Object>) values.get(module.getKey());
      List<String> leaves = new ArrayList<>();
      leaves("latent." + module.getKey(), component.get("config"), leaves);
      Scan scan = scan(REPO.resolve(module.getValue()).resolve("src/main/java"));
      for (String property : leaves) {
        if (!scan.binds(property)) {
          unknown.add(property);
        }
      }
    }
    Scan support = scan(REPO.resolve("libs/service-support/src/main/java"));
    List<String> http = new ArrayList<>();
    leaves("latent.http", values.get("http"), http);
    http.stream().filter(p -> !support.binds(p)).forEach(unknown::add);
    assertThat(unknown).as("chart values that no @ConfigurationProperties record binds").isEmpty();
  }

  @Test
  void theScanFindsTheRecordsItChecksAgainst() {
    Scan gateway = scan(REPO.resolve("gateway/src/main/java"));
    assertThat(gateway.binds("latent.gateway.routing.backends.inference.first-byte-timeout")).isTrue();
    assertThat(gateway.binds("latent.gateway.routing.backends.inference.first-bite-timeout")).isFalse();
    assertThat(gateway.binds("latent.gateway.nonsense")).isFalse();
    assertThat(scan(REPO.resolve("libs/service-support/src/main/java")).binds("latent.http.max-request-body")).isTrue();
  }

  @Test
  void theSecretEnvironmentVariablesAreTheOnesTheServicesRead() throws IOException {
    // The admin key reaches latent.gateway.keys.admin-key only through this placeholder.
    assertThat(Files.readString(REPO.resolve("gateway/src/main/resources/application.yaml"))).contains("${LATENT_ADMIN_KEY");
    assertThat(Files.readString(REPO.resolve("libs/service-support/src/main/resources/latent-service-defaults.properties")))
        .contains("latent.home=${LATENT_HOME");
  }

  @SuppressWarnings("unchecked")
  private static void leaves(String path, Object node, List<String> out) {
    if (node instanceof Map<?, ?> map && !map.isEmpty()) {
      ((Map<String, Object>) map).forEach((k, v) -> leaves(path + "." + k, v, out));
    } else if (!(node instanceof Map<?, ?>)) {
      out.add(path);
    }
  }

  /** The records of one module's sources. */
  private record Scan(List<Bound> bound, Map<String, Set<String>> componentsByFile, Map<String, String> fileByPrefix) {

    /**
     * A property is bound when a record's prefix starts it, the next segment is one of that
     * record's components, and the last segment is a component of a record in the same file
     * (segments between are map keys such as a backend pool's name).
     */
    boolean binds(String property) {
      for (Bound b : bound) {
        if (!property.startsWith(b.prefix() + ".")) {
          continue;
        }
        String[] rest = property.substring(b.prefix().length() + 1).split("\\.");
        Set<String> sameFile = componentsByFile.get(fileByPrefix.get(b.prefix()));
        if (b.components().contains(rest[0]) && (rest.length == 1 || sameFile.contains(rest[rest.length - 1]))) {
          return true;
        }
      }
      return false;
    }
  }

  private static Scan scan(Path sources) {
    List<Bound> bound = new ArrayList<>();
    Map<String, Set<String>> componentsByFile = new HashMap<>();
    Map<String, String> fileByPrefix = new HashMap<>();
    try (Stream<Path> files = Files.walk(sources)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String source = Files.readString(file);
        Set<String> all = new HashSet<>();
        Matcher record = RECORD.matcher(source);
        while (record.find()) {
          all.addAll(components(source, record.end()));
        }
        componentsByFile.put(file.toString(), all);
        Matcher prefix = PREFIX.matcher(source);
        while (prefix.find()) {
          bound.add(new Bound(prefix.group(1), components(source, prefix.end())));
          fileByPrefix.put(prefix.group(1), file.toString());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Scan(bound, componentsByFile, fileByPrefix);
  }

  /** Kebab-case names of the record components whose list starts at {@code start}. */
  private static Set<String> components(String source, int start) {
    Set<String> names = new HashSet<>();
    int depth = 0;
    StringBuilder part = new StringBuilder();
    for (int i = start; i < source.length(); i++) {
      char c = source.charAt(i);
      if (c == '(' || c == '<') {
        depth++;
      } else if ((c == ')' || c == '>') && depth > 0) {
        depth--;
      } else if ((c == ')' && depth == 0) || (c == ',' && depth == 0)) {
        Matcher name = Pattern.compile("(\\w+)\\s*$").matcher(part.toString().strip());
        if (name.find()) {
          names.add(name.group(1).replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT));
        }
        part.setLength(0);
        if (c == ')') {
          break;
        }
        continue;
      }
      part.append(c);
    }
    return names;
  }
}
