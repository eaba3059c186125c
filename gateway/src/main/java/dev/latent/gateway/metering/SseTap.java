package dev.latent.gateway.metering;

import dev.latent.gateway.pricing.TokenCounts;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Watches a server-sent-event stream go by, event by event: picks up the usage chunk (and drops it
 * when the client did not ask for it), and counts the content chunks delivered, which is what an
 * estimate falls back on. Bytes are handed on as soon as an event is complete; a partial event
 * waits for the rest of its bytes (events are small, so this adds no visible latency).
 */
final class SseTap {

  private final JsonMapper json;
  private final boolean dropUsageChunk;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private @Nullable TokenCounts usage;
  private long delivered;

  SseTap(JsonMapper json, boolean dropUsageChunk) {
    this.json = json;
    this.dropUsageChunk = dropUsageChunk;
  }

  /** The bytes to pass on for {@code chunk}: whole events only, the usage event maybe removed. */
  byte[] accept(byte[] chunk) {
    pending.writeBytes(chunk);
    byte[] all = pending.toByteArray();
    int end = lastEventEnd(all);
    if (end < 0) {
      return new byte[0];
    }
    pending.reset();
    pending.write(all, end, all.length - end);
    return filter(Arrays.copyOf(all, end));
  }

  /** Whatever is left when the stream ends (a last event without its blank line). */
  byte[] finish() {
    byte[] rest = pending.toByteArray();
    pending.reset();
    return rest.length == 0 ? rest : filter(rest);
  }

  @Nullable TokenCounts usage() {
    return usage;
  }

  long delivered() {
    return delivered;
  }

  private byte[] filter(byte[] events) {
    String text = new String(events, StandardCharsets.UTF_8);
    StringBuilder out = null;
    int start = 0;
    while (start < text.length()) {
      int end = nextBoundary(text, start);
      String event = text.substring(start, end);
      boolean keep = inspect(event);
      if (!keep && out == null) {
        out = new StringBuilder(text.substring(0, start));
      } else if (keep && out != null) {
        out.append(event);
      }
      start = end;
    }
    return out == null ? events : out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Reads one event; false when it must not reach the client. */
  private boolean inspect(String event) {
    StringBuilder data = new StringBuilder();
    for (String line : event.split("\r?\n")) {
      if (line.startsWith("data:")) {
        data.append(line.substring(line.startsWith("data: ") ? 6 : 5));
      }
    }
    String payload = data.toString().trim();
    if (payload.isEmpty() || payload.equals("[DONE]")) {
      return true;
    }
    if (!payload.contains("\"usage\"")) {
      if (!payload.startsWith("{\"error\"")) {
        delivered++;
      }
      return true;
    }
    try {
      JsonNode node = json.readTree(payload);
      TokenCounts found = Usage.parse(node.get("usage"));
      JsonNode choices = node.get("choices");
      boolean usageOnly = choices == null || (choices.isArray() && choices.isEmpty());
      if (found != null) {
        usage = found;
      }
      if (!usageOnly) {
        delivered++;
      }
      return !(usageOnly && found != null && dropUsageChunk);
    } catch (JacksonException e) {
      delivered++;
      return true;
    }
  }

  /** Index just past the last complete event ("\n\n" or "\r\n\r\n"), or -1. */
  private static int lastEventEnd(byte[] bytes) {
    for (int i = bytes.length - 1; i >= 1; i--) {
      if (bytes[i] == '\n' && (bytes[i - 1] == '\n'
          || (i >= 3 && bytes[i - 1] == '\r' && bytes[i - 2] == '\n'))) {
        return i + 1;
      }
    }
    return -1;
  }

  private static int nextBoundary(String text, int from) {
    int lf = text.indexOf("\n\n", from);
    int crlf = text.indexOf("\r\n\r\n", from);
    if (lf < 0 && crlf < 0) {
      return text.length();
    }
    if (crlf >= 0 && (lf < 0 || crlf < lf)) {
      return crlf + 4;
    }
    return lf + 2;
  }
}
