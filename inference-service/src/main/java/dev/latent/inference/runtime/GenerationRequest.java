package dev.latent.inference.runtime;

/**
 * A tokenized prompt to continue.
 *
 * @param requestId the {@code X-Request-Id}, key of the usage record
 * @param model the served model, from {@link ModelRegistry}
 * @param prompt prompt token ids
 * @param reasoning split a {@code <think>} span into reasoning deltas
 * @param reasoningOpen the prompt itself opened the span (a template ending in {@code <think>})
 */
public record GenerationRequest(String requestId, ServedModel model, int[] prompt,
    SamplingParams params, boolean reasoning, boolean reasoningOpen) {}
