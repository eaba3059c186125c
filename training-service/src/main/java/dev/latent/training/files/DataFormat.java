package dev.latent.training.files;

import java.util.Locale;

/** The JSONL shapes a training file may have; every line of a file has the same one. */
public enum DataFormat {
  /** {@code {"instruction", "input"?, "output"}}. */
  ALPACA,
  /** {@code {"messages": [{"role", "content"}, …]}} with at least one assistant turn. */
  CHAT,
  /** {@code {"prompt", "chosen", "rejected"}}, each text or messages. */
  DPO,
  /** {@code {"text"}}, for pretraining. */
  TEXT;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
