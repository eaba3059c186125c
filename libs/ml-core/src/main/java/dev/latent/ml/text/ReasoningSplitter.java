package dev.latent.ml.text;

/**
 * Splits a reasoning model's streamed output into its {@code <think>…</think>} span (the
 * {@code reasoning_content} of OpenAI-compatible APIs) and the answer. Tags may arrive split
 * across pieces, so a piece's tail that could start a tag is held back until the next one. Only
 * one span is recognised, and only before the answer begins, so an answer that talks about the
 * tag stays intact. Whitespace right after a tag is dropped. Not thread-safe: one per sequence.
 */
public final class ReasoningSplitter {

  static final String OPEN = "<think>";
  static final String CLOSE = "</think>";

  /** Text of one piece for each channel; either may be empty. */
  public record Delta(String reasoning, String content) {
    public boolean isEmpty() {
      return reasoning.isEmpty() && content.isEmpty();
    }
  }

  private enum State { BEFORE, REASONING, ANSWER }

  private State state;
  private String pending = "";
  private boolean trimLeading;

  /**
   * @param startsInReasoning the prompt already opened the span (templates that end the
   *     generation prompt with {@code <think>\n}, as DeepSeek-R1's does)
   */
  public ReasoningSplitter(boolean startsInReasoning) {
    this.state = startsInReasoning ? State.REASONING : State.BEFORE;
    this.trimLeading = startsInReasoning;
  }

  public boolean inReasoning() {
    return state == State.REASONING;
  }

  public Delta accept(String piece) {
    var reasoning = new StringBuilder();
    var content = new StringBuilder();
    String text = pending + piece;
    pending = "";
    while (!text.isEmpty()) {
      if (trimLeading) {
        text = text.stripLeading();
        if (text.isEmpty()) {
          break;
        }
        trimLeading = false;
      }
      if (state == State.ANSWER) {
        content.append(text);
        break;
      }
      if (state == State.BEFORE && !OPEN.startsWith(text.stripLeading())
          && !text.stripLeading().startsWith(OPEN)) {
        // The answer began without a reasoning span.
        state = State.ANSWER;
        continue;
      }
      String tag = state == State.BEFORE ? OPEN : CLOSE;
      int at = text.indexOf(tag);
      if (at >= 0) {
        if (state == State.REASONING) {
          reasoning.append(text, 0, at);
        }
        state = state == State.BEFORE ? State.REASONING : State.ANSWER;
        trimLeading = true;
        text = text.substring(at + tag.length());
        continue;
      }
      if (state == State.BEFORE) {
        pending = text; // whitespace or the start of "<think>": wait for more
        break;
      }
      int keep = partialTagSuffix(text, tag);
      reasoning.append(text, 0, text.length() - keep);
      pending = text.substring(text.length() - keep);
      break;
    }
    return new Delta(reasoning.toString(), content.toString());
  }

  /** Releases text held back at the end of the output. */
  public Delta finish() {
    String rest = pending;
    pending = "";
    return state == State.REASONING ? new Delta(rest, "") : new Delta("", rest);
  }

  // Length of the longest suffix of text that is a proper prefix of tag.
  private static int partialTagSuffix(String text, String tag) {
    for (int n = Math.min(tag.length() - 1, text.length()); n > 0; n--) {
      if (text.endsWith(tag.substring(0, n))) {
        return n;
      }
    }
    return 0;
  }

  /** Splits a whole (non-streamed) output. */
  public static Delta split(String output) {
    var splitter = new ReasoningSplitter(false);
    Delta a = splitter.accept(output);
    Delta b = splitter.finish();
    return new Delta(a.reasoning() + b.reasoning(), a.content() + b.content());
  }
}
