/** {@code POST /v1/completions}: plain-text prompts, OpenAI's legacy completion shapes. */
@NullMarked
package dev.latent.inference.completions;

import org.jspecify.annotations.NullMarked;
