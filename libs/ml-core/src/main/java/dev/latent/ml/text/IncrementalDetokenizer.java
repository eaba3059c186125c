package dev.latent.ml.text;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a stream of token ids into a stream of text pieces without ever splitting a character.
 *
 * <p>Byte-level BPE tokens may hold part of a UTF-8 sequence (an emoji is often 2–4 tokens), and
 * decoding a lone token gives U+FFFD. So each new token is decoded together with a short window of
 * the tokens before it, and text is released only once it no longer ends in a replacement
 * character. The window also keeps the leading-space rules of SentencePiece decoders right. Not
 * thread-safe: one per sequence.
 */
public final class IncrementalDetokenizer {

  private static final char REPLACEMENT = '\uFFFD';

  private final Tokenizer tokenizer;
  private final boolean skipSpecial;
  private final List<Integer> ids = new ArrayList<>();
  // ids[prefixOffset, readOffset) were already released; they give context to the next decode.
  private int prefixOffset;
  private int readOffset;

  public IncrementalDetokenizer(Tokenizer tokenizer, boolean skipSpecial) {
    this.tokenizer = tokenizer;
    this.skipSpecial = skipSpecial;
  }

  /** Adds one generated token; returns the text it completes, possibly empty. */
  public String add(int tokenId) {
    ids.add(tokenId);
    String prefix = tokenizer.decode(ids.subList(prefixOffset, readOffset), skipSpecial);
    String full = tokenizer.decode(ids.subList(prefixOffset, ids.size()), skipSpecial);
    if (full.length() > prefix.length() && full.charAt(full.length() - 1) != REPLACEMENT
        && full.startsWith(prefix)) {
      prefixOffset = readOffset;
      readOffset = ids.size();
      return full.substring(prefix.length());
    }
    return "";
  }

  /** The text still held back at the end of a sequence (bytes that never completed). */
  public String flush() {
    String prefix = tokenizer.decode(ids.subList(prefixOffset, readOffset), skipSpecial);
    String full = tokenizer.decode(ids.subList(prefixOffset, ids.size()), skipSpecial);
    prefixOffset = readOffset = ids.size();
    return full.length() > prefix.length() ? full.substring(prefix.length()) : "";
  }

  public int tokenCount() {
    return ids.size();
  }
}
