package dev.latent.training.files;

import dev.latent.support.problem.ProblemException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Detects a JSONL file's {@link DataFormat} from its first record and checks every line against
 * it; the first problem becomes a 400 naming the line. Blank lines are skipped. Blocking IO: call
 * it off the event loop.
 */
public final class JsonlValidator {

  /** What a valid file holds. */
  public record Summary(DataFormat format, int lines) {}

  private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final int maxLines;

  public JsonlValidator(int maxLines) {
    this.maxLines = maxLines;
  }

  public Summary validate(Path file) {
    var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    DataFormat format = null;
    int records = 0;
    int lineNo = 0;
    try (BufferedReader in = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(file), decoder))) {
      String line;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        if (++records > maxLines) {
          throw invalid(lineNo, "the file has more than " + maxLines + " records (latent.training.files.max-lines)");
        }
        JsonNode node = parse(line, lineNo);
        DataFormat detected = detect(node);
        if (detected == null) {
          throw invalid(lineNo, "unrecognised record with keys " + node.propertyNames()
              + "; expected instruction/output (alpaca), messages (chat), prompt/chosen/rejected (dpo) or text");
        }
        if (format == null) {
          format = detected;
        } else if (detected != format) {
          throw invalid(lineNo, "record is " + detected.wireName() + " but the file is " + format.wireName()
              + " (detected from its first record)");
        }
        String problem = check(format, node);
        if (problem != null) {
          throw invalid(lineNo, problem);
        }
      }
    } catch (CharacterCodingException e) {
      throw invalid(lineNo + 1, "not valid UTF-8");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (format == null) {
      throw ProblemException.invalidParameter("file", "the file has no JSONL records");
    }
    return new Summary(format, records);
  }

  static JsonNode parse(String line, int lineNo) {
    try {
      JsonNode node = JSON.readTree(line);
      if (node == null || !node.isObject()) {
        throw invalid(lineNo, "each line must be one JSON object");
      }
      return node;
    } catch (JacksonException e) {
      throw invalid(lineNo, "invalid JSON: " + e.getOriginalMessage());
    }
  }

  static @Nullable DataFormat detect(JsonNode node) {
    Collection<String> keys = node.propertyNames();
    if (keys.contains("prompt") && keys.contains("chosen") && keys.contains("rejected")) {
      return DataFormat.DPO;
    }
    if (keys.contains("messages")) {
      return DataFormat.CHAT;
    }
    if (keys.contains("instruction") && keys.contains("output")) {
      return DataFormat.ALPACA;
    }
    if (keys.contains("text")) {
      return DataFormat.TEXT;
    }
    return null;
  }

  private static @Nullable String check(DataFormat format, JsonNode n) {
    return switch (format) {
      case TEXT -> nonEmptyString(n, "text");
      case ALPACA -> {
        String p = nonEmptyString(n, "instruction");
        if (p == null) {
          p = nonEmptyString(n, "output");
        }
        if (p == null && n.has("input") && !n.get("input").isString() && !n.get("input").isNull()) {
          p = "\"input\" must be a string";
        }
        yield p;
      }
      case CHAT -> {
        String p = messages(n.get("messages"), "messages");
        if (p == null && !hasRole(n.get("messages"), "assistant")) {
          p = "\"messages\" has no assistant message to train on";
        }
        yield p;
      }
      case DPO -> {
        for (String key : List.of("prompt", "chosen", "rejected")) {
          JsonNode v = n.get(key);
          String p = v.isArray() ? messages(v, key)
              : v.isString() && !v.asString().isEmpty() ? null : "\"" + key + "\" must be a non-empty string or messages";
          if (p != null) {
            yield p;
          }
        }
        yield null;
      }
    };
  }

  private static @Nullable String nonEmptyString(JsonNode n, String key) {
    JsonNode v = n.get(key);
    return v != null && v.isString() && !v.asString().isEmpty() ? null : "\"" + key + "\" must be a non-empty string";
  }

  private static @Nullable String messages(@Nullable JsonNode v, String key) {
    if (v == null || !v.isArray() || v.isEmpty()) {
      return "\"" + key + "\" must be a non-empty array of messages";
    }
    for (int i = 0; i < v.size(); i++) {
      JsonNode m = v.get(i);
      if (!m.isObject() || !m.has("role") || !m.get("role").isString() || !ROLES.contains(m.get("role").asString())) {
        return "\"" + key + "[" + i + "].role\" must be one of " + ROLES;
      }
      if (!m.has("content") || !m.get("content").isString()) {
        return "\"" + key + "[" + i + "].content\" must be a string";
      }
    }
    return null;
  }

  private static boolean hasRole(JsonNode messages, String role) {
    for (JsonNode m : messages) {
      if (role.equals(m.get("role").asString())) {
        return true;
      }
    }
    return false;
  }

  private static ProblemException invalid(int line, String problem) {
    return ProblemException.invalidParameter("file", "line " + line + ": " + problem).with("line", line);
  }
}
