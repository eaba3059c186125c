package dev.latent.inference.runtime;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code latent.inference.embeddings.*}.
 *
 * @param enabled load the embedding model at start
 * @param model the id clients send ({@code all-MiniLM-L6-v2})
 * @param threads ONNX Runtime intra-op threads, and the executor's size
 * @param queue requests that may wait for the executor before 429
 * @param maxInputs inputs per request
 * @param maxTokens tokens per input; longer inputs are truncated, as sentence-transformers does
 */
@ConfigurationProperties("latent.inference.embeddings")
public record EmbeddingProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("all-MiniLM-L6-v2") String model,
    @DefaultValue("1") int threads,
    @DefaultValue("64") int queue,
    @DefaultValue("256") int maxInputs,
    @DefaultValue("256") int maxTokens) {}
