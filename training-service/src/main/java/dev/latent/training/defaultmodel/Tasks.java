package dev.latent.training.defaultmodel;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Seeded generators of the default model's verifiable tasks. Every task has a user prompt, a short
 * worked reasoning (what goes between {@code <think>} and {@code </think>}) and one exact answer,
 * so a completion is checked by comparing the text after {@code </think>} with the answer.
 */
public final class Tasks {

  /** The task families, in the order they are cycled through. */
  public enum Kind { ADD, COMPARE, COUNT, SORT, REVERSE }

  /** One task: prompt, reasoning and the exact answer. */
  public record Task(Kind kind, String prompt, String think, String answer) {

    /** The assistant turn of a worked solution: {@code <think>…</think>answer}. */
    public String completion() {
      return "<think>" + think + "</think>" + answer;
    }

    /** The same task as plain text (prompt, worked steps, answer), for the pretraining corpus. */
    public String fact() {
      return prompt + " " + think + ". Answer: " + answer + ".";
    }
  }

  private Tasks() {}

  /** {@code n} tasks cycling through the kinds, drawn from {@code seed}. */
  public static List<Task> generate(long seed, int n) {
    SplittableRandom random = new SplittableRandom(seed);
    Kind[] kinds = Kind.values();
    List<Task> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(generate(kinds[i % kinds.length], random));
    }
    return out;
  }

  /** One task of a kind. */
  public static Task generate(Kind kind, SplittableRandom r) {
    return switch (kind) {
      case ADD -> add(r.nextInt(100), r.nextInt(100));
      case COMPARE -> {
        int a = r.nextInt(100);
        int b = r.nextInt(99);
        yield compare(a, b >= a ? b + 1 : b);
      }
      case COUNT -> {
        char target = (char) ('a' + r.nextInt(3));
        StringBuilder word = new StringBuilder();
        int len = 3 + r.nextInt(6);
        for (int i = 0; i < len; i++) {
          word.append((char) ('a' + r.nextInt(3)));
        }
        yield count(target, word.toString());
      }
      case SORT -> {
        int len = 3 + r.nextInt(3);
        List<Integer> xs = new ArrayList<>();
        for (int i = 0; i < len; i++) {
          xs.add(r.nextInt(10));
        }
        yield sort(xs);
      }
      case REVERSE -> {
        StringBuilder word = new StringBuilder();
        int len = 3 + r.nextInt(4);
        for (int i = 0; i < len; i++) {
          word.append((char) ('a' + r.nextInt(26)));
        }
        yield reverse(word.toString());
      }
    };
  }

  /** Column addition: units, then tens with the carry. */
  public static Task add(int a, int b) {
    int units = a % 10 + b % 10;
    int carry = units / 10;
    String tens = (a / 10) + "+" + (b / 10) + (carry == 1 ? "+1" : "") + "=" + (a / 10 + b / 10 + carry);
    String think = (a % 10) + "+" + (b % 10) + "=" + units + ", " + tens;
    return new Task(Kind.ADD, "What is " + a + "+" + b + "?", think, Integer.toString(a + b));
  }

  public static Task compare(int a, int b) {
    String think = a > b ? a + ">" + b : a + "<" + b;
    return new Task(Kind.COMPARE, "Which is larger: " + a + " or " + b + "?", think,
        Integer.toString(Math.max(a, b)));
  }

  /** Counts one letter in a word with a running tally: {@code a1 b a2}. */
  public static Task count(char target, String word) {
    StringBuilder think = new StringBuilder();
    int n = 0;
    for (int i = 0; i < word.length(); i++) {
      char c = word.charAt(i);
      if (i > 0) {
        think.append(' ');
      }
      think.append(c);
      if (c == target) {
        think.append(++n);
      }
    }
    return new Task(Kind.COUNT, "How many " + target + " in " + word + "?", think.toString(), Integer.toString(n));
  }

  public static Task sort(List<Integer> xs) {
    String in = xs.stream().map(String::valueOf).collect(Collectors.joining(" "));
    String sorted = xs.stream().sorted().map(String::valueOf).collect(Collectors.joining(" "));
    return new Task(Kind.SORT, "Sort: " + in, "smallest first: " + sorted.replace(" ", ", "), sorted);
  }

  public static Task reverse(String word) {
    String reversed = new StringBuilder(word).reverse().toString();
    String think = reversed.chars().mapToObj(c -> String.valueOf((char) c)).collect(Collectors.joining(" "));
    return new Task(Kind.REVERSE, "Reverse: " + word, think, reversed);
  }

  /** The answer part of a completion: the text after the last {@code </think>}, trimmed. */
  public static String answerOf(String completion) {
    int end = completion.lastIndexOf("</think>");
    String answer = end < 0 ? completion : completion.substring(end + "</think>".length());
    return answer.strip();
  }

  /** Exact match of a completion's answer with the task's. */
  public static boolean correct(Task task, String completion) {
    return answerOf(completion).equals(task.answer());
  }

  /** Lower-case kind name, for tables. */
  public static String name(Kind kind) {
    return kind.name().toLowerCase(Locale.ROOT);
  }
}
