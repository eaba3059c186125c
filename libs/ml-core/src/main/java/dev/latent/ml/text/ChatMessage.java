package dev.latent.ml.text;

import org.jspecify.annotations.Nullable;

/**
 * One message of a conversation as chat templates see it.
 *
 * @param role {@code system}, {@code user}, {@code assistant} (templates may know others)
 * @param content the text
 * @param reasoningContent an assistant's earlier reasoning, for templates that replay it
 */
public record ChatMessage(String role, String content, @Nullable String reasoningContent) {

  public ChatMessage {
    if (role.isBlank()) {
      throw new IllegalArgumentException("role must not be blank");
    }
  }

  public ChatMessage(String role, String content) {
    this(role, content, null);
  }
}
