package dev.latent.inference.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The rows of one engine step: every decoding sequence's last sampled token first, then (in the
 * {@link PrefillMode#MIXED} mode) prompt chunks of the sequences still prefilling, in admission
 * order, until the step holds {@code budget} tokens (a prompt longer than what is left is cut
 * and continues next step). A running stream so never waits for more than one step of at most
 * {@code budget} tokens while prompts are computed.
 *
 * @param sequences one per row group, decoding ones first
 * @param tokens the tokens each sequence appends in this step (one for a decoding sequence)
 * @param decodeRows how many of {@code sequences} are decoding
 * @param promptTokens prompt tokens in the step, all chunks together
 */
record StepRows(List<Sequence> sequences, List<int[]> tokens, int decodeRows, int promptTokens) {

  static StepRows plan(List<Sequence> decoding, List<Sequence> prefilling, int budget) {
    List<Sequence> sequences = new ArrayList<>(decoding);
    List<int[]> tokens = new ArrayList<>(sequences.size() + prefilling.size());
    for (Sequence s : decoding) {
      tokens.add(new int[] {s.generated.getLast()});
    }
    int left = budget - decoding.size();
    int prompt = 0;
    for (Sequence s : prefilling) {
      if (left <= 0) {
        break;
      }
      int from = s.computed();
      int to = Math.min(s.promptLength(), from + left);
      sequences.add(s);
      tokens.add(Arrays.copyOfRange(s.request.prompt(), from, to));
      left -= to - from;
      prompt += to - from;
    }
    return new StepRows(List.copyOf(sequences), List.copyOf(tokens), decoding.size(), prompt);
  }

  /** The decode rows alone (the {@code first} and {@code beside} modes). */
  static StepRows decode(List<Sequence> decoding) {
    return plan(decoding, List.of(), decoding.size());
  }

  boolean isEmpty() {
    return sequences.isEmpty();
  }
}
