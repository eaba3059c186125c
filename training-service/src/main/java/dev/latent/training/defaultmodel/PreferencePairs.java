package dev.latent.training.defaultmodel;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Picks the DPO pairs from the SFT model's own completions: chosen = a completion whose answer is
 * verified correct, rejected = a wrong one. Which wrong one is the recipe's {@code dpo_rejected}:
 * <ul>
 *   <li>{@code sampled}: up to two wrong samples (temperature {@code dpo_temperature});
 *   <li>{@code greedy}: the greedy completion, when it is wrong, and a correct sample exists. The
 *       held-out score is greedy, so these pairs push down exactly the answers the score counts as
 *       wrong; a wrong sample is often an unlikely path that greedy decoding never takes.
 * </ul>
 * With {@code strict}, a chosen completion must be the worked solution exactly (reasoning and answer):
 * about a third of the samples whose answer is right reach it by wrong steps ({@code 8+3=12,
 * 9+3+1=16</think>131}), and preferring those teaches the model to answer unlike its own reasoning.
 *
 * <p>With {@code cut}, a rejected response ends after its first character (= token: the tokenizer is
 * byte-level) that differs from the chosen one. The tokens after a first mistake are mostly right
 * given it (the answer copies the wrong step), and plain DPO pushes all of them down, teaching the
 * model not to copy its own reasoning into the answer; cut, only the mistake itself is pushed down.
 *
 * <p>Decoding stray bytes gives U+FFFD, which does not re-encode to the sampled tokens: such a
 * completion is not what the model wrote, so it is never a rejected one.
 */
final class PreferencePairs {

  /** One line of the DPO file. */
  record Pair(String prompt, String chosen, String rejected) {}

  /** Where the rejected responses come from. */
  enum Rejected {
    SAMPLED, GREEDY;

    static Rejected of(String name) {
      try {
        return valueOf(name.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("dpo_rejected must be sampled or greedy, not " + name, e);
      }
    }
  }

  private PreferencePairs() {}

  /**
   * @param samples per task, its sampled completions
   * @param greedy per task, its greedy completion (needed for {@link Rejected#GREEDY})
   * @param workedChosen a task without a correct sample pairs its worked solution (off-policy)
   */
  static List<Pair> select(List<Tasks.Task> tasks, List<List<String>> samples, @Nullable List<String> greedy,
      Rejected rejected, boolean workedChosen, boolean cut, boolean strict) {
    if (rejected == Rejected.GREEDY && greedy == null) {
      throw new IllegalArgumentException("greedy completions are needed for dpo_rejected=greedy");
    }
    List<Pair> pairs = new ArrayList<>();
    for (int t = 0; t < tasks.size(); t++) {
      Tasks.Task task = tasks.get(t);
      List<String> good = new ArrayList<>();
      List<String> bad = new ArrayList<>();
      for (String c : samples.get(t)) {
        if (!Tasks.correct(task, c)) {
          bad.add(c);
        } else if (!strict || c.strip().equals(task.completion())) {
          good.add(c);
        }
      }
      if (rejected == Rejected.GREEDY) {
        bad.clear();
        if (!Tasks.correct(task, greedy.get(t))) {
          bad.add(greedy.get(t));
        }
      }
      bad.removeIf(c -> !printable(c));
      if (bad.isEmpty() || good.isEmpty() && !workedChosen) {
        continue;
      }
      String chosen = good.isEmpty() ? task.completion() : good.getFirst();
      for (String r : bad.subList(0, Math.min(2, bad.size()))) {
        pairs.add(new Pair(task.prompt(), chosen, cut ? cutAfterFirstDifference(chosen, r) : r));
      }
    }
    return pairs;
  }

  /** {@code rejected} up to and including its first character that differs from {@code chosen}. */
  static String cutAfterFirstDifference(String chosen, String rejected) {
    int i = 0;
    while (i < chosen.length() && i < rejected.length() && chosen.charAt(i) == rejected.charAt(i)) {
      i++;
    }
    return rejected.substring(0, Math.min(rejected.length(), i + 1));
  }

  private static boolean printable(String s) {
    return s.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7F || ch == '\n');
  }
}
