/**
 * The OpenAI wire vocabulary shared by the endpoints: usage, stream options, parameter checks that
 * answer 400 naming the parameter, and the SSE framing ({@code data: [DONE]}, error events).
 */
@NullMarked
package dev.latent.inference.openai;

import org.jspecify.annotations.NullMarked;
