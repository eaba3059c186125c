package dev.latent.inference.runtime;

import java.util.List;

/**
 * Finds stop strings in streamed text. Text that could be the start of a stop string is held back
 * until the next piece decides, so a stop string is never streamed, even in part.
 */
final class StopMatcher {

  /** Text safe to release, and whether a stop string ended the output. */
  record Result(String text, boolean stopped) {}

  private final List<String> stops;
  private String pending = "";

  StopMatcher(List<String> stops) {
    this.stops = stops;
  }

  Result accept(String piece) {
    if (stops.isEmpty()) {
      return new Result(piece, false);
    }
    String text = pending + piece;
    int first = -1;
    for (String s : stops) {
      int at = text.indexOf(s);
      if (at >= 0 && (first < 0 || at < first)) {
        first = at;
      }
    }
    if (first >= 0) {
      pending = "";
      return new Result(text.substring(0, first), true);
    }
    int keep = 0;
    for (String s : stops) {
      for (int n = Math.min(s.length() - 1, text.length()); n > keep; n--) {
        if (text.endsWith(s.substring(0, n))) {
          keep = n;
          break;
        }
      }
    }
    pending = text.substring(text.length() - keep);
    return new Result(text.substring(0, text.length() - keep), false);
  }

  String flush() {
    String rest = pending;
    pending = "";
    return rest;
  }
}
