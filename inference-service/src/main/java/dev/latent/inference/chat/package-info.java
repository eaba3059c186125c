/** {@code POST /v1/chat/completions}: chat template, runtime, and OpenAI's response and chunks. */
@NullMarked
package dev.latent.inference.chat;

import org.jspecify.annotations.NullMarked;
